#pragma once
// Scenario: everything one run needs, as plain values. Loaded by jobs/load.hpp (with the
// registered job kinds). The shipped kinds' specs live in this folder (their headers are
// included for the code that builds them); a new kind's spec can live in the kind's own folder.
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "platform/spec.hpp"
#include "scenario/collective_benchmark_spec.hpp"
#include "scenario/diloco_spec.hpp"
#include "scenario/job_spec.hpp"
#include "scenario/programs_spec.hpp"
#include "scenario/training_spec.hpp"

namespace trainsim {

struct OutputSpec {
  std::string trace;  // HDF5 trace path ("" = none); the CLI's --trace overrides it
};

struct Scenario {
  std::string file;   // path of the scenario file
  std::string text;   // its full text (stored in traces)
  std::string name;
  uint64_t seed = 0;
  SourceLocation job_at;   // the `job:` key, where job-wide refusals (resource limits) point
  SourceLocation kind_at;  // the `job.kind` value, where refusals of the job's kind point
  PlatformSpec platform;
  // `platform:` as written when it names a shipped platform by its bare name ("" otherwise):
  // writers of scenarios (configure) keep the name, which resolves from anywhere.
  std::string platform_name;
  JobSpec job;  // any registered job kind (scenario/job_spec.hpp, jobs/registry.hpp)
  OutputSpec output;
};

}  // namespace trainsim
