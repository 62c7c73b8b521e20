#include "diloco/sweep.hpp"

#include <cmath>
#include <limits>

#include "engine/isolated.hpp"

namespace trainsim {

std::vector<double> sweep_grid(const SweepSpec& sweep) {
  std::vector<double> g;
  const double lo = std::log10(sweep.min_gbps), hi = std::log10(sweep.max_gbps);
  for (int i = 0; i < sweep.points; ++i)
    g.push_back(sweep.points == 1 ? sweep.min_gbps : std::pow(10.0, lo + (hi - lo) * i / (sweep.points - 1)));
  return g;
}

int grid_steps(const SweepSpec& sweep, double simulated_gbps, double published_gbps) {
  const double step = (std::log10(sweep.max_gbps) - std::log10(sweep.min_gbps)) / (sweep.points - 1);
  auto index = [&](double gbps) { return std::lround((std::log10(gbps) - std::log10(sweep.min_gbps)) / step); };
  return static_cast<int>(index(simulated_gbps) - index(published_gbps));
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Utilization of every (row, bandwidth) job, each in its own child.
std::vector<double> simulate_points(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed,
                                    const std::vector<std::pair<size_t, double>>& points, int parallel,
                                    const std::function<void(size_t, size_t)>& progress) {
  const size_t n_methods = spec.methods.size();
  std::vector<std::function<std::string()>> jobs;
  for (const auto& [row, gbps] : points) {
    const DilocoModel& model = spec.models[row / n_methods];
    const DilocoMethod& method = spec.methods[row % n_methods];
    const double bw = gbps;
    jobs.push_back([&platform, &spec, &model, &method, seed, bw] {
      AbstractRunOptions o;
      o.wan_gbps = bw;
      return simulate_abstract(platform, spec, model, method, seed, o).serialize();
    });
  }
  std::vector<ChildFailure> failures;
  auto out = run_isolated_all(jobs, parallel, &failures, progress);
  std::vector<double> cu;
  for (size_t i = 0; i < out.size(); ++i) {
    if (failures[i].failed) throw InternalError("sweep point failed: " + failures[i].message);
    cu.push_back(AbstractResult::parse(out[i]).utilization);
  }
  return cu;
}

}  // namespace

SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, int parallel,
                       const std::function<void(size_t, size_t)>& progress) {
  // A full-worker point is a whole multi-datacenter training run: far too costly for a grid of
  // 50 bandwidths per method, and `sweep` answers the paper's abstract question anyway.
  if (spec.worker == WorkerMode::Full)
    throw InputError(spec.where, "worker", "trainsim sweep needs worker: abstract (full workers are run one by one with trainsim run)");
  SweepOutcome outcome;
  const auto grid = sweep_grid(spec.sweep);
  const size_t rows = spec.models.size() * spec.methods.size();
  std::vector<std::pair<size_t, double>> points;
  for (size_t r = 0; r < rows; ++r)
    for (double g : grid) points.emplace_back(r, g);
  const auto cu = simulate_points(platform, spec, seed, points, parallel, progress);
  outcome.simulations += points.size();

  // Grid thresholds and the brackets to refine.
  struct Bracket {
    size_t row, target;
    double lo, hi;  // lo does not reach the target, hi does
  };
  std::vector<Bracket> open;
  for (size_t r = 0; r < rows; ++r) {
    MethodSweep ms;
    ms.model = spec.models[r / spec.methods.size()].name;
    ms.method = spec.methods[r % spec.methods.size()].name;
    ms.gbps = grid;
    ms.utilization.assign(cu.begin() + static_cast<long>(r * grid.size()),
                          cu.begin() + static_cast<long>((r + 1) * grid.size()));
    for (size_t t = 0; t < spec.sweep.targets.size(); ++t) {
      Threshold th;
      th.target = spec.sweep.targets[t];
      th.grid_gbps = th.exact_gbps = th.published_gbps = kNaN;
      for (const auto& p : spec.published)
        if (p.model == ms.model && p.method == ms.method) th.published_gbps = p.gbps[t];
      for (size_t i = 0; i < grid.size(); ++i)
        if (ms.utilization[i] >= th.target) {
          th.grid_gbps = grid[i];
          if (i > 0) open.push_back({r, t, grid[i - 1], grid[i]});
          break;
        }
      ms.thresholds.push_back(th);
    }
    outcome.rows.push_back(std::move(ms));
  }

  // Bisection in log space; every round simulates all open brackets' midpoints together.
  for (int step = 0; step < spec.sweep.bisection_steps && !open.empty(); ++step) {
    std::vector<std::pair<size_t, double>> mids;
    for (const auto& b : open) mids.emplace_back(b.row, std::sqrt(b.lo * b.hi));
    const auto mcu = simulate_points(platform, spec, seed, mids, parallel, progress);
    outcome.simulations += mids.size();
    for (size_t i = 0; i < open.size(); ++i) {
      const double target = spec.sweep.targets[open[i].target];
      (mcu[i] >= target ? open[i].hi : open[i].lo) = mids[i].second;
    }
  }
  for (const auto& b : open) outcome.rows[b.row].thresholds[b.target].exact_gbps = b.hi;
  // With no bisection step, the grid bracket's upper end is the best exact value known.
  return outcome;
}

}  // namespace trainsim
