// Table 4 of the Streaming DiLoCo paper (scenarios/diloco/table4.yaml): every published cell
// within two grid steps, at least 90% within one.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <variant>

#include "diloco/sweep.hpp"
#include "jobs/load.hpp"

using namespace trainsim;

TEST_CASE("Table 4 rows (1B, 10B): simulated thresholds versus published") {
  Scenario sc = load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/diloco/table4.yaml");
  DilocoSpec spec = sc.job.as<DilocoSpec>();
  // Only the models with published rows (the 100B one has none).
  std::vector<DilocoModel> kept;
  for (const auto& m : spec.models)
    for (const auto& p : spec.published)
      if (p.model == m.name) {
        kept.push_back(m);
        break;
      }
  spec.models = kept;
  REQUIRE(spec.models.size() == 2);
  spec.sweep.bisection_steps = 0;  // the grid values are what the table reports
  SweepOutcome out = run_sweep(sc.platform, spec, sc.seed, 2);
  int cells = 0, within1 = 0, within2 = 0;
  for (const auto& row : out.rows)
    for (const auto& th : row.thresholds) {
      REQUIRE_FALSE(std::isnan(th.published_gbps));
      REQUIRE_FALSE(std::isnan(th.grid_gbps));
      const int steps = std::abs(grid_steps(spec.sweep, th.grid_gbps, th.published_gbps));
      INFO(row.model << " " << row.method << " " << th.target << ": simulated " << th.grid_gbps << ", published "
                     << th.published_gbps);
      CHECK(steps <= 2);
      ++cells;
      within1 += steps <= 1;
      within2 += steps <= 2;
    }
  CHECK(cells == 50);
  CHECK(within2 == cells);
  CHECK(within1 >= 0.9 * cells);
}

TEST_CASE("grid steps compare nearest grid points") {
  SweepSpec s;  // 50 points, 0.1 .. 1000 Gbit/s: one step is a factor 10^(4/49)
  const auto g = sweep_grid(s);
  REQUIRE(g.size() == 50);
  CHECK(g.front() == Approx(0.1));
  CHECK(g.back() == Approx(1000));
  CHECK(g[1] / g[0] == Approx(std::pow(10.0, 4.0 / 49)));
  CHECK(grid_steps(s, g[36], 86.8) == 0);  // 86.8 is grid point 36 rounded
  CHECK(grid_steps(s, g[37], 86.8) == 1);
  CHECK(grid_steps(s, g[34], 86.8) == -2);
  CHECK(grid_steps(s, g[12], 0.9) == 0);   // 0.9 lies nearest to 0.954 (point 12)
}
