#include "scaleout/part_file.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/journal.hpp"
#include "output/atomic_file.hpp"
#include "scaleout/record_file.hpp"

namespace trainsim::scaleout {

namespace {
const char* const kKind = "trainsim-part";
}  // namespace

std::string part_file_name(int round, const Shard& shard) {
  return "round-" + std::to_string(round) + "-shard-" + std::to_string(shard.index) + "-of-" +
         std::to_string(shard.count) + ".part";
}

std::optional<std::pair<int, Shard>> parse_part_file_name(const std::string& name) {
  int round = 0, index = 0, count = 0, used = 0;
  if (std::sscanf(name.c_str(), "round-%d-shard-%d-of-%d.part%n", &round, &index, &count, &used) != 3 ||
      static_cast<size_t>(used) != name.size())
    return std::nullopt;
  // Only the canonical spelling (no "+1", no leading zeros): one name per (round, shard).
  const Shard shard{index, count};
  if (round < 1 || count < 1 || index < 0 || index >= count || part_file_name(round, shard) != name) return std::nullopt;
  return std::make_pair(round, shard);
}

std::string format_part(const Part& part) {
  Records r = {{"run", part.run}, {"round", std::to_string(part.round)}, {"shard", part.shard.text()}};
  for (const auto& [key, result] : part.results)
    r.emplace_back("result", RunJournal::escape(key) + "\t" + RunJournal::escape(result));
  return format_records(kKind, kPartVersion, r);
}

namespace {

Part part_from_records(const Records& records, const std::string& path) {
  Part p;
  p.run = record(records, "run", path);
  std::string why;
  const auto shard = parse_shard(record(records, "shard", path), &why);
  const std::string& round = record(records, "round", path);
  if (!shard || round.empty() || round.size() > 6 || round.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(round) < 1)
    throw InputError({path, 0, 0}, "", "a malformed round or shard line; the file was edited");
  p.shard = *shard;
  p.round = std::stoi(round);
  for (const auto& [name, value] : records) {
    if (name != "result") continue;
    const size_t tab = value.find('\t');
    if (tab == std::string::npos) throw InputError({path, 0, 0}, "", "a result line without its tab; the file was edited");
    p.results[RunJournal::unescape(value.substr(0, tab))] = RunJournal::unescape(value.substr(tab + 1));
  }
  return p;
}

}  // namespace

Part parse_part(const std::string& text, const std::string& path) {
  return part_from_records(parse_records(text, path, kKind, kPartVersion), path);
}

Part read_part(const std::string& path) { return part_from_records(read_records(path, kKind, kPartVersion), path); }

void write_part(const std::string& path, const Part& part) {
  output::write_text_file(path, format_part(part), output::Existing::Replace);
}

}  // namespace trainsim::scaleout
