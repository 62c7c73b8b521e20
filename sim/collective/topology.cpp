#include "collective/topology.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "network/network.hpp"

namespace trainsim {

GroupTopology::GroupTopology(const Network& network, std::vector<int> gpus) : network_(&network), gpus_(std::move(gpus)) {
  const int n = size();
  if (n == 0) throw InternalError("a communication group needs at least one GPU");

  // Group ranks by node.
  std::unordered_map<int, int> slot_of_node;
  node_slot_.resize(n);
  local_rank_.resize(n);
  for (int r = 0; r < n; ++r) {
    int node = network.location(gpus_[r]).global_node;
    auto [it, fresh] = slot_of_node.try_emplace(node, static_cast<int>(by_node_.size()));
    if (fresh) by_node_.emplace_back();
    node_slot_[r] = it->second;
    local_rank_[r] = static_cast<int>(by_node_[it->second].size());
    by_node_[it->second].push_back(r);
  }

  // Channels: as many as the distinct NICs every node can use (at most its member count),
  // so that inter-node traffic spreads over the NICs as NCCL's rings do.
  if (by_node_.size() > 1) {
    int c = 1 << 30;
    for (const auto& members : by_node_) {
      std::set<int> nics;
      for (int r : members) {
        const auto& loc = network.location(gpus_[r]);
        const auto& cl = network.spec().clusters[loc.cluster];
        nics.insert(loc.local * cl.nic.count / cl.gpus_per_node);
      }
      c = std::min(c, static_cast<int>(nics.size()));
    }
    channels_ = std::max(1, c);
  }
  rings_.resize(channels_);
  ring_pos_.assign(channels_, std::vector<int>(n));
  ring_latency_.assign(channels_, 0.0);
  for (int c = 0; c < channels_; ++c) {
    auto& ring = rings_[c];
    ring.reserve(n);
    for (const auto& members : by_node_) {
      const int g = static_cast<int>(members.size());
      // Rotating by c (spread over the members when there are more GPUs than channels)
      // makes channel c leave each node through a different GPU.
      const int start = (c * g / channels_) % g;
      for (int i = 0; i < g; ++i) ring.push_back(members[(start + i) % g]);
    }
    for (int p = 0; p < n; ++p) ring_pos_[c][ring[p]] = p;
    double lmax = 0;
    if (n > 1)
      for (int p = 0; p < n; ++p)
        lmax = std::max(lmax, network.route_latency(gpus_[ring[p]], gpus_[ring[(p + 1) % n]]));
    ring_latency_[c] = lmax;
  }
}

double GroupTopology::latency(int a, int b) const { return network_->route_latency(gpus_[a], gpus_[b]); }

const Tree& GroupTopology::tree(int which) const {
  if (trees_.empty()) {
    for (int shift = 0; shift < 2; ++shift) {
      Tree t = make_inorder_tree(size(), shift);
      for (int r = 0; r < size(); ++r)
        if (t.parent[r] >= 0)
          t.max_edge_latency = std::max(t.max_edge_latency, network_->route_latency(gpus_[r], gpus_[t.parent[r]]));
      trees_.push_back(std::move(t));
    }
  }
  return trees_[which];
}

}  // namespace trainsim
