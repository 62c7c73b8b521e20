#pragma once
// A communicator: an ordered group of GPUs (ranks) that run collectives together, like an
// NCCL communicator. Every rank issues the same collectives in the same order (NCCL's rule);
// the per-rank sequence number tags each collective's messages so that a fast rank's next
// collective never mixes with a slow rank's current one.
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <string>
#include <vector>

#include "collective/trees.hpp"
#include "engine/transport.hpp"

namespace trainsim {

class Network;

class Communicator {
 public:
  Communicator(const Network& network, std::string name, std::vector<int> gpus, Recorder* recorder = nullptr);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  const std::string& name() const { return name_; }
  int size() const { return static_cast<int>(gpus_.size()); }
  int gpu(int rank) const { return gpus_[rank]; }
  const std::vector<int>& gpus() const { return gpus_; }
  const Network& network() const { return network_; }

  // The actor that runs this communicator's collectives for `rank` (receives its messages).
  void bind(int rank, simgrid::s4u::ActorPtr actor) { inboxes_[rank]->bind(std::move(actor)); }
  Inbox& inbox(int rank) { return *inboxes_[rank]; }

  // Next collective sequence number of `rank` (advances it).
  uint64_t next_sequence(int rank) { return sequence_[rank]++; }

  // Ranks grouped by node, nodes in order of first appearance, ranks in communicator order.
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
  const Tree& tree(int which);

 private:
  const Network& network_;
  std::string name_;
  std::vector<int> gpus_;
  std::vector<std::unique_ptr<Inbox>> inboxes_;
  std::vector<uint64_t> sequence_;
  std::vector<std::vector<int>> by_node_;
  std::vector<int> node_slot_, local_rank_;
  int channels_ = 1;
  std::vector<std::vector<int>> rings_, ring_pos_;
  std::vector<double> ring_latency_;
  std::vector<Tree> trees_;
};

}  // namespace trainsim
