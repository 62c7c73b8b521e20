#pragma once
// The reference executor's cost model on a built network (program/executor.hpp): a message
// takes its route's bottleneck time plus the route latency, a collective its closed form
// (closed_form.hpp), each as if alone on the network.
#include <memory>
#include <vector>

#include "collective/closed_form.hpp"
#include "program/executor.hpp"

namespace trainsim {

class Network;

class NetworkCosts final : public program::CostModel {
 public:
  NetworkCosts(const Network& network, const program::ProgramSet& set);
  ~NetworkCosts() override;
  double transfer(int src_gpu, int dst_gpu, double bytes) const override;
  double collective(int group, int rank, const program::Collective& op, const double* per_peer) const override;

 private:
  struct Group {
    std::unique_ptr<GroupTopology> topology;
    std::unique_ptr<ClosedForms> closed;
  };
  const Network& network_;
  const program::ProgramSet& set_;
  mutable std::vector<Group> groups_;
};

// The call an op describes (per_peer: its per-peer bytes or null).
CollectiveCall collective_call(const program::Collective& op, const double* per_peer);

}  // namespace trainsim
