// The evaluation behind `compare` and `sweep` (evaluation/), called as library code on
// hand-made inputs: errors, speed-ups, mapping gains, ranks, and grades in grid steps, each
// against a hand computation.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "configurator/node_grid.hpp"
#include "evaluation/compare.hpp"
#include "evaluation/sweep_grade.hpp"
#include "output/result_json.hpp"

using namespace trainsim;
using namespace trainsim::configurator;

namespace {

Recommendation rec(Method m, int pp, int tp, int dp, double predicted, std::vector<int> nodes = {}) {
  Recommendation r;
  r.method = m;
  r.config.pp = pp, r.config.tp = tp, r.config.dp = dp;
  r.grid = megatron_grid(2, pp);
  if (!nodes.empty()) r.grid.nodes = nodes;
  r.predicted = predicted;
  r.memory = 1e9;
  return r;
}

}  // namespace

TEST_CASE("evaluation: compare's pick error, speed-up, mapping gain and ranks by hand", "[evaluation]") {
  // Two nodes; Megatron's pick runs 2.0 s; Pipette ranks a remapped pp2 first (predicted 0.9 s,
  // simulated 1.0 s; 1.25 s in Megatron's order) and pp1 second (predicted 1.1 s, simulated 0.8 s).
  const Recommendation megatron = rec(Method::Megatron, 1, 8, 2, NAN);
  const Recommendation p1 = rec(Method::Pipette, 2, 8, 1, 0.9, {1, 0});
  const Recommendation p2 = rec(Method::Pipette, 1, 4, 4, 1.1);
  std::map<std::string, double> seconds = {{placement_key(megatron), 2.0},
                                           {placement_key(p1), 1.0},
                                           {placement_key(evaluation::in_default_order(p1)), 1.25},
                                           {placement_key(p2), 0.8}};
  SimulationCache cache([&](const std::vector<Recommendation>& recs, const Progress&) {
    std::vector<SimulatedRun> out;
    for (const auto& r : recs) out.push_back({seconds.at(placement_key(r)), false});
    return out;
  });
  const std::vector<Method> methods = {Method::Pipette, Method::Megatron};
  const evaluation::RankingOf ranking = [&](Method m) {
    return m == Method::Pipette ? std::vector<Recommendation>{p1, p2} : std::vector<Recommendation>{megatron};
  };
  const auto todo = evaluation::runs_to_compare(megatron, methods, ranking, 5);
  CHECK(todo.size() == 6);  // Megatron's pick, Pipette's two and its pick in default order, Megatron's and its own
  cache.ensure(todo);
  const auto cmp = evaluation::compare_methods(methods, ranking, OracleResult{}, cache, megatron, 5, 1);
  CHECK(cmp.megatron_s == 2.0);
  REQUIRE(cmp.methods.size() == 2);
  const auto& pipette = cmp.methods[0];
  CHECK(pipette.error == Approx((0.9 - 1.0) / 1.0).epsilon(1e-12));
  CHECK(pipette.speedup_vs_megatron == Approx(2.0));
  CHECK(pipette.default_order_s == 1.25);
  CHECK(pipette.mapping_gain == Approx(1.25));
  REQUIRE(pipette.top.size() == 2);
  CHECK(pipette.top[0].simulated_rank == 2);  // 1.0 s is slower than the second pick's 0.8 s
  CHECK(pipette.top[1].simulated_rank == 1);
  CHECK(pipette.agreement.n == 2);
  CHECK(cmp.methods[1].speedup_vs_megatron == 1.0);
  // The tables: a row per method, per top-K candidate, per feasible configuration ranked.
  CHECK(cmp.methods_table.rows() == 2);
  CHECK(cmp.candidates.rows() == 3);
  CHECK(cmp.space.rows() == 3);
  CHECK(output::numeric_column(cmp.methods_table, "speedup_vs_megatron")[0] == Approx(2.0));
}

TEST_CASE("evaluation: sweep thresholds graded against published ones in grid steps", "[evaluation]") {
  SweepSpec sweep;  // 50 points from 0.1 to 1000 Gbit/s
  sweep.targets = {0.5, 0.8, 0.9, 0.95};
  auto grid = [&](int i) { return 0.1 * std::pow(10.0, i * 4.0 / 49); };
  MethodSweep row;
  row.model = "1B", row.method = "DiLoCo";
  row.gbps = {grid(0), grid(1)};
  row.utilization = {0.4, 0.6};
  row.thresholds = {{0.5, grid(25), grid(25), grid(25)},   // the same grid point: 0 steps
                    {0.8, grid(27), grid(27), grid(25)},   // two steps above the published value
                    {0.9, NAN, NAN, grid(30)},             // never reached: compared, not within
                    {0.95, grid(40), grid(40), NAN}};      // nothing published: not compared
  SweepOutcome outcome;
  outcome.rows = {row};
  outcome.simulations = 7;
  const auto e = evaluation::evaluate_sweep(sweep, outcome);
  CHECK(e.grade.compared == 3);
  CHECK(e.grade.within_one_step == 1);
  CHECK(e.grade.within_two_steps == 2);
  REQUIRE(e.steps_from_published.size() == 1);
  CHECK(e.steps_from_published[0][0] == 0);
  CHECK(e.steps_from_published[0][1] == 2);
  CHECK(std::isnan(e.steps_from_published[0][2]));
  CHECK(e.thresholds.rows() == 4);
  CHECK(e.curves.rows() == 2);
  output::TraceData t;
  t.summary = e.metrics;
  CHECK(output::metric_value(t, "simulations") == 7);
  CHECK(output::metric_value(t, "cells_within_two_steps") == 2);
}
