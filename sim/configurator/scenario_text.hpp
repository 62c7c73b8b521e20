#pragma once
// A recommendation written as a scenario file that `trainsim run` accepts unchanged (the
// `training` job format of config/parse_training.cpp, docs/scenarios.md).
#include <cstdint>
#include <string>

#include "configurator/configurator.hpp"
#include "training/spec.hpp"

namespace trainsim::configurator {

struct ScenarioHeader {
  std::string name;           // scenario name
  uint64_t seed = 0;
  std::string platform_path;  // as it should appear in the file (relative to the file)
  std::string comment;        // first line(s) of the file, without '#'
};

// The job: the base job's model and options, the recommendation's degrees and micro-batch,
// 1F1B, one iteration, and `mapping:` when the placement is not Megatron's default order.
std::string scenario_text(const ScenarioHeader& header, const TrainingSpec& base, const Recommendation& r,
                          int gpus_per_node);

}  // namespace trainsim::configurator
