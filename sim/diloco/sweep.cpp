#include "diloco/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>

#include "diloco/abstract_case.hpp"
#include "engine/isolated.hpp"
#include "scaleout/manifest.hpp"
#include "scaleout/runs.hpp"

namespace trainsim {

std::vector<double> sweep_grid(const SweepSpec& sweep) {
  std::vector<double> g;
  const double lo = std::log10(sweep.min_gbps), hi = std::log10(sweep.max_gbps);
  for (int i = 0; i < sweep.points; ++i)
    g.push_back(sweep.points == 1 ? sweep.min_gbps : std::pow(10.0, lo + (hi - lo) * i / (sweep.points - 1)));
  return g;
}

int sweep_grid_digits(const SweepSpec& sweep) {
  // Neighbours differ by the factor r = (max / min)^(1 / (points - 1)): printing d significant
  // digits tells them apart when a relative step of 10^(1 - d) is below r - 1, with one digit to
  // spare for rounding.
  if (sweep.points < 2) return 4;
  const double r = std::pow(sweep.max_gbps / sweep.min_gbps, 1.0 / (sweep.points - 1));
  return std::max(4, static_cast<int>(std::ceil(-std::log10(r - 1))) + 2);
}

int grid_steps(const SweepSpec& sweep, double simulated_gbps, double published_gbps) {
  const double step = (std::log10(sweep.max_gbps) - std::log10(sweep.min_gbps)) / (sweep.points - 1);
  auto index = [&](double gbps) { return std::lround((std::log10(gbps) - std::log10(sweep.min_gbps)) / step); };
  return static_cast<int>(index(simulated_gbps) - index(published_gbps));
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Runs job(i) for every i in [0, n) on `parallel` threads and hands each result to done(i, result)
// in the calling thread, in the order they finish. The first exception stops the others and is
// rethrown here.
void parallel_map(size_t n, int parallel, const std::function<std::string(size_t)>& job,
                  const std::function<void(size_t, const std::string&)>& done) {
  if (n == 0) return;
  if (parallel <= 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) done(i, job(i));
    return;
  }
  std::mutex mutex;
  std::condition_variable finished;
  std::deque<std::pair<size_t, std::string>> results;
  std::exception_ptr error;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (size_t i; !stop && (i = next++) < n;) {
      try {
        std::string r = job(i);
        std::lock_guard lock(mutex);
        results.emplace_back(i, std::move(r));
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
      finished.notify_one();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel && static_cast<size_t>(t) < n; ++t) threads.emplace_back(work);
  size_t received = 0;
  std::unique_lock lock(mutex);
  while (received < n && !error) {
    finished.wait(lock, [&] { return !results.empty() || error; });
    while (!results.empty()) {
      auto [i, r] = std::move(results.front());
      results.pop_front();
      lock.unlock();
      done(i, r);
      ++received;
      lock.lock();
    }
  }
  stop = true;
  lock.unlock();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

// Simulates the points at `positions` of `points`: the exact event loop on `parallel` threads
// of this process, or each point's steady-state run replayed on SimGrid in its own child.
// Results go to done() in this thread as they finish (scaleout::Runs records them).
void simulate_points(const std::vector<AbstractCase>& cases, uint64_t seed, const std::vector<std::pair<size_t, double>>& points,
                     const SweepControl& control, const std::vector<size_t>& positions, const scaleout::Runs::Done& done,
                     const std::function<void(size_t)>& progress) {
  size_t finished = 0;
  if (control.engine == SweepEngine::Exact) {
    parallel_map(
        positions.size(), control.parallel,
        [&](size_t j) {
          const auto& [row, gbps] = points[positions[j]];
          return cases[row].solve(gbps).serialize();
        },
        [&](size_t j, const std::string& text) {
          done(positions[j], text);
          if (progress) progress(++finished);
        });
    return;
  }
  std::vector<std::function<std::string()>> jobs;
  for (size_t p : positions)
    jobs.push_back([&cases, &points, p, seed] {
      const auto& [row, gbps] = points[p];
      const AbstractCase& c = cases[row];
      AbstractRun run;
      c.solve(gbps, &run, /*jumps=*/false);
      return c.figures(gbps, run, c.play_simgrid(gbps, run, seed)).serialize();
    });
  std::vector<ChildFailure> failures;
  auto out = run_isolated_all(jobs, control.parallel, &failures, [&](size_t n, size_t) {
    if (progress) progress(n);
  });
  for (size_t j = 0; j < out.size(); ++j) {
    if (failures[j].failed) throw InternalError("sweep point failed: " + failures[j].message);
    done(positions[j], out[j]);
  }
}

// The journal keys of `points`.
std::vector<std::string> point_keys(const DilocoSpec& spec, const SweepControl& control,
                                    const std::vector<std::pair<size_t, double>>& points) {
  const size_t n_methods = spec.methods.size();
  std::vector<std::string> keys;
  for (const auto& [row, gbps] : points)
    keys.push_back(sweep_point_key(control.journal_tag, spec.models[row / n_methods].name,
                                   spec.methods[row % n_methods].name, gbps));
  return keys;
}

// The Runs simulate function of a batch of points; `already`: points of the batch that needed
// no simulation (for the progress count).
scaleout::Runs::Simulate simulator(const std::vector<AbstractCase>& cases, uint64_t seed,
                                   const std::vector<std::pair<size_t, double>>& points, const SweepControl& control,
                                   const std::function<void(size_t)>& progress) {
  return [&cases, seed, &points, &control, &progress](const std::vector<size_t>& positions,
                                                      const scaleout::Runs::Done& done) {
    const size_t already = points.size() - positions.size();
    if (progress) progress(already);
    simulate_points(cases, seed, points, control, positions, done,
                    [&](size_t n) { if (progress) progress(already + n); });
  };
}

// One result per point: utilization, and whether its run reached a cycle.
AbstractResult parse_point(const std::string& text, SweepOutcome& outcome) {
  AbstractResult r = AbstractResult::parse(text);
  outcome.without_cycle += !r.cycle;
  return r;
}

}  // namespace

std::string sweep_journal_tag(const std::string& scenario_text, uint64_t seed) {
  // FNV-1a (scaleout::fingerprint): portable and stable across builds, unlike std::hash. The
  // result format's version is mixed in, so a journal of an older trainsim (other figures) is
  // never reused.
  std::string text = "steady-state results v4\n" + scenario_text;
  for (int i = 0; i < 8; ++i) text += static_cast<char>(static_cast<unsigned char>(seed >> (8 * i)));
  return scaleout::fingerprint(text);
}

std::string sweep_point_key(const std::string& tag, const std::string& model, const std::string& method, double gbps) {
  // %a: the bandwidth's exact binary value, so a resumed sweep matches its points bit for bit.
  char bw[64];
  std::snprintf(bw, sizeof bw, "%a", gbps);
  // Names as <length>:<name>, so that no two (model, method) pairs share a key ("a / b" with "c"
  // and "a" with "b / c" would).
  return tag + " " + std::to_string(model.size()) + ":" + model + " / " + std::to_string(method.size()) + ":" + method +
         " @ " + bw;
}

size_t sweep_grid_points(const DilocoSpec& spec) {
  return spec.models.size() * spec.methods.size() * static_cast<size_t>(std::max(spec.sweep.points, 0));
}

size_t sweep_max_points(const DilocoSpec& spec) {
  return sweep_grid_points(spec) + spec.models.size() * spec.methods.size() * spec.sweep.targets.size() *
                                       static_cast<size_t>(std::max(spec.sweep.bisection_steps, 0));
}

SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, int parallel,
                       const std::function<void(size_t, size_t)>& progress) {
  SweepControl control;
  control.parallel = parallel;
  if (progress) control.progress = [&progress](SweepPhase, size_t done, size_t total) { progress(done, total); };
  return run_sweep(platform, spec, seed, control);
}

SweepOutcome run_sweep(const PlatformSpec& platform, const DilocoSpec& spec, uint64_t seed, const SweepControl& control) {
  // A full-worker point is a whole multi-datacenter training run: far too costly for a grid of
  // 50 bandwidths per method, and `sweep` answers the paper's abstract question anyway.
  if (spec.worker == WorkerMode::Full)
    throw InputError(spec.where, "worker", "trainsim sweep needs worker: abstract (full workers are run one by one with trainsim run)");
  SweepOutcome outcome;
  const auto grid = sweep_grid(spec.sweep);
  const size_t rows = spec.models.size() * spec.methods.size();
  const AbstractWan wan = abstract_wan(platform, seed);
  std::vector<AbstractCase> cases;
  for (const auto& model : spec.models)
    for (const auto& method : spec.methods) cases.emplace_back(platform, spec, model, method, wan);
  std::vector<std::pair<size_t, double>> points;
  for (size_t r = 0; r < rows; ++r)
    for (double g : grid) points.emplace_back(r, g);
  auto grid_progress = [&](size_t done) {
    if (control.progress) control.progress(SweepPhase::Grid, done, points.size());
  };
  scaleout::Runs local = scaleout::Runs::local();
  scaleout::Runs& runs = control.runs ? *control.runs : local;
  const size_t reused_before = runs.reused();
  std::vector<double> cu;
  for (const auto& text : runs.all(point_keys(spec, control, points), simulator(cases, seed, points, control, grid_progress)))
    cu.push_back(parse_point(text, outcome).utilization);
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

  // Bisection in log space; every step simulates all open brackets' midpoints together. Each
  // bracket is a chain of its own (scaleout/runs.hpp): in a shard, the brackets of other shards
  // stop at their first step (their results come from those shards' parts).
  // Every bracket stays open for every step, so the phase's size is known now.
  const size_t bisection_total = open.size() * static_cast<size_t>(std::max(spec.sweep.bisection_steps, 0));
  std::vector<bool> stopped(open.size(), false);
  for (int step = 0; step < spec.sweep.bisection_steps && !open.empty(); ++step) {
    std::vector<std::pair<size_t, double>> mids;
    std::vector<size_t> chain;
    for (size_t i = 0; i < open.size(); ++i)
      if (!stopped[i]) mids.emplace_back(open[i].row, std::sqrt(open[i].lo * open[i].hi)), chain.push_back(i);
    if (mids.empty()) break;
    const size_t before = static_cast<size_t>(step) * open.size();
    auto mid_progress = [&](size_t done) {
      if (control.progress) control.progress(SweepPhase::Bisection, before + done, bisection_total);
    };
    const auto texts = runs.chains(point_keys(spec, control, mids), chain, simulator(cases, seed, mids, control, mid_progress));
    outcome.simulations += mids.size();
    for (size_t j = 0; j < mids.size(); ++j) {
      Bracket& b = open[chain[j]];
      if (!texts[j]) {
        stopped[chain[j]] = true;
        continue;
      }
      const double target = spec.sweep.targets[b.target];
      (parse_point(*texts[j], outcome).utilization >= target ? b.hi : b.lo) = mids[j].second;
    }
  }
  outcome.resumed = runs.reused() - reused_before;
  for (const auto& b : open) outcome.rows[b.row].thresholds[b.target].exact_gbps = b.hi;
  // With no bisection step, the grid bracket's upper end is the best exact value known.
  return outcome;
}

}  // namespace trainsim
