#pragma once
// `trainsim run` for a diloco scenario: every (model, method) pair simulated at the platform's
// WAN bandwidth, each in its own child process, and reported side by side.
#include "config/scenario.hpp"
#include "diloco/spec.hpp"
#include "engine/job.hpp"

namespace trainsim {

JobOutcome run_diloco_job(const Scenario& scenario, const DilocoSpec& spec, const JobOptions& options);

}  // namespace trainsim
