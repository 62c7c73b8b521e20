#pragma once
// Runs a scenario's job, whatever its kind: the one dispatch over JobSpec, shared by
// `trainsim run` and the golden-summary tests.
#include "config/scenario.hpp"
#include "engine/job.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options);

}  // namespace trainsim
