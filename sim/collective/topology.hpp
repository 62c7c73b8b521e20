#pragma once
// A communication group's shape on the network, as the collective algorithms use it: its ranks
// grouped by node, NCCL-like ring channels, double binary trees, and the route latencies each
// algorithm step pays. Value code over the built network (no SimGrid activity); the player
// (engine/player.hpp) adds the message endpoints and sequence numbers of a live communicator.
#include <string>
#include <vector>

#include "collective/trees.hpp"

namespace trainsim {

class Network;

class GroupTopology {
 public:
  GroupTopology(const Network& network, std::vector<int> gpus);

  int size() const { return static_cast<int>(gpus_.size()); }
  int gpu(int rank) const { return gpus_[rank]; }
  const std::vector<int>& gpus() const { return gpus_; }
  const Network& network() const { return *network_; }
  // Route latency between two ranks.
  double latency(int a, int b) const;

  // Ranks grouped by node, nodes in order of first appearance, ranks in group order.
  const std::vector<std::vector<int>>& ranks_by_node() const { return by_node_; }
  int node_slot(int rank) const { return node_slot_[rank]; }   // index into ranks_by_node()
  int local_rank(int rank) const { return local_rank_[rank]; }  // position within its node
  // NCCL-like channels: rings rotated per node so each channel leaves a node through a
  // different GPU (and so a different NIC). 1 within a node or when nodes share one NIC.
  int channels() const { return channels_; }
  // Ring order of channel c (ranks), and each rank's position in it.
  const std::vector<int>& ring(int c) const { return rings_[c]; }
  int ring_position(int c, int rank) const { return ring_pos_[c][rank]; }
  // Largest route latency between ring neighbours of channel c (one per algorithm step).
  double ring_step_latency(int c) const { return ring_latency_[c]; }
  // Double binary tree `which` (0 or 1), built on first use.
  const Tree& tree(int which) const;

 private:
  const Network* network_;
  std::vector<int> gpus_;
  std::vector<std::vector<int>> by_node_;
  std::vector<int> node_slot_, local_rank_;
  int channels_ = 1;
  std::vector<std::vector<int>> rings_, ring_pos_;
  std::vector<double> ring_latency_;
  mutable std::vector<Tree> trees_;
};

}  // namespace trainsim
