#pragma once
// `job: {kind: training, ...}` read into a TrainingSpec without the job-kind checks of
// parse_training (config/job_kinds.hpp): what tests and tools that build programs themselves use.
#include "config/yaml_reader.hpp"
#include "platform/spec.hpp"
#include "scenario/training_spec.hpp"

namespace trainsim {

// Every key of a training job, validated (InputError at the key). Does not call job.finish().
TrainingSpec read_training(YamlMap& job, const PlatformSpec& platform);

}  // namespace trainsim
