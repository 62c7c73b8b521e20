#pragma once
// Runs a scenario's job, whatever its kind, through the registry (jobs/registry.hpp): shared by
// `trainsim run`, `batch`, `sweep` and the golden-summary tests; the memory check every simulating
// command runs first; and the rank programs a job plays (`trainsim run --dump-programs`,
// docs/programs.md).
#include <optional>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "engine/job.hpp"
#include "jobs/registry.hpp"
#include "output/atomic_file.hpp"
#include "program/program.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

JobOutcome run_job(const Scenario& scenario, const JobOptions& options, const JobKinds& kinds = job_kinds());

// The program sets the job plays, one per simulation (full DiLoCo workers: one per method),
// each with the suffix of its file name ("" or ".method<i>-<name>"). Throws InputError for jobs
// that are not rank programs (abstract DiLoCo workers).
std::vector<JobPrograms> job_programs(const Scenario& scenario, const JobKinds& kinds = job_kinds());

// job_programs(scenario) with the files they go to in `dir`: <scenario name><suffix>.programs.jsonl.
struct ProgramsFileOut {
  std::string path;
  program::ProgramSet set;
};
std::vector<ProgramsFileOut> programs_to_dump(const Scenario& scenario, const std::string& dir,
                                              const JobKinds& kinds = job_kinds());

// Writes a programs file atomically (output/atomic_file.hpp), replacing an existing file only
// when `existing` says so.
void write_programs_file(const std::string& path, const program::ProgramSet& set, output::Existing existing);

namespace limits {

// The sizes of `scenario`'s job (its kind's estimate); `keep_activities` when a trace file is written.
RunSize run_size(const Scenario& scenario, bool keep_activities, const JobKinds& kinds = job_kinds());

// The check every simulating command runs before building anything: the estimate of
// `scenario`'s job against memory_ceiling(option), refused at the scenario's `job:` key.
void check_run(const Scenario& scenario, bool keep_activities, const std::optional<std::string>& option,
               const JobKinds& kinds = job_kinds());

}  // namespace limits
}  // namespace trainsim
