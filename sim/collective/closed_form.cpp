#include "collective/closed_form.hpp"

#include <algorithm>
#include <unordered_map>

#include "network/network.hpp"

namespace trainsim {
namespace {

// Records a rank's plan: its exchanges (phases) and the pause after each.
struct Recording final : FlowSink {
  struct Phase {
    std::vector<FlowSend> sends;
    double pause = 0;
  };
  std::vector<Phase> phases;
  void exchange(uint64_t, const std::vector<FlowSend>& sends, int) override { phases.push_back({sends, 0}); }
  void pause(double seconds) override {
    if (phases.empty()) phases.emplace_back();
    phases.back().pause += seconds;
  }
};

}  // namespace

ClosedForms::Unit ClosedForms::evaluate(const CollectiveCall& call) const {
  const int n = group_.size();
  const Network& net = group_.network();
  std::vector<Recording> plans(n);
  for (int r = 0; r < n; ++r) {
    CollectiveCall c = call;
    c.granularity = Granularity::Aggregated;
    run_collective(group_, r, 0, c, plans[r]);
  }
  Unit u;
  u.per_count.assign(n, 0);
  u.sends.resize(n);
  size_t phases = 0;
  for (const auto& p : plans) phases = std::max(phases, p.phases.size());
  for (size_t k = 0; k < phases; ++k) {
    std::unordered_map<int, double> load;  // directed link slot -> bytes
    for (int r = 0; r < n; ++r) {
      if (k >= plans[r].phases.size()) continue;
      const auto& phase = plans[r].phases[k];
      u.per_count[r] += phase.pause;
      for (const FlowSend& s : phase.sends) {
        u.sends[r].push_back(s);
        for (const DirectedLink& l : net.directed_route(group_.gpu(r), group_.gpu(s.dst)))
          load[2 * l.link + (l.down ? 1 : 0)] += s.bytes;
      }
    }
    double slowest = 0;
    for (const auto& [slot, bytes] : load) slowest = std::max(slowest, bytes / net.links()[slot / 2].bandwidth);
    u.per_byte += slowest;
  }
  return u;
}

const ClosedForms::Unit& ClosedForms::unit(const CollectiveCall& call) {
  const auto key = std::make_tuple(static_cast<int>(call.kind), static_cast<int>(call.algorithm), call.root);
  auto it = units_.find(key);
  if (it == units_.end()) {
    CollectiveCall c = call;
    c.bytes = 1, c.count = 1, c.per_peer = nullptr;
    it = units_.emplace(key, evaluate(c)).first;
  }
  return it->second;
}

double ClosedForms::seconds(int rank, const CollectiveCall& call) {
  if (call.kind == CollectiveKind::Barrier || group_.size() < 2) return 0;
  if (call.per_peer) {  // all-to-all with its own byte counts: evaluated as given
    const Unit u = evaluate(call);
    return u.per_byte + u.per_count[rank];
  }
  const Unit& u = unit(call);
  return u.per_byte * call.bytes + u.per_count[rank] * call.count;
}

}  // namespace trainsim
