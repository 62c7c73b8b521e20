#pragma once
// Bandwidth sweeps of abstract-worker DiLoCo jobs: compute utilization versus WAN bandwidth
// for every (model, method), and the bandwidth each utilization target needs, both as the
// first point of the log grid that reaches it (the paper's Table 4 convention) and as an
// exact value found by bisection between that point and the one before it.
// Every point is the steady state of its own simulation, from the exact event loop on threads of
// this process (or, to check it, replayed on SimGrid in child processes).
#include <functional>
#include <string>
#include <vector>

#include "diloco/abstract_sim.hpp"
#include "diloco/spec.hpp"
#include "platform/spec.hpp"
#include "scaleout/runs.hpp"

namespace trainsim {

// `points` bandwidths from min to max, evenly spaced in log (Gbit/s).
std::vector<double> sweep_grid(const SweepSpec& sweep);
// Significant digits that print neighbouring grid points differently: at least 4.
int sweep_grid_digits(const SweepSpec& sweep);

struct Threshold {
  double target = 0;
  double grid_gbps = 0;       // first grid point reaching the target; NaN if none does
  double exact_gbps = 0;      // bisection result; NaN if not bracketed by the grid
  double published_gbps = 0;  // NaN if the scenario gives none
};

struct MethodSweep {
  std::string model, method;
  std::vector<double> gbps, utilization;  // the curve, on the grid
  std::vector<Threshold> thresholds;      // one per sweep target
};

struct SweepOutcome {
  std::vector<MethodSweep> rows;  // models x methods, in scenario order
  size_t simulations = 0;         // every point of the sweep, journalled ones included
  size_t resumed = 0;             // of which taken from the journal (or shards' parts) instead of simulated
  size_t without_cycle = 0;       // points whose run never repeated: their figures are a mean
};

// The sweep's phases: the whole grid in one batch, then `bisection_steps` batches of one
// midpoint per open bracket. Both sizes are known when the phase starts.
enum class SweepPhase { Grid, Bisection };

// Exact: the event loop (abstract_loop.hpp). SimGrid: each point's run replayed on SimGrid in a
// child process, the reference the exact loop is checked against (docs/diloco.md).
enum class SweepEngine { Exact, SimGrid };

struct SweepControl {
  int parallel = 2;  // threads (exact) or child processes (SimGrid) at a time
  SweepEngine engine = SweepEngine::Exact;
  // Called in the parent as points finish: (phase, done, total) within the phase, where a
  // phase counts every point, journalled ones included (they are "done" from the start).
  // Bisection rounds add up to one phase: total = open brackets x bisection steps.
  std::function<void(SweepPhase, size_t, size_t)> progress;
  // Where the points' results come from (scaleout/runs.hpp): simulated here (null, or a local
  // Runs with the resume journal), one shard of a sharded sweep, or the merge of its shards. The
  // grid is one batch; the bisection brackets are independent chains (each bracket's next
  // midpoint depends on its own results only), so a sharded sweep has two rounds.
  scaleout::Runs* runs = nullptr;
  // Prefix of every journal key: identifies the scenario and seed (sweep_journal_tag), so a
  // journal left by an edited scenario is never reused for it.
  std::string journal_tag;
};

// "<fnv1a-64 of the scenario text and seed, hex>": a journal key prefix (SweepControl).
std::string sweep_journal_tag(const std::string& scenario_text, uint64_t seed);
// The journal key of one point: tag, model, method (each as <length>:<name>) and the
// bandwidth's exact value.
std::string sweep_point_key(const std::string& tag, const std::string& model, const std::string& method, double gbps);
// Points of the grid phase (models x methods x grid points) and the most the bisection can add
// (models x methods x targets x steps): the denominator of "resuming: N of M runs".
size_t sweep_grid_points(const DilocoSpec& spec);
size_t sweep_max_points(const DilocoSpec& spec);

// Runs the sweep with at most `parallel` simulations at a time. `progress(done, total)` reports
// finished simulations of the current batch.
SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, int parallel,
                       const std::function<void(size_t, size_t)>& progress = {});
SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, const SweepControl& control);

// Grid steps between two bandwidths on the sweep's log grid (signed: simulated over published).
// Both are first mapped to the nearest grid point: published values are grid points rounded to
// one decimal (0.9 stands for 0.954), so comparing indices removes that rounding.
int grid_steps(const SweepSpec& sweep, double simulated_gbps, double published_gbps);

}  // namespace trainsim
