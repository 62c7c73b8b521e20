#pragma once
// The collective-benchmark job (what nccl-tests measures on hardware): the benchmark's programs
// (collective/benchmark.hpp) played on the scenario's platform.
#include <vector>

#include "collective/benchmark.hpp"
#include "engine/job.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

class Simulation;
class Recorder;

// Plays the spec's cases on `gpus` and returns their timings.
std::vector<BenchResult> run_collective_benchmark(Simulation& sim, const CollectiveBenchSpec& spec,
                                                  const std::vector<int>& gpus, Recorder* recorder,
                                                  Granularity granularity = Granularity::Aggregated);

// The trace table "collectives" (size, time, algbw, busbw per collective and algorithm), the
// summary values, and their display appended to trace.display (a header line, then the table
// nccl-tests-like, in us and GB/s): what comes before it (a programs job's header) is kept.
JobOutcome benchmark_outcome(const std::vector<BenchResult>& results, int ranks, const std::string& platform_name,
                             output::TraceData trace);

// Runs a `collective_benchmark` scenario.
JobOutcome run_benchmark_job(const Scenario& scenario, const CollectiveBenchSpec& spec, const JobOptions& options);

// The memory model's sizes of the job (core/limits.hpp), before anything is built.
limits::RunSize benchmark_run_size(const Scenario& scenario, const CollectiveBenchSpec& spec, bool keep_activities);

// The programs the job plays (one set).
std::vector<JobPrograms> benchmark_job_programs(const Scenario& scenario, const CollectiveBenchSpec& spec);

}  // namespace trainsim
