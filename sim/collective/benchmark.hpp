#pragma once
// The collective benchmark (what nccl-tests measures on hardware) as programs: every
// (collective, algorithm, size) case runs once on the same group, one after the other, each
// between two barriers so that all ranks start it together and it ends with its last rank.
#include <vector>

#include "collective/algorithms.hpp"
#include "collective/spec.hpp"
#include "program/observer.hpp"

namespace trainsim {

struct BenchCase {
  CollectiveKind kind;
  CollectiveAlgorithm algorithm;
  double bytes;
};

struct BenchResult {
  BenchCase what;
  int ranks = 0;
  double seconds = 0;
  double algbw = 0;  // bytes / seconds
  double busbw = 0;  // algbw * bus_bandwidth_factor
};

// The cases a spec asks for: each listed collective with each listed algorithm that
// implements it (all-to-all and send/recv always run `direct`), sizes min..max by factor.
std::vector<BenchCase> benchmark_cases(const CollectiveBenchSpec& spec);

// One rank per GPU of `gpus` (group "bench"), case i between the markers of iteration i.
program::ProgramSet benchmark_programs(const std::vector<BenchCase>& cases, const std::vector<int>& gpus,
                                       Granularity granularity);

// Times the cases of benchmark programs as they are played: a case lasts from its collective's
// start on the first rank to the end of the barrier that follows it.
class BenchMeter final : public program::Observer {
 public:
  explicit BenchMeter(const program::ProgramSet& set);
  void op_done(int rank, const program::Op& op, const program::OpTiming& t, const program::Context& ctx) override;
  std::vector<BenchResult> results() const;

 private:
  int ranks_ = 0;
  std::vector<BenchCase> cases_;
  std::vector<double> start_, end_;
  std::vector<bool> collective_seen_;
};

}  // namespace trainsim
