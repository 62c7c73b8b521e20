#include "program/index.hpp"

#include <unordered_map>

namespace trainsim::program {

bool uses_endpoint(const Op& op) {
  if (op.kind() == OpKind::Send || op.kind() == OpKind::Recv) return true;
  if (op.kind() != OpKind::Collective) return false;
  const auto& c = op.as<Collective>();
  return c.granularity != Granularity::ClosedForm && c.kind != CollectiveKind::Barrier;
}

std::vector<ProgramIndex> index_programs(const ProgramSet& set) {
  std::vector<ProgramIndex> out(set.programs.size());
  for (size_t p = 0; p < set.programs.size(); ++p) {
    const Program& prog = set.programs[p];
    ProgramIndex& ix = out[p];
    ix.stream_ops.resize(set.streams.size());
    ix.event_stream.assign(static_cast<size_t>(prog.events), -1);
    ix.endpoint_stream.assign(set.slots.size(), -1);
    ix.stream_waits.assign(set.streams.size(), false);
    for (size_t i = 0; i < prog.ops.size(); ++i) {
      const Op& op = prog.ops[i];
      ix.stream_ops[op.stream].push_back(static_cast<uint32_t>(i));
      if (op.kind() == OpKind::Record) ix.event_stream[op.as<Record>().event] = op.stream;
      if (uses_endpoint(op)) ix.endpoint_stream[op.slot] = op.stream;
    }
    for (const Op& op : prog.ops)
      if (op.kind() == OpKind::Wait && ix.event_stream[op.as<Wait>().event] != op.stream) ix.stream_waits[op.stream] = true;
  }
  return out;
}

std::vector<std::vector<int32_t>> group_positions(const ProgramSet& set) {
  std::unordered_map<int, int> rank_of_gpu;
  for (size_t r = 0; r < set.ranks.size(); ++r) rank_of_gpu.emplace(set.ranks[r].gpu, static_cast<int>(r));
  std::vector<std::vector<int32_t>> pos(set.ranks.size());
  for (size_t r = 0; r < set.ranks.size(); ++r) pos[r].assign(set.ranks[r].groups.size(), -1);
  for (size_t g = 0; g < set.groups.size(); ++g) {
    const auto& gpus = set.groups[g].gpus;
    for (size_t i = 0; i < gpus.size(); ++i) {
      auto it = rank_of_gpu.find(gpus[i]);
      if (it == rank_of_gpu.end()) continue;
      const auto& slots = set.ranks[it->second].groups;
      for (size_t s = 0; s < slots.size(); ++s)
        if (slots[s] == static_cast<int>(g)) pos[it->second][s] = static_cast<int32_t>(i);
    }
  }
  return pos;
}

}  // namespace trainsim::program
