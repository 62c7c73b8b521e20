#pragma once
// Runs a scenario's job, whatever its kind: the one dispatch over JobSpec, shared by
// `trainsim run` and the golden-summary tests; and the rank programs a job plays
// (`trainsim run --dump-programs`, docs/programs.md).
#include <string>
#include <utility>
#include <vector>

#include "config/scenario.hpp"
#include "engine/job.hpp"
#include "output/atomic_file.hpp"
#include "program/program.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options);

// The program sets the job plays, one per simulation (full DiLoCo workers: one per method),
// each with the suffix of its file name ("" or ".method<i>"). Throws InputError for jobs that
// are not rank programs (abstract DiLoCo workers).
std::vector<std::pair<std::string, program::ProgramSet>> job_programs(const Scenario& scenario);

// job_programs(scenario) with the files they go to in `dir`: <scenario name><suffix>.programs.jsonl.
struct ProgramsFileOut {
  std::string path;
  program::ProgramSet set;
};
std::vector<ProgramsFileOut> programs_to_dump(const Scenario& scenario, const std::string& dir);

// Writes a programs file atomically (output/atomic_file.hpp), replacing an existing file only
// when `existing` says so.
void write_programs_file(const std::string& path, const program::ProgramSet& set, output::Existing existing);

}  // namespace trainsim
