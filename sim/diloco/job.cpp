#include "diloco/job.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/units.hpp"
#include "diloco/abstract_case.hpp"
#include "diloco/full_sim.hpp"
#include "engine/isolated.hpp"
#include "training/job.hpp"

namespace trainsim {

namespace {
// Rounds a trace shows when the steady state came after a drift jump (abstract_loop.hpp).
constexpr int kTraceRoundsAfterDrift = 64;
// Full workers: the most rounds played looking for a steady state (job.rounds doubled).
constexpr int kMaxFullRounds = 48;
}  // namespace

limits::RunSize diloco_run_size(const Scenario& scenario, const DilocoSpec& d, bool keep_activities) {
  limits::RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  const double clusters = static_cast<double>(scenario.platform.clusters.size());
  double activities = 0;
  if (d.worker == WorkerMode::Full && d.training) {
    // Full workers: every datacenter runs the replica's training job, a compute and a
    // communication actor per GPU (the compute and dp-comm streams of training/programs.cpp),
    // plus one outer-sync actor per GPU (its outer-comm stream, diloco/full_sim.cpp).
    const auto& p = d.training->plan;
    const double ranks = p.gpus();
    r.actors = clusters * 3 * ranks;
    int steps = 1;  // H of the method simulating the most steps (data-parallel syncs every step)
    for (const auto& m : d.methods)
      if (m.algorithm != SyncAlgorithm::DataParallel) steps = std::max(steps, m.inner_steps);
    const double iterations = static_cast<double>(d.rounds) * steps;
    const double layers = d.models.empty() ? 1.0 : d.models.front().layers;
    // Training rows as for a training job, over rounds x H iterations; outer rows per GPU: at
    // most one wait per iteration and one sync per fragment and round (fragments <= layers).
    activities = clusters * ranks * (iterations * training_rows_per_iteration(p) + iterations + d.rounds * layers);
  } else {
    // Abstract workers: one actor per cluster (replica); rows per inner step and fragment.
    r.actors = clusters;
    int steps = 1;
    for (const auto& m : d.methods) steps = std::max(steps, m.inner_steps);
    activities = r.actors * d.rounds * (steps + 64.0) * static_cast<double>(d.methods.size() * d.models.size());
  }
  r.activities = keep_activities ? activities : 0;
  return r;
}

namespace {
std::string slug(std::string s) {
  for (char& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return s;
}
}  // namespace

std::vector<JobPrograms> diloco_job_programs(const Scenario& scenario, const DilocoSpec& spec) {
  if (spec.worker != WorkerMode::Full)
    throw InputError(spec.where, "worker",
                     "abstract DiLoCo workers are a model of each datacenter, not GPU programs; "
                     "dump the programs of `worker: full`");
  std::vector<JobPrograms> out;
  for (size_t m = 0; m < spec.methods.size(); ++m)
    out.push_back({spec.methods.size() > 1 ? ".method" + std::to_string(m) + "-" + slug(spec.methods[m].name) : "",
                   full_programs(scenario.platform, spec, spec.methods[m], scenario.seed)});
  return out;
}

JobOutcome run_diloco_job(const Scenario& scenario, const DilocoSpec& spec, const JobOptions& options) {
  // Abstract workers: the exact event loop, here (no engine is created in this process). Full
  // workers: one SimGrid simulation per method, each in its own child.
  const bool full = spec.worker == WorkerMode::Full;
  std::vector<AbstractResult> out;
  std::vector<AbstractRun> runs;
  // Full workers: rounds played per method (doubled until the round lengths repeat).
  std::vector<int> played(spec.methods.size(), spec.rounds);
  if (full) {
    // Each method plays job.rounds rounds; one whose round lengths still change (no steady state
    // in them: warm-up left) plays again with twice as many, up to kMaxFullRounds, so the figures
    // are steady-state ones (issue 10). Each play is one SimGrid run in a child.
    out.assign(spec.methods.size(), AbstractResult{});
    std::vector<size_t> todo(spec.methods.size());
    for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
    while (!todo.empty()) {
      std::vector<std::function<std::string()>> jobs;
      for (size_t i : todo)
        jobs.push_back([&, i] {
          DilocoSpec s = spec;
          s.rounds = played[i];
          return simulate_full(scenario.platform, s, spec.methods[i], scenario.seed, {nullptr, options.whole_platform})
              .serialize();
        });
      const auto texts = run_isolated_all(jobs, 2);
      std::vector<size_t> again;
      for (size_t j = 0; j < todo.size(); ++j) {
        const size_t i = todo[j];
        out[i] = AbstractResult::parse(texts[j]);
        if (!out[i].cycle && 2 * played[i] <= kMaxFullRounds) {
          played[i] *= 2;
          again.push_back(i);
        }
      }
      todo = std::move(again);
    }
  } else {
    const AbstractWan wan = abstract_wan(scenario.platform, scenario.seed);
    for (const auto& model : spec.models)
      for (const auto& method : spec.methods) {
        runs.emplace_back();
        out.push_back(AbstractCase(scenario.platform, spec, model, method, wan).solve(0, &runs.back()));
      }
  }

  JobOutcome outcome;
  auto& t = outcome.trace;
  output::Table results;
  results.name = "diloco_results";
  results.text_names = {"model", "method"};
  results.numeric_names = {"utilization", "round_time_s", "wall_time_s", "wan_bytes_per_round", "wan_bytes_total",
                           "peak_wan_bandwidth_Bps", "max_wait_per_round_s", "extra_memory_per_gpu_B",
                           "rounds_simulated", "steady_round", "period", "exact_cycle"};
  results.text_columns.assign(2, {});
  results.numeric_columns.assign(results.numeric_names.size(), {});
  output::Table waits;
  waits.name = "diloco_worker_wait";
  waits.text_names = {"model", "method", "worker"};
  waits.numeric_names = {"compute_s", "window_s", "wait_s"};
  waits.text_columns.assign(3, {});
  waits.numeric_columns.assign(3, {});
  output::Table links;
  links.name = "diloco_wan_links";
  links.text_names = {"model", "method", "link"};
  links.numeric_names = {"bytes_per_round"};
  links.text_columns.assign(3, {});
  links.numeric_columns.assign(1, {});
  std::vector<std::string> notes;  // rounds without a repeating cycle

  size_t i = 0;
  for (const auto& model : spec.models)
    for (const auto& method : spec.methods) {
      const AbstractResult& r = out[i++];
      // Every figure is per round of the steady state (full workers: the one found in the rounds
      // played, diloco/full_sim.hpp).
      double max_wait = 0;
      for (size_t w = 0; w < r.workers.size(); ++w) {
        max_wait = std::max(max_wait, r.workers[w].wait);
        waits.text_columns[0].push_back(model.name), waits.text_columns[1].push_back(method.name);
        waits.text_columns[2].push_back(scenario.platform.clusters[w].name);
        waits.numeric_columns[0].push_back(r.workers[w].compute);
        waits.numeric_columns[1].push_back(r.workers[w].window);
        waits.numeric_columns[2].push_back(r.workers[w].wait);
      }
      for (size_t l = 0; l < r.wan_link_names.size(); ++l) {
        links.text_columns[0].push_back(model.name), links.text_columns[1].push_back(method.name);
        links.text_columns[2].push_back(r.wan_link_names[l]);
        links.numeric_columns[0].push_back(r.wan_link_bytes[l]);
      }
      // Wall time for the token budget: all workers together process M x tokens_per_step
      // tokens per inner step; a round is H steps.
      const int h = method.algorithm == SyncAlgorithm::DataParallel ? 1 : method.inner_steps;
      const double tokens_per_round = model.tokens_per_step * h * static_cast<double>(r.workers.size());
      const double budget_rounds = spec.tokens > 0 && tokens_per_round > 0 ? spec.tokens / tokens_per_round
                                                                           : std::numeric_limits<double>::quiet_NaN();
      const double wall = budget_rounds * r.round_time, wan_total = budget_rounds * r.wan_bytes_per_round;
      if (!r.cycle && !full)
        notes.push_back("  " + model.name + " / " + method.name + ": no repeating cycle within " +
                        std::to_string(AbstractCase::kMaxRounds) + " rounds; its figures are the mean of rounds " +
                        std::to_string(r.steady_round) + ".." + std::to_string(r.steady_round + r.period - 1));
      if (!r.cycle && full)
        notes.push_back("  warning: " + model.name + " / " + method.name + ": round lengths still change after " +
                        std::to_string(r.rounds) + " rounds (no steady state): its figures are the mean of rounds " +
                        std::to_string(r.steady_round + 1) + ".." + std::to_string(r.rounds) + " and may hold warm-up");
      results.text_columns[0].push_back(model.name), results.text_columns[1].push_back(method.name);
      const double vals[] = {r.utilization, r.round_time, wall, r.wan_bytes_per_round, wan_total,
                             r.peak_wan_bandwidth, max_wait, r.extra_memory_per_gpu,
                             static_cast<double>(r.rounds), static_cast<double>(r.steady_round),
                             static_cast<double>(r.period), r.cycle ? 1.0 : 0.0};
      for (size_t c = 0; c < results.numeric_names.size(); ++c) results.numeric_columns[c].push_back(vals[c]);
    }

  t.tables = {results, waits, links};
  t.summary.push_back({"workers", static_cast<double>(scenario.platform.clusters.size()), "1"});
  if (!results.numeric_columns[0].empty()) t.summary.push_back({"utilization", results.numeric_columns[0][0], "1"});

  auto& show = t.display;
  show.line(output::escape_template("DiLoCo (" + std::string(full ? "full" : "abstract") + " workers) on " +
                                    scenario.platform.name + ", ") +
                "{workers:count} workers; " +
                (full ? "figures per round of the steady state (job.rounds rounds played, doubled until their lengths "
                        "repeat)"
                      : "figures per round of the steady state (simulated until the rounds repeat)"),
            "title");
  // Scaled to the units of the headings: percent, hours, TB, GB, Gbit/s, GiB.
  using Column = output::ColumnDisplay;
  std::vector<Column> columns = {Column::text("model", "model"), Column::text("method", "method"),
                                 Column::number("utilization", "CU %", 2, 100),
                                 Column::number("round_time_s", "round s", 3)};
  if (spec.tokens > 0) {
    columns.push_back(Column::number("wall_time_s", "wall h", 2, 1, 3600));
    columns.push_back(Column::number("wan_bytes_total", "WAN TB", 3, 1, 1e12));
  }
  columns.insert(columns.end(), {Column::number("wan_bytes_per_round", "WAN GB/round", 3, 1, 1e9),
                                 Column::number("peak_wan_bandwidth_Bps", "peak WAN Gbit/s", 3, 8, 1e9),
                                 Column::number("max_wait_per_round_s", "wait s/round", 3),
                                 Column::number("extra_memory_per_gpu_B", "extra mem GiB/GPU", 3, 1, units::GiB)});
  show.table({"diloco_results", "", std::move(columns)});
  if (full) {
    show.line("");
    show.line("CU: busy compute (forward/backward with their TP collectives, optimizer) / wall time; peak WAN:");
    show.line("busiest window of about one inner step, both directions of a link together");
  }
  if (!notes.empty()) {
    show.line("");
    for (const auto& note : notes) show.text(note, "steady_state");
  }
  show.line("");
  show.line(std::string("who waits for whom (compute blocked on outer results") +
            (full ? ", plus idle behind the slowest replica" : "") + "):");
  show.rows("diloco_worker_wait", "  {model} / {method}: {worker} waits {wait_s:significant} s per round");

  // One (model, method) pair, or full workers (the first method): also its activities and
  // per-link WAN traffic over time, from one more simulation in this process (which has run
  // none itself: the children did).
  if (options.keep_activities && (out.size() == 1 || full)) {
    output::TraceData detail;
    if (full) {
      DilocoSpec s = spec;
      s.rounds = played[0];
      simulate_full(scenario.platform, s, spec.methods[0], scenario.seed, {&detail, options.whole_platform});
    } else {
      // The steady-state run, played on SimGrid (every round simulated: no drift jumps).
      SimgridPlayOptions o;
      o.trace = &detail;
      o.step_label = "inner step " + spec.models[0].name;
      o.sync_label = "outer sync " + spec.methods[0].name;
      const AbstractCase c(scenario.platform, spec, spec.models[0], spec.methods[0], abstract_wan(scenario.platform, scenario.seed));
      // A steady state reached after a drift of many rounds: the trace shows the first rounds.
      AbstractRun run = runs[0];
      if (run.jumped) run = {kTraceRoundsAfterDrift, 0, 0, false, false};
      c.play_simgrid(0, run, scenario.seed, o);
    }
    detail.tables = std::move(t.tables);
    detail.summary = std::move(t.summary);
    detail.display = std::move(t.display);
    t = std::move(detail);
  }
  return outcome;
}

}  // namespace trainsim
