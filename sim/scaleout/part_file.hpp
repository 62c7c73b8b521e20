#pragma once
// A part: what one shard hands to the merge for one round, its results by key. The one reader
// and the one writer of the format (versioned, kPartVersion). A part is itself results in the
// one serialized form (output/result_json.hpp, docs/trace-format.md), one line:
//   texts   part = "trainsim-part", part_version = "2", run (Manifest::identity), round, shard ("1/4")
//   table   results: text columns key, result (each run's results, serialized), keys sorted
// A file cut short is not JSON and is refused; so is a part of another version.
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "scaleout/shard.hpp"

namespace trainsim::scaleout {

inline constexpr int kPartVersion = 2;

struct Part {
  std::string run;
  int round = 1;
  Shard shard;
  std::map<std::string, std::string> results;
};

// "round-2-shard-1-of-4.part"
std::string part_file_name(int round, const Shard& shard);
// (round, shard) of a part file name, or nullopt if `name` is not one.
std::optional<std::pair<int, Shard>> parse_part_file_name(const std::string& name);

std::string format_part(const Part& part);
Part parse_part(const std::string& text, const std::string& path);  // InputError at path:line
Part read_part(const std::string& path);
// Written atomically (output/atomic_file.hpp); replaces the shard's earlier part of the round,
// which holds the same results (the folder belongs to the run).
void write_part(const std::string& path, const Part& part);

}  // namespace trainsim::scaleout
