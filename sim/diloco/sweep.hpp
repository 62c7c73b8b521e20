#pragma once
// Bandwidth sweeps of abstract-worker DiLoCo jobs: compute utilization versus WAN bandwidth
// for every (model, method), and the bandwidth each utilization target needs, both as the
// first point of the log grid that reaches it (the paper's Table 4 convention) and as an
// exact value found by bisection between that point and the one before it.
// Every point is its own simulation in its own child process (engine/isolated.hpp).
#include <functional>
#include <string>
#include <vector>

#include "diloco/abstract_sim.hpp"
#include "diloco/spec.hpp"
#include "platform/spec.hpp"

namespace trainsim {

// `points` bandwidths from min to max, evenly spaced in log (Gbit/s).
std::vector<double> sweep_grid(const SweepSpec& sweep);

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
  size_t simulations = 0;
};

// Runs the sweep with at most `parallel` children at a time. `progress(done, total)` reports
// finished simulations of the current batch.
SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, int parallel,
                       const std::function<void(size_t, size_t)>& progress = {});

// Grid steps between two bandwidths on the sweep's log grid (signed: simulated over published).
// Both are first mapped to the nearest grid point: published values are grid points rounded to
// one decimal (0.9 stands for 0.954), so comparing indices removes that rounding.
int grid_steps(const SweepSpec& sweep, double simulated_gbps, double published_gbps);

}  // namespace trainsim
