#pragma once
// One shard of a sharded search (docs/slurm.md): shard I of N simulates the runs of each round
// whose position in the round's work list is I modulo N (or whose chain is, in a round of
// independent chains). Positions, not keys, decide: the work list of a round is the same in
// every process that reaches it, whatever each has already simulated.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace trainsim::scaleout {

// Most shards a search may be split into (a Slurm array's default MaxArraySize is 1001).
inline constexpr int kMaxShards = 10000;

struct Shard {
  int index = 0;  // I, from 0
  int count = 1;  // N
  bool owns(size_t position) const { return static_cast<int>(position % static_cast<size_t>(count)) == index; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }  // "I/N"
  bool operator==(const Shard& o) const { return index == o.index && count == o.count; }
};

// "I/N" with 0 <= I < N <= kMaxShards, decimal digits only; nullopt and the reason otherwise.
std::optional<Shard> parse_shard(const std::string& text, std::string* why);

// "0-2,5": shard indices as a Slurm --array list (ascending, runs collapsed).
std::string index_list(const std::vector<int>& indices);

}  // namespace trainsim::scaleout
