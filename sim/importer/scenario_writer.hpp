#pragma once
// A training job written as a scenario file `trainsim run` accepts (docs/scenarios.md,
// "kind: training"), with every key of the job spelled out, so that the file shows each
// setting the import decided and two jobs are equal exactly when their texts are.
#include <cstdint>
#include <string>
#include <vector>

#include "training/spec.hpp"

namespace trainsim::importer {

struct ScenarioHeader {
  std::string name;
  uint64_t seed = 0;
  std::string platform;              // as the file names it (a path relative to the file)
  std::vector<std::string> comment;  // lines written as `# ...` above the keys
};

// `model: <preset>` when the model is a preset as it is (name included), else the full map.
std::string training_scenario_text(const ScenarioHeader& header, const TrainingSpec& job);

// The `job:` part alone (the canonical form of a job, for comparing two).
std::string training_job_text(const TrainingSpec& job);

}  // namespace trainsim::importer
