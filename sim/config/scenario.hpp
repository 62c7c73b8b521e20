#pragma once
// Scenario: everything one run needs, as plain values. Loaded by config/loader.hpp.
#include <cstdint>
#include <string>
#include <variant>

#include "collective/spec.hpp"
#include "core/error.hpp"
#include "diloco/spec.hpp"
#include "platform/spec.hpp"
#include "program/spec.hpp"
#include "training/spec.hpp"

namespace trainsim {

struct OutputSpec {
  std::string trace;  // HDF5 trace path ("" = none); the CLI's --trace overrides it
};

// The job variants grow with the issues (training, DiLoCo, ...); each has its own spec type
// in its module and its own parse function in config/.
using JobSpec = std::variant<CollectiveBenchSpec, TrainingSpec, DilocoSpec, ProgramsSpec>;

struct Scenario {
  std::string file;   // path of the scenario file
  std::string text;   // its full text (stored in traces)
  std::string name;
  uint64_t seed = 0;
  SourceLocation job_at;  // the `job:` key, where job-wide refusals (resource limits) point
  PlatformSpec platform;
  JobSpec job;
  OutputSpec output;
};

}  // namespace trainsim
