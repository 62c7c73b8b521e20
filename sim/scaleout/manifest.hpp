#pragma once
// The manifest of a sharded search: the file `<parts folder>/manifest` that says which command
// the parts belong to, so that every shard can check it joins the right search and `trainsim
// merge FOLDER` can replay the command with every result present (docs/slurm.md).
#include <string>
#include <vector>

namespace trainsim::scaleout {

inline constexpr int kManifestVersion = 1;

struct Manifest {
  std::string command;             // "sweep", "compare" or "batch"
  std::vector<std::string> words;  // its words as a single-machine run takes them (no scale-out option)
  std::string directory;           // absolute working directory the words' paths are relative to
  int shards = 1;
  // What the results depend on (the command, its result-defining options, its inputs' text),
  // hashed: a shard or merge of anything else is refused instead of mixing results.
  std::string identity;
  // "trainsim sweep a.yaml --trace out/a.h5"
  std::string command_line() const;
};

std::string manifest_path(const std::string& folder);
Manifest read_manifest(const std::string& folder);  // InputError naming the file

// Creates `folder` and its manifest, or checks the one there: the same identity and shard count
// is this search (resumed); anything else is refused with InputError naming the folder, unless
// `replace`, which removes the folder's parts, journals and scripts and starts over.
void open_parts_folder(const std::string& folder, const Manifest& manifest, bool replace);

// FNV-1a (64 bit) of `text`, as 16 hex digits: stable across builds and machines.
std::string fingerprint(const std::string& text);

}  // namespace trainsim::scaleout
