#pragma once
// Reading a job from YAML: the parse functions of the shipped job kinds, and the table of
// parsers the scenario loader dispatches `job: {kind: <name>, ...}` with. The table is not kept
// here: it is the registry's (jobs/registry.hpp), which holds each kind's parser with its size
// estimate, programs and run, so a kind registers once (docs/howto/job-kind.md).
//
// A parse function reads every key except `kind` (already read) and throws InputErrors via
// job.error(key, ...); the scenario loader calls job.finish() afterwards, so unknown keys are
// refused without the parse function doing anything.
#include <functional>
#include <string_view>
#include <vector>

#include "config/yaml_reader.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

struct JobParser {
  using Parse = std::function<JobSpec(YamlMap& job, const PlatformSpec& platform)>;
  std::string_view name;  // `job: {kind: <name>}`
  Parse parse;
};
// In the order the kinds are listed to users (errors' "expected one of").
using JobParsers = std::vector<JobParser>;

// config/parse_collective_benchmark.cpp
CollectiveBenchSpec parse_collective_benchmark(YamlMap& job, const PlatformSpec& platform);
// config/parse_training.cpp
TrainingSpec parse_training(YamlMap& job, const PlatformSpec& platform);
// config/parse_diloco.cpp
DilocoSpec parse_diloco(YamlMap& job, const PlatformSpec& platform);
// config/parse_programs.cpp
ProgramsSpec parse_programs(YamlMap& job, const PlatformSpec& platform);

}  // namespace trainsim
