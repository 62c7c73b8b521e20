#pragma once
// The collective-benchmark job (what nccl-tests measures on hardware): the benchmark's programs
// (collective/benchmark.hpp) played on the scenario's platform.
#include <vector>

#include "collective/benchmark.hpp"
#include "config/scenario.hpp"
#include "engine/job.hpp"

namespace trainsim {

class Simulation;
class Recorder;

// Plays the spec's cases on `gpus` and returns their timings.
std::vector<BenchResult> run_collective_benchmark(Simulation& sim, const CollectiveBenchSpec& spec,
                                                  const std::vector<int>& gpus, Recorder* recorder,
                                                  Granularity granularity = Granularity::Aggregated);

// An nccl-tests-like table (size, time, algbw, busbw per collective and algorithm) as the
// report, the same rows as the trace table "collectives", and the summary values.
JobOutcome benchmark_outcome(const std::vector<BenchResult>& results, int ranks, const std::string& platform_name,
                             output::TraceData trace);

// Runs a `collective_benchmark` scenario.
JobOutcome run_benchmark_job(const Scenario& scenario, const CollectiveBenchSpec& spec, const JobOptions& options);

}  // namespace trainsim
