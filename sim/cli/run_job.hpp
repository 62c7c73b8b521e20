#pragma once
// Runs a scenario's job, whatever its kind: the one dispatch over JobSpec, shared by
// `trainsim run` and the golden-summary tests; and the rank programs a job plays
// (`trainsim run --dump-programs`, docs/programs.md).
#include <string>
#include <utility>
#include <vector>

#include "config/scenario.hpp"
#include "engine/job.hpp"
#include "program/program.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options);

// The program sets the job plays, one per simulation (full DiLoCo workers: one per method),
// each with the suffix of its file name ("" or ".method<i>"). Throws InputError for jobs that
// are not rank programs (abstract DiLoCo workers).
std::vector<std::pair<std::string, program::ProgramSet>> job_programs(const Scenario& scenario);

// Writes job_programs(scenario) to `dir` (created) as <scenario name><suffix>.programs.jsonl,
// refusing existing files unless `force`; returns the paths written.
std::vector<std::string> dump_programs(const Scenario& scenario, const std::string& dir, bool force);

}  // namespace trainsim
