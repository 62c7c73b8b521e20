#include "scaleout/part_file.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/error.hpp"
#include "output/atomic_file.hpp"
#include "output/result_json.hpp"

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
  output::TraceData doc;
  doc.summary_text = {{"part", kKind},
                      {"part_version", std::to_string(kPartVersion)},
                      {"run", part.run},
                      {"round", std::to_string(part.round)},
                      {"shard", part.shard.text()}};
  auto results = output::Table::with_columns("results", {"key", "result"}, {});
  for (const auto& [key, result] : part.results) results.add_row({key, result}, {});
  doc.tables.push_back(std::move(results));
  return output::results_to_json(doc) + "\n";
}

Part parse_part(const std::string& text, const std::string& path) {
  // Parts of version 1 were record files ("trainsim-part 1" ... "end").
  if (text.rfind(std::string(kKind) + " ", 0) == 0)
    throw InputError({path, 1, 1}, "", "written by another trainsim version (a version 1 part); expected version " +
                                           std::to_string(kPartVersion) +
                                           ": remove the parts folder and run the search again");
  output::TraceData doc;
  try {
    doc = output::results_from_json(text);
  } catch (const std::runtime_error& e) {
    throw InputError({path, 0, 0}, "", std::string("not a whole part (cut short, or edited): ") + e.what());
  }
  Part p;
  try {
    if (output::text_value(doc, "part") != kKind) throw std::runtime_error("not a part");
    const std::string& version = output::text_value(doc, "part_version");
    if (version != std::to_string(kPartVersion))
      throw InputError({path, 0, 0}, "", "written by another trainsim version (part version " + version +
                                             "); expected " + std::to_string(kPartVersion) +
                                             ": remove the parts folder and run the search again");
    p.run = output::text_value(doc, "run");
    std::string why;
    const auto shard = parse_shard(output::text_value(doc, "shard"), &why);
    const std::string& round = output::text_value(doc, "round");
    if (!shard || round.empty() || round.size() > 6 || round.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(round) < 1)
      throw InputError({path, 0, 0}, "", "a malformed round or shard; the file was edited");
    p.shard = *shard;
    p.round = std::stoi(round);
    const auto& results = output::table_named(doc, "results");
    const auto &keys = output::text_column(results, "key"), &values = output::text_column(results, "result");
    for (size_t i = 0; i < keys.size(); ++i) p.results[keys[i]] = values[i];
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const InputError*>(&e)) throw;
    throw InputError({path, 0, 0}, "", std::string("not a trainsim part (") + e.what() + "); the file was edited");
  }
  return p;
}

Part read_part(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "", "cannot read the part file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError({path, 0, 0}, "", "cannot read the part file");
  return parse_part(buffer.str(), path);
}
void write_part(const std::string& path, const Part& part) {
  output::write_text_file(path, format_part(part), output::Existing::Replace);
}

}  // namespace trainsim::scaleout
