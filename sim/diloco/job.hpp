#pragma once
// `trainsim run` for a diloco scenario: every (model, method) pair simulated at the platform's
// WAN bandwidth, each in its own child process, and reported side by side.
#include "engine/job.hpp"
#include "scenario/diloco_spec.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

JobOutcome run_diloco_job(const Scenario& scenario, const DilocoSpec& spec, const JobOptions& options);

// The memory model's sizes of the job (core/limits.hpp), before anything is built; methods run
// one simulation each, so the largest counts.
limits::RunSize diloco_run_size(const Scenario& scenario, const DilocoSpec& spec, bool keep_activities);

// Full workers: the programs of each method's simulation, suffixed ".method<i>-<name>" when there
// are several. Abstract workers are a model of each datacenter, not GPU programs: InputError.
std::vector<JobPrograms> diloco_job_programs(const Scenario& scenario, const DilocoSpec& spec);

}  // namespace trainsim
