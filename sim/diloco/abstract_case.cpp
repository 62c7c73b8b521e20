#include "diloco/abstract_case.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "diloco/abstract_loop.hpp"

namespace trainsim {

AbstractCase::AbstractCase(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
                           const DilocoMethod& method, const AbstractWan& wan)
    : platform_(platform),
      plan_(model, method, static_cast<int>(platform.clusters.size())),
      program_(make_abstract_program(plan_)),
      wan_(wan),
      step_time_(model.step_time) {
  const int m = static_cast<int>(platform.clusters.size());
  if (m > 128) throw InputError(spec.where, "job", "at most 128 workers (datacenters) are supported");
  for (int i = 0; i < m; ++i) {
    const double factor = i < static_cast<int>(spec.workers.size()) ? spec.workers[static_cast<size_t>(i)].step_time_factor : 1.0;
    unit_.push_back(model.step_time * factor / (3.0 * plan_.layers() - 1.0));
  }
  for (const auto& c : platform.clusters)
    extra_memory_ = std::max(extra_memory_, plan_.extra_memory_per_gpu(model.parameters, c.nodes * c.gpus_per_node));
}

AbstractResult AbstractCase::solve(double gbps, AbstractRun* run, bool jumps) const {
  const AbstractWan wan = wan_.scaled(gbps);
  LoopLimits limits;
  limits.max_rounds = kMaxRounds;
  limits.jumps = jumps;
  LoopOutcome out = trainsim::play_exact(program_, wan, unit_, step_time_, limits);
  if (out.run.period == 0) throw InternalError("abstract run ended without a steady state");
  if (run) *run = out.run;
  return abstract_figures({&program_, &wan, unit_, step_time_, extra_memory_}, out.run, out.timeline);
}

AbstractTimeline AbstractCase::play_exact(double gbps, const AbstractRun& run) const {
  if (run.jumped) throw InternalError("a run with drift jumps cannot be replayed: solve it with jumps off");
  LoopLimits limits;
  limits.rounds = run.rounds;
  return trainsim::play_exact(program_, wan_.scaled(gbps), unit_, step_time_, limits).timeline;
}

AbstractTimeline AbstractCase::play_simgrid(double gbps, const AbstractRun& run, uint64_t seed,
                                            const SimgridPlayOptions& options) const {
  if (run.jumped) throw InternalError("a run with drift jumps cannot be replayed: solve it with jumps off");
  return trainsim::play_simgrid(platform_, gbps, program_, unit_, run, seed, options);
}

AbstractResult AbstractCase::figures(double gbps, const AbstractRun& run, const AbstractTimeline& timeline) const {
  const AbstractWan wan = wan_.scaled(gbps);
  return abstract_figures({&program_, &wan, unit_, step_time_, extra_memory_}, run, timeline);
}

AbstractResult simulate_abstract(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
                                 const DilocoMethod& method, uint64_t seed, AbstractRun* run) {
  return AbstractCase(platform, spec, model, method, abstract_wan(platform, seed)).solve(0, run);
}

}  // namespace trainsim
