#include "scaleout/manifest.hpp"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "core/error.hpp"
#include "core/journal.hpp"
#include "output/atomic_file.hpp"
#include "output/output_error.hpp"
#include "scaleout/part_file.hpp"
#include "scaleout/record_file.hpp"

namespace trainsim::scaleout {

namespace fs = std::filesystem;

namespace {

const char* const kKind = "trainsim-manifest";

std::string format_manifest(const Manifest& m) {
  Records r = {{"command", m.command},
               {"directory", RunJournal::escape(m.directory)},
               {"shards", std::to_string(m.shards)},
               {"identity", m.identity}};
  for (const auto& w : m.words) r.emplace_back("word", RunJournal::escape(w));
  return format_records(kKind, kManifestVersion, r);
}

// Files a sharded search keeps in its folder (removed by a --force restart, never anything else).
bool search_file(const std::string& name) {
  return name == "manifest" || name == "slurm-jobs" || name == "shard.sbatch" || name == "merge.sbatch" ||
         parse_part_file_name(name) || (name.rfind("shard-", 0) == 0 && name.size() > 8 &&
                                        name.compare(name.size() - 8, 8, ".partial") == 0) ||
         (name.rfind("slurm-", 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, ".out") == 0);
}

}  // namespace

std::string fingerprint(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string Manifest::command_line() const {
  std::string s = "trainsim " + command;
  for (const auto& w : words) s += " " + w;
  return s;
}

std::string manifest_path(const std::string& folder) { return (fs::path(folder) / "manifest").string(); }

Manifest read_manifest(const std::string& folder) {
  const std::string path = manifest_path(folder);
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw InputError({folder, 0, 0}, "", "not a parts folder (it does not exist or is not a folder); expected the "
                                         "folder a sharded run writes next to its output, e.g. out/table4.h5.parts");
  if (!fs::exists(path, ec))
    throw InputError({folder, 0, 0}, "", "has no manifest: it is not the parts folder of a sharded run (those "
                                         "hold 'manifest' and round-R-shard-I-of-N.part files)");
  const Records r = read_records(path, kKind, kManifestVersion);
  Manifest m;
  m.command = record(r, "command", path);
  m.directory = RunJournal::unescape(record(r, "directory", path));
  const std::string& shards = record(r, "shards", path);
  if (shards.empty() || shards.size() > 5 || shards.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(shards) < 1)
    throw InputError({path, 0, 0}, "", "a malformed shards line; the file was edited");
  m.shards = std::stoi(shards);
  m.identity = record(r, "identity", path);
  for (const auto& [name, value] : r)
    if (name == "word") m.words.push_back(RunJournal::unescape(value));
  return m;
}

void open_parts_folder(const std::string& folder, const Manifest& manifest, bool replace) {
  const std::string path = manifest_path(folder);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    const Manifest there = read_manifest(folder);
    if (there.identity == manifest.identity && there.shards == manifest.shards) return;  // this search: resume
    if (!replace) {
      const std::string what = there.identity == manifest.identity
                                   ? "this search split into " + std::to_string(there.shards) + " shards, not " +
                                         std::to_string(manifest.shards)
                                   : "another search (" + there.command_line() + ", or its inputs as they were then)";
      throw InputError({folder, 0, 0}, "",
                       "the parts folder holds the parts of " + what +
                           "; merge or remove it, or pass --force to start this search over");
    }
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.is_regular_file() && search_file(entry.path().filename().string())) fs::remove(entry.path(), ec);
    // A batch's shards keep their runs' traces in traces/ (cli/batch_command.cpp).
    for (const auto& entry : fs::directory_iterator(fs::path(folder) / "traces", ec))
      if (entry.is_regular_file() && entry.path().extension() == ".h5") fs::remove(entry.path(), ec);
  }
  fs::create_directories(folder, ec);
  if (ec) throw output::OutputError(folder, "cannot create the parts folder: " + ec.message());
  try {
    output::write_text_file(path, format_manifest(manifest), output::Existing::Refuse);
  } catch (const output::OutputError&) {
    // Another shard of the same search wrote it first: it must describe the same search.
    if (!fs::exists(path, ec)) throw;
    const Manifest there = read_manifest(folder);
    if (there.identity != manifest.identity || there.shards != manifest.shards)
      throw InputError({folder, 0, 0}, "", "another search started in this parts folder at the same time (" +
                                               there.command_line() + "); use another output");
  }
}

}  // namespace trainsim::scaleout
