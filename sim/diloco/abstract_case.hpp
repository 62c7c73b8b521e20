#pragma once
// One (model, method) pair of an abstract-worker job, ready to be simulated at any WAN
// bandwidth (docs/diloco.md, "Model" and "Steady state"). `solve` gives the steady state's
// figures from the exact event loop in the calling process; `replay_simgrid` plays the same
// run on SimGrid (the reference, and the source of a trace's activities).
#include <vector>

#include "diloco/abstract_program.hpp"
#include "diloco/abstract_sim.hpp"
#include "diloco/abstract_timeline.hpp"
#include "diloco/abstract_wan.hpp"
#include "diloco/result.hpp"
#include "diloco/sync_plan.hpp"
#include "platform/spec.hpp"
#include "scenario/diloco_spec.hpp"

namespace trainsim {

class AbstractCase {
 public:
  // `wan`: abstract_wan(platform, seed), shared by every case of a job.
  AbstractCase(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
               const DilocoMethod& method, const AbstractWan& wan);

  // Most rounds a search for the steady state simulates (drift jumps not counted).
  static constexpr int kMaxRounds = 8192;

  // The steady state at `gbps` (Gbit/s on the first WAN link, the others scaled alike; <= 0:
  // the platform's own WAN): the exact loop from an empty start until its state repeats, or the
  // mean over its last rounds if it does not within kMaxRounds (abstract_loop.hpp). `run`, if
  // given, receives the run the figures come from. `jumps`: see LoopLimits (false: a run every
  // round of which was simulated, which SimGrid can replay).
  AbstractResult solve(double gbps, AbstractRun* run = nullptr, bool jumps = true) const;

  // Timelines of a given run, from either engine (play_simgrid needs a process without engine).
  AbstractTimeline play_exact(double gbps, const AbstractRun& run) const;
  AbstractTimeline play_simgrid(double gbps, const AbstractRun& run, uint64_t seed,
                                const SimgridPlayOptions& options = {}) const;
  // Figures of `run` from a timeline of it.
  AbstractResult figures(double gbps, const AbstractRun& run, const AbstractTimeline& timeline) const;

  const AbstractProgram& program() const { return program_; }
  const std::vector<double>& unit() const { return unit_; }

 private:
  PlatformSpec platform_;
  SyncPlan plan_;
  AbstractProgram program_;
  AbstractWan wan_;
  std::vector<double> unit_;  // per worker: seconds of one compute node
  double step_time_ = 0;
  double extra_memory_ = 0;
};

// One (model, method) pair at the platform's own WAN: AbstractCase(...).solve(0), with the WAN
// read from SimGrid in a child process (abstract_wan, heterogeneity drawn with `seed`).
AbstractResult simulate_abstract(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
                                 const DilocoMethod& method, uint64_t seed, AbstractRun* run = nullptr);

}  // namespace trainsim
