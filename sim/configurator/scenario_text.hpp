#pragma once
// A recommendation written as a scenario file that `trainsim run` accepts unchanged: the input
// scenario as the user wrote it (model, every job option, stragglers, seed, and keys this code
// does not know of) with only what the recommendation decides replaced. So the written file
// simulates exactly what the configurator simulated (tests/configurator/test_end_to_end.cpp).
#include <string>

#include "configurator/configurator.hpp"

namespace trainsim::configurator {

struct ScenarioHeader {
  std::string name;           // scenario name
  std::string platform_path;  // `platform:` as it should appear (relative to the written file); "" keeps an inline platform
  std::string comment;        // first line(s) of the file, without '#'
};

// `input_yaml`: the text of the input scenario (already loaded once, so valid). Replaced:
// `name`, `platform` (when a path is given), and in `job`: `parallelism`, `micro_batch`,
// `schedule: 1f1b`, `chunks` (removed: one), `layers_per_stage` (the recommendation's split or
// removed for the even one), `mapping` (explicit unless Megatron's order) and `iterations: 1`.
std::string scenario_text(const ScenarioHeader& header, const std::string& input_yaml, const Recommendation& r,
                          int gpus_per_node);

}  // namespace trainsim::configurator
