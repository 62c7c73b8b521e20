#pragma once
// `trainsim sweep`'s evaluation as library code (docs/diloco.md, "Sweep"): a sweep's curves and
// thresholds as result tables, and its thresholds graded against the published ones in grid
// steps (the paper's Table 4 convention). Callable from tests and benches; the command prints.
#include <cstddef>
#include <vector>

#include "diloco/sweep.hpp"
#include "output/trace.hpp"

namespace trainsim::evaluation {

// How the simulated thresholds hold up against the published ones: cells with a published
// value, and of those the ones whose first grid point is within one and two grid steps of it
// (a cell the sweep never reached counts as compared, never as within).
struct PublishedGrade {
  size_t compared = 0, within_one_step = 0, within_two_steps = 0;
};

struct SweepEvaluation {
  // Signed grid steps of each threshold's grid value over the published one (grid_steps), per
  // row and target of SweepOutcome::rows; NaN without both values.
  std::vector<std::vector<double>> steps_from_published;
  PublishedGrade grade;
  // Tables `utilization` (model, method; bandwidth_gbps, utilization: the curves) and
  // `thresholds` (model, method; target, grid_gbps, exact_gbps, published_gbps,
  // grid_steps_from_published), in the outcome's order.
  output::Table curves, thresholds;
  // Metrics simulations, cells_compared, cells_within_one_step, cells_within_two_steps (no
  // wall-clock figure: the same scenario and seed give the same results).
  std::vector<output::SummaryValue> metrics;
};

SweepEvaluation evaluate_sweep(const SweepSpec& sweep, const SweepOutcome& outcome);

}  // namespace trainsim::evaluation
