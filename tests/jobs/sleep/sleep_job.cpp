#include "sleep/sleep_job.hpp"

#include <string>

#include "core/units.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "program/builder.hpp"

namespace trainsim::testing {
namespace {

program::ProgramSet sleep_programs(const SleepSpec& spec) {
  program::Builder b;
  program::Program p;
  program::ProgramWriter(p).compute(b.stream("compute"), spec.duration, program::Role::Compute);
  const int shared = b.add_program(p);
  for (int gpu = 0; gpu < spec.gpus; ++gpu) b.add_rank(gpu, shared, {});
  b.job().kind = std::string(SleepSpec::kind);
  return b.finish();
}

}  // namespace

SleepSpec parse_sleep(YamlMap& job, const PlatformSpec& platform) {
  SleepSpec spec;
  spec.where = job.location();
  spec.gpus = static_cast<int>(job.get_int("gpus", 1, static_cast<long long>(platform.total_gpus())));
  spec.duration = job.get_quantity("duration", units::Kind::Time, Bound::Positive);
  return spec;
}

limits::RunSize sleep_run_size(const Scenario& scenario, const SleepSpec& spec, bool keep_activities) {
  limits::RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  r.actors = spec.gpus;
  r.activities = keep_activities ? spec.gpus : 0;
  return r;
}

std::vector<JobPrograms> sleep_job_programs(const Scenario&, const SleepSpec& spec) {
  std::vector<JobPrograms> out;
  out.push_back({"", sleep_programs(spec)});
  return out;
}

JobOutcome run_sleep_job(const Scenario& scenario, const SleepSpec& spec, const JobOptions& options) {
  const program::ProgramSet set = sleep_programs(spec);
  SimulationOptions scope;
  if (!options.whole_platform) scope.gpus = gpus_of(set);
  Simulation sim(scenario.platform, scenario.seed, scope);
  Recorder recorder(sim.network(), options.keep_activities);
  const double makespan = play(sim, set, {&recorder});
  JobOutcome out;
  out.trace = std::move(recorder.finish(makespan));
  out.trace.summary.push_back({"makespan", makespan, "s"});
  // Its summary as every job's: a display of the result, printed by output/terminal_summary.
  out.trace.display.text("# sleep: " + std::to_string(spec.gpus) + " GPUs on platform '" + scenario.platform.name + "'");
  out.trace.display.line("makespan: {makespan:time}");
  return out;
}

}  // namespace trainsim::testing
