#pragma once
// The registry of job kinds: for each kind, everything trainsim does with it — read it from a
// scenario file, estimate its size, build its rank programs, run it. A kind registers once, with
// one make_kind line (the shipped kinds: jobs/registry.cpp's list; a program or test adds its
// own kinds to a copy of that table). Every command reaches a job through this table: no other
// code dispatches over the kinds (docs/howto/job-kind.md).
#include <functional>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "config/job_kinds.hpp"
#include "core/limits.hpp"
#include "engine/job.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

struct JobKind {
  std::string_view name;          // `job: {kind: <name>}`: the spec type's `kind`
  const std::type_info* spec;     // the spec type (scenario/job_spec.hpp)
  JobParser::Parse parse;         // YAML -> JobSpec (config/job_kinds.hpp)
  // The memory model's sizes, before anything is built (checked against the host-memory limit);
  // `keep_activities` when a trace file is written.
  std::function<limits::RunSize(const Scenario&, bool keep_activities)> size;
  // The rank programs the job plays (`--dump-programs`); InputError for a job without programs.
  std::function<std::vector<JobPrograms>(const Scenario&)> programs;
  // Simulates the job: its report and trace.
  std::function<JobOutcome(const Scenario&, const JobOptions&)> run;
};

// A kind's entry from its typed functions, each receiving its own spec: the one registration
// line. A missing or mistyped function is a compile error.
template <JobSpecType Spec>
JobKind make_kind(Spec (*parse)(YamlMap&, const PlatformSpec&),
                  limits::RunSize (*size)(const Scenario&, const Spec&, bool),
                  std::vector<JobPrograms> (*programs)(const Scenario&, const Spec&),
                  JobOutcome (*run)(const Scenario&, const Spec&, const JobOptions&)) {
  return {Spec::kind,
          &typeid(Spec),
          [parse](YamlMap& job, const PlatformSpec& platform) { return JobSpec(parse(job, platform)); },
          [size](const Scenario& s, bool keep) { return size(s, s.job.as<Spec>(), keep); },
          [programs](const Scenario& s) { return programs(s, s.job.as<Spec>()); },
          [run](const Scenario& s, const JobOptions& o) { return run(s, s.job.as<Spec>(), o); }};
}

// A table of job kinds, in the order they are listed to users.
class JobKinds {
 public:
  // InternalError when two entries share a name or a spec type.
  explicit JobKinds(std::vector<JobKind> kinds);
  // This table with `more` kinds after its own.
  JobKinds with(std::vector<JobKind> more) const;

  const std::vector<JobKind>& all() const { return kinds_; }
  // The parsers, for the scenario loader (config/loader.hpp).
  const JobParsers& parsers() const { return parsers_; }
  // The entry of `job`'s kind; InternalError when the table does not have it (a job built in
  // code of a kind that was not registered).
  const JobKind& of(const JobSpec& job) const;

 private:
  std::vector<JobKind> kinds_;
  JobParsers parsers_;
};

// The shipped job kinds (jobs/registry.cpp): what `trainsim` and its commands run.
const JobKinds& job_kinds();

}  // namespace trainsim
