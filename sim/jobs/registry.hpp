#pragma once
// The registry of job kinds: what trainsim does with each alternative of JobSpec
// (scenario/scenario.hpp) once it is parsed. One entry per kind, in jobs/registry.cpp; its name
// and parse function are config/job_kinds.cpp's entry at the same index (YAML reading stays in
// config/, below the simulator). Every command reaches a job through this table: no other code
// dispatches over the kinds (docs/howto/job-kind.md).
#include <functional>
#include <string_view>
#include <vector>

#include "core/limits.hpp"
#include "engine/job.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

struct JobKind {
  std::string_view name;  // `job: {kind: <name>}`
  // The memory model's sizes, before anything is built (checked against the host-memory limit);
  // `keep_activities` when a trace file is written.
  std::function<limits::RunSize(const Scenario&, bool keep_activities)> size;
  // The rank programs the job plays (`--dump-programs`); InputError for a job without programs.
  std::function<std::vector<JobPrograms>(const Scenario&)> programs;
  // Simulates the job: its report and trace.
  std::function<JobOutcome(const Scenario&, const JobOptions&)> run;
};

// One entry per JobSpec alternative, in the variant's order.
const std::vector<JobKind>& job_kind_registry();

// The entry of `job`'s kind.
const JobKind& job_kind(const JobSpec& job);

}  // namespace trainsim
