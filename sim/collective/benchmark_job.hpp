#pragma once
#include "config/scenario.hpp"
#include "engine/job.hpp"

namespace trainsim {

// Runs a `collective_benchmark` scenario: an nccl-tests-like table (size, time, algbw, busbw
// per collective and algorithm) as the report, the same rows as the trace table "collectives".
JobOutcome run_benchmark_job(const Scenario& scenario, const CollectiveBenchSpec& spec, const JobOptions& options);

}  // namespace trainsim
