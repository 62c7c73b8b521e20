#pragma once
// The parsers of job kinds: `job: {kind: <name>, ...}` dispatches to the parse function of
// <name>. One entry per JobSpec alternative (scenario/scenario.hpp), in its order; what is done
// with a parsed job is the registry's (jobs/registry.hpp, which checks the two tables agree).
// Adding a job kind: docs/howto/job-kind.md.
//
// A parse function reads every key except `kind` (already read) and throws InputErrors via
// job.error(key, ...); the scenario loader calls job.finish() afterwards, so unknown keys are
// refused without the parse function doing anything.
#include <string_view>
#include <vector>

#include "config/yaml_reader.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

using JobParseFn = JobSpec (*)(YamlMap& job, const PlatformSpec& platform);

struct JobParser {
  const char* name;
  JobParseFn parse;
};

// One entry per JobSpec alternative, in the variant's order (jobs/registry.cpp checks it).
const std::vector<JobParser>& job_parsers();

// The kind name of `job` (as written after `kind:`).
std::string_view job_kind_name(const JobSpec& job);

// config/parse_collective_benchmark.cpp
JobSpec parse_collective_benchmark(YamlMap& job, const PlatformSpec& platform);
// config/parse_training.cpp
JobSpec parse_training(YamlMap& job, const PlatformSpec& platform);
// config/parse_diloco.cpp
JobSpec parse_diloco(YamlMap& job, const PlatformSpec& platform);
// config/parse_programs.cpp
JobSpec parse_programs(YamlMap& job, const PlatformSpec& platform);

}  // namespace trainsim
