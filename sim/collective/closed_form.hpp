#pragma once
// Closed forms of collectives (docs/collectives.md, "Closed forms"): the time a collective takes
// when it is alone on the network, derived from its algorithm's aggregated flow plan rather
// than written again per algorithm. Each exchange of the plan lasts as long as its most loaded
// link direction needs (sum of the bytes all ranks send across it, over its bandwidth); the
// rank then pauses for its latency terms. Exact for the symmetric plans on uniform links
// (tests/collective); on a ring it is the group's bottleneck link, which is what tensor-
// parallel groups are charged in training (docs/training.md).
//
// Used by closed-form collectives in the player (tensor parallelism), whose bytes are charged to
// the links of their flows, and by the reference executor's cost model.
#include <map>
#include <tuple>
#include <vector>

#include "collective/algorithms.hpp"
#include "collective/topology.hpp"

namespace trainsim {

class ClosedForms {
 public:
  explicit ClosedForms(const GroupTopology& group) : group_(group) {}

  // Seconds `rank` spends in `call` (its granularity is ignored: the aggregated plan is timed).
  double seconds(int rank, const CollectiveCall& call);
  // Calls f(destination rank, bytes) for each flow `rank` posts in `call`, to charge its links.
  template <typename F>
  void for_each_flow(int rank, const CollectiveCall& call, F&& f) {
    if (call.kind == CollectiveKind::Barrier || group_.size() < 2) return;
    if (call.per_peer) {  // all-to-all with its own byte counts: not a multiple of a unit plan
      for (const FlowSend& s : evaluate(call).sends[rank]) f(s.dst, s.bytes);
      return;
    }
    for (const FlowSend& s : unit(call).sends[rank]) f(s.dst, s.bytes * call.bytes);
  }

 private:
  // A plan per unit of bytes and count: seconds = per_byte * bytes + per_count[rank] * count.
  struct Unit {
    double per_byte = 0;
    std::vector<double> per_count;                // per rank
    std::vector<std::vector<FlowSend>> sends;     // per rank, bytes per byte of the call
  };
  const Unit& unit(const CollectiveCall& call);
  Unit evaluate(const CollectiveCall& call) const;

  const GroupTopology& group_;
  std::map<std::tuple<int, int, int>, Unit> units_;  // (kind, algorithm, root)
};

}  // namespace trainsim
