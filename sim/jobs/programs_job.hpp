#pragma once
// The `programs` job (docs/programs.md): rank programs played from a file, then summarised as
// the job that produced them would be (training, full DiLoCo workers, collective benchmark), or
// with training-like metrics when they come from elsewhere.
#include <vector>

#include "core/limits.hpp"
#include "engine/job.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

JobOutcome run_programs_job(const Scenario& scenario, const ProgramsSpec& spec, const JobOptions& options);

// The memory model's sizes of the job, from the file's header (read when the scenario loaded).
limits::RunSize programs_run_size(const Scenario& scenario, const ProgramsSpec& spec, bool keep_activities);

// The programs of the file (one set).
std::vector<JobPrograms> programs_job_programs(const Scenario& scenario, const ProgramsSpec& spec);

}  // namespace trainsim
