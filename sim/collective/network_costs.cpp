#include "collective/network_costs.hpp"

#include <algorithm>

#include "network/network.hpp"

namespace trainsim {

CollectiveCall collective_call(const program::Collective& op, const double* per_peer) {
  CollectiveCall c;
  c.kind = op.kind, c.algorithm = op.algorithm, c.bytes = op.bytes, c.root = op.root;
  c.granularity = op.granularity, c.count = op.count, c.per_peer = per_peer;
  return c;
}

NetworkCosts::NetworkCosts(const Network& network, const program::ProgramSet& set)
    : network_(network), set_(set), groups_(set.groups.size()) {}

NetworkCosts::~NetworkCosts() = default;

double NetworkCosts::transfer(int src_gpu, int dst_gpu, double bytes) const {
  double bottleneck = 1e300;
  for (const LinkInfo* l : network_.route(src_gpu, dst_gpu)) bottleneck = std::min(bottleneck, l->bandwidth);
  return flow_bytes(bytes) / bottleneck + network_.route_latency(src_gpu, dst_gpu);
}

double NetworkCosts::collective(int group, int rank, const program::Collective& op, const double* per_peer) const {
  if (op.kind == CollectiveKind::Barrier) return 0;
  Group& g = groups_[group];
  if (!g.topology) {
    std::vector<int> gpus(set_.groups[group].gpus.begin(), set_.groups[group].gpus.end());
    g.topology = std::make_unique<GroupTopology>(network_, std::move(gpus));
    g.closed = std::make_unique<ClosedForms>(*g.topology);
  }
  return g.closed->seconds(rank, collective_call(op, per_peer));
}

}  // namespace trainsim
