#pragma once
// Small hand-written program sets for the program, engine and loader tests.
#include <map>
#include <tuple>
#include <vector>

#include "program/builder.hpp"
#include "program/executor.hpp"
#include "program/observer.hpp"

namespace trainsim::testing {

// Records every op's timing, by (rank, op index in its program).
class TimingLog final : public program::Observer {
 public:
  explicit TimingLog(const program::ProgramSet& set) : set_(set) {}
  void op_done(int rank, const program::Op& op, const program::OpTiming& t, const program::Context& ctx) override {
    const auto& ops = set_.programs[set_.ranks[rank].program].ops;
    const int index = static_cast<int>(&op - ops.data());
    times[{rank, index}] = t;
    contexts[{rank, index}] = ctx;
  }
  const program::OpTiming& at(int rank, int op) const { return times.at({rank, op}); }
  std::map<std::pair<int, int>, program::OpTiming> times;
  std::map<std::pair<int, int>, program::Context> contexts;

 private:
  const program::ProgramSet& set_;
};

// Costs by hand: every message `transfer` seconds, every collective `collective` seconds.
class FixedCosts final : public program::CostModel {
 public:
  FixedCosts(double transfer, double collective) : transfer_(transfer), collective_(collective) {}
  double transfer(int, int, double) const override { return transfer_; }
  double collective(int, int, const program::Collective& c, const double*) const override {
    return c.kind == CollectiveKind::Barrier ? 0 : collective_ * c.count;
  }

 private:
  double transfer_, collective_;
};

inline program::Collective all_reduce(double bytes, Granularity g = Granularity::Aggregated, double count = 1) {
  program::Collective c;
  c.kind = CollectiveKind::AllReduce, c.bytes = bytes, c.granularity = g, c.count = count;
  return c;
}

}  // namespace trainsim::testing
