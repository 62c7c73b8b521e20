#pragma once
// `kind: sleep`, a job kind that is not shipped: `gpus` GPUs each compute for `duration`. It is
// the proof of the seam of docs/howto/job-kind.md: everything about the kind lives in this one
// folder (its spec, its parser, its size estimate, its programs and its run), and it registers in
// one line (tests/jobs/test_job_kind.cpp), through the same API as the shipped kinds.
#include <string_view>
#include <vector>

#include "config/yaml_reader.hpp"
#include "core/limits.hpp"
#include "engine/job.hpp"
#include "scenario/scenario.hpp"

namespace trainsim::testing {

struct SleepSpec {
  static constexpr std::string_view kind = "sleep";  // `job: {kind: sleep}`
  int gpus = 1;          // GPUs 0..gpus-1 of the platform
  double duration = 0;   // seconds of compute on each
  SourceLocation where;  // the job map
};

// `job: {kind: sleep, gpus: <1..platform GPUs>, duration: <time > 0>}`.
SleepSpec parse_sleep(YamlMap& job, const PlatformSpec& platform);
// One actor per GPU, one trace row per GPU.
limits::RunSize sleep_run_size(const Scenario& scenario, const SleepSpec& spec, bool keep_activities);
// One program (a compute op of `duration`) shared by every rank.
std::vector<JobPrograms> sleep_job_programs(const Scenario& scenario, const SleepSpec& spec);
// Plays the programs on the scenario's platform; reports the makespan.
JobOutcome run_sleep_job(const Scenario& scenario, const SleepSpec& spec, const JobOptions& options);

}  // namespace trainsim::testing
