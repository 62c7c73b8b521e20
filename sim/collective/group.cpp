#include "collective/group.hpp"

#include <string>

namespace trainsim {

std::vector<int> resolve_group(const GpuGroupSpec& group, const PlatformSpec& platform,
                               const SourceLocation& where) {
  const int total = platform.total_gpus();
  if (!group.gpus.empty()) {
    for (int g : group.gpus)
      if (g < 0 || g >= total)
        throw InputError(where, "group.gpus", "GPU index " + std::to_string(g) + " is outside 0.." +
                                                  std::to_string(total - 1));
    return group.gpus;
  }
  std::vector<int> out;
  int base = 0;
  bool matched = group.cluster.empty();
  for (const auto& c : platform.clusters) {
    const int size = c.nodes * c.gpus_per_node;
    if (!group.cluster.empty() && c.name != group.cluster) {
      base += size;
      continue;
    }
    matched = true;
    const int nodes = group.nodes > 0 ? group.nodes : c.nodes;
    const int per_node = group.gpus_per_node > 0 ? group.gpus_per_node : c.gpus_per_node;
    if (nodes > c.nodes)
      throw InputError(where, "group.nodes", "asks for " + std::to_string(nodes) + " nodes but cluster '" +
                                                 c.name + "' has " + std::to_string(c.nodes));
    if (per_node > c.gpus_per_node)
      throw InputError(where, "group.gpus_per_node", "asks for " + std::to_string(per_node) +
                                                         " GPUs per node but nodes have " +
                                                         std::to_string(c.gpus_per_node));
    for (int n = 0; n < nodes; ++n)
      for (int i = 0; i < per_node; ++i) out.push_back(base + n * c.gpus_per_node + i);
    // Without a cluster name and with a node count, the group stays in the first cluster.
    if (group.cluster.empty() && group.nodes > 0) break;
    base += size;
  }
  if (!matched) throw InputError(where, "group.cluster", "no cluster named '" + group.cluster + "'");
  if (out.size() < 2) throw InputError(where, "group", "a collective needs at least 2 GPUs");
  return out;
}

}  // namespace trainsim
