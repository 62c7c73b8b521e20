#pragma once
// The table of job kinds: `job: {kind: <name>, ...}` dispatches to the parse function of <name>.
//
// To add a job kind (e.g. training):
//   1. add its spec type as an alternative of JobSpec in config/scenario.hpp;
//   2. write `JobSpec parse_training(YamlMap& job, const PlatformSpec& platform)` in its own
//      file sim/config/parse_training.cpp and declare it below;
//   3. add one line {"training", parse_training} to job_kinds() in config/job_kinds.cpp.
// The parse function reads every key except `kind` (already read) and throws InputErrors via
// job.error(key, ...); the scenario loader calls job.finish() afterwards, so unknown keys are
// refused without the parse function doing anything.
#include <vector>

#include "config/scenario.hpp"
#include "config/yaml_reader.hpp"

namespace trainsim {

using JobParseFn = JobSpec (*)(YamlMap& job, const PlatformSpec& platform);

struct JobKind {
  const char* name;
  JobParseFn parse;
};

const std::vector<JobKind>& job_kinds();

// config/parse_collective_benchmark.cpp
JobSpec parse_collective_benchmark(YamlMap& job, const PlatformSpec& platform);
// config/parse_training.cpp
JobSpec parse_training(YamlMap& job, const PlatformSpec& platform);
// config/parse_diloco.cpp
JobSpec parse_diloco(YamlMap& job, const PlatformSpec& platform);
// config/parse_programs.cpp
JobSpec parse_programs(YamlMap& job, const PlatformSpec& platform);

}  // namespace trainsim
