#pragma once
// The collective-benchmark job: what nccl-tests measures on hardware, on the simulated
// platform. Every (collective, algorithm, size) case runs once on the same group, one after
// the other, all ranks starting together.
#include <vector>

#include "collective/algorithms.hpp"
#include "collective/spec.hpp"

namespace trainsim {

class Simulation;
class Recorder;

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

std::vector<BenchResult> run_collective_benchmark(Simulation& sim, const CollectiveBenchSpec& spec,
                                                  const std::vector<int>& gpus, Recorder* recorder,
                                                  Granularity granularity = Granularity::Aggregated);

}  // namespace trainsim
