#include "evaluation/sweep_grade.hpp"

#include <cmath>
#include <limits>

namespace trainsim::evaluation {

SweepEvaluation evaluate_sweep(const SweepSpec& sweep, const SweepOutcome& outcome) {
  SweepEvaluation e;
  e.curves = output::Table::with_columns("utilization", {"model", "method"}, {"bandwidth_gbps", "utilization"});
  e.thresholds = output::Table::with_columns("thresholds", {"model", "method"},
                                             {"target", "grid_gbps", "exact_gbps", "published_gbps",
                                              "grid_steps_from_published"});
  PublishedGrade& g = e.grade;
  for (const auto& row : outcome.rows) {
    auto& steps = e.steps_from_published.emplace_back();
    for (const auto& th : row.thresholds) {
      double signed_steps = std::numeric_limits<double>::quiet_NaN();
      if (!std::isnan(th.published_gbps) && !std::isnan(th.grid_gbps)) {
        signed_steps = grid_steps(sweep, th.grid_gbps, th.published_gbps);
        const double n = std::abs(signed_steps);
        ++g.compared;
        g.within_one_step += n <= 1;
        g.within_two_steps += n <= 2;
      } else if (!std::isnan(th.published_gbps)) {
        ++g.compared;
      }
      steps.push_back(signed_steps);
      e.thresholds.add_row({row.model, row.method},
                           {th.target, th.grid_gbps, th.exact_gbps, th.published_gbps, signed_steps});
    }
    for (size_t i = 0; i < row.gbps.size(); ++i)
      e.curves.add_row({row.model, row.method}, {row.gbps[i], row.utilization[i]});
  }
  e.metrics = {{"simulations", static_cast<double>(outcome.simulations), "1"},
               {"cells_compared", static_cast<double>(g.compared), "1"},
               {"cells_within_one_step", static_cast<double>(g.within_one_step), "1"},
               {"cells_within_two_steps", static_cast<double>(g.within_two_steps), "1"}};
  return e;
}

}  // namespace trainsim::evaluation
