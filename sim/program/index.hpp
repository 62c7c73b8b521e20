#pragma once
// Lookups that players of programs (engine/player, program/executor) build once per set.
#include <cstdint>
#include <vector>

#include "program/program.hpp"

namespace trainsim::program {

// Ops that use their group's message endpoint on the rank: sends, receives and collectives run
// as flows. One stream per rank and slot owns them (it receives the group's messages).
bool uses_endpoint(const Op& op);

// A point-to-point message of a set: its group, source and destination ranks in the group, tag.
struct MessageKey {
  int group, src, dst;
  uint64_t tag;
  bool operator==(const MessageKey&) const = default;
};
struct MessageKeyHash {
  size_t operator()(const MessageKey& k) const {
    uint64_t h = k.tag * 0x9E3779B97F4A7C15ull;
    h ^= (static_cast<uint64_t>(k.group) << 40) ^ (static_cast<uint64_t>(k.src) << 20) ^ static_cast<uint64_t>(k.dst);
    return static_cast<size_t>(h * 0xBF58476D1CE4E5B9ull);
  }
};

struct ProgramIndex {
  std::vector<std::vector<uint32_t>> stream_ops;  // per stream: indices of its ops, in order
  std::vector<int16_t> event_stream;              // per event: the stream that records it
  std::vector<int16_t> endpoint_stream;           // per slot: the stream owning its endpoint, or -1
  std::vector<bool> stream_waits;                 // per stream: has a wait on another stream's event
};

std::vector<ProgramIndex> index_programs(const ProgramSet& set);

// Position of each rank's GPU in the group of each of its slots ([rank][slot], -1 when unbound).
std::vector<std::vector<int32_t>> group_positions(const ProgramSet& set);

}  // namespace trainsim::program
