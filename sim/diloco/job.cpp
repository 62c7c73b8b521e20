#include "diloco/job.hpp"

#include <limits>
#include <sstream>

#include "diloco/abstract_sim.hpp"
#include "diloco/full_sim.hpp"
#include "engine/isolated.hpp"
#include "output/table_printer.hpp"

namespace trainsim {

JobOutcome run_diloco_job(const Scenario& scenario, const DilocoSpec& spec, const JobOptions& options) {
  std::vector<std::function<std::string()>> jobs;
  for (const auto& model : spec.models)
    for (const auto& method : spec.methods)
      jobs.push_back([&, mp = &model, hp = &method] {
        if (spec.worker == WorkerMode::Full)
          return simulate_full(scenario.platform, spec, *hp, scenario.seed, {nullptr, options.whole_platform}).serialize();
        return simulate_abstract(scenario.platform, spec, *mp, *hp, scenario.seed, {}).serialize();
      });
  const auto out = run_isolated_all(jobs, 2);

  JobOutcome outcome;
  auto& t = outcome.trace;
  output::TextTable table;
  table.text_column("model").text_column("method").number_column("CU %", 2).number_column("round s", 3);
  if (spec.tokens > 0) table.number_column("wall h", 2);
  table.number_column("WAN GB/round", 3).number_column("peak WAN Gbit/s", 3).number_column("wait s/round", 3)
      .number_column("extra mem GiB/GPU", 3);
  output::Table results;
  results.name = "diloco_results";
  results.text_names = {"model", "method"};
  results.numeric_names = {"utilization", "round_time_s", "wall_time_s", "wan_bytes_per_round", "wan_bytes_total",
                           "peak_wan_bandwidth_Bps", "max_wait_per_round_s", "extra_memory_per_gpu_B"};
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
  links.numeric_names = {"bytes"};
  links.text_columns.assign(3, {});
  links.numeric_columns.assign(1, {});
  std::ostringstream who;

  size_t i = 0;
  for (const auto& model : spec.models)
    for (const auto& method : spec.methods) {
      const AbstractResult r = AbstractResult::parse(out[i++]);
      const double rounds = spec.rounds - 1;
      double max_wait = 0;
      for (size_t w = 0; w < r.workers.size(); ++w) {
        max_wait = std::max(max_wait, r.workers[w].wait / rounds);
        waits.text_columns[0].push_back(model.name), waits.text_columns[1].push_back(method.name);
        waits.text_columns[2].push_back(scenario.platform.clusters[w].name);
        waits.numeric_columns[0].push_back(r.workers[w].compute);
        waits.numeric_columns[1].push_back(r.workers[w].window);
        waits.numeric_columns[2].push_back(r.workers[w].wait);
        who << "  " << model.name << " / " << method.name << ": " << scenario.platform.clusters[w].name << " waits "
            << output::format_fixed(r.workers[w].wait / rounds, 3) << " s per round\n";
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
      const double wall = spec.tokens > 0 && tokens_per_round > 0 ? spec.tokens / tokens_per_round * r.round_time
                                                                  : std::numeric_limits<double>::quiet_NaN();
      std::vector<output::TextTable::Cell> row = {model.name, method.name, 100 * r.utilization, r.round_time};
      if (spec.tokens > 0) row.push_back(wall / 3600);
      row.insert(row.end(), {r.wan_bytes_per_round / 1e9, r.peak_wan_bandwidth * 8 / 1e9, max_wait,
                             r.extra_memory_per_gpu / (1024.0 * 1024 * 1024)});
      table.add_row(row);
      results.text_columns[0].push_back(model.name), results.text_columns[1].push_back(method.name);
      const double vals[] = {r.utilization, r.round_time, wall, r.wan_bytes_per_round, r.wan_bytes,
                             r.peak_wan_bandwidth, max_wait, r.extra_memory_per_gpu};
      for (size_t c = 0; c < results.numeric_names.size(); ++c) results.numeric_columns[c].push_back(vals[c]);
    }

  std::ostringstream report;
  const bool full = spec.worker == WorkerMode::Full;
  report << "DiLoCo (" << (full ? "full" : "abstract") << " workers) on " << scenario.platform.name << ", " << scenario.platform.clusters.size()
         << " workers; measured over rounds 2.." << spec.rounds << "\n"
         << table.render()
         << (full ? "\nCU: busy compute (forward/backward with their TP collectives, optimizer) / wall time; peak WAN:\n"
                    "busiest window of about one inner step, both directions of a link together\n"
                  : "")
         << "\nwho waits for whom (compute blocked on outer results"
         << (full ? ", plus idle behind the slowest replica" : "") << "):\n"
         << who.str();
  outcome.report = report.str();
  t.tables = {results, waits, links};
  t.summary.push_back({"workers", static_cast<double>(scenario.platform.clusters.size()), "1"});
  if (!results.numeric_columns[0].empty()) t.summary.push_back({"utilization", results.numeric_columns[0][0], "1"});

  // One (model, method) pair, or full workers (the first method): also its activities and
  // per-link WAN traffic over time, from one more simulation in this process (which has run
  // none itself: the children did).
  if (options.keep_activities && (jobs.size() == 1 || full)) {
    output::TraceData detail;
    if (full) {
      simulate_full(scenario.platform, spec, spec.methods[0], scenario.seed, {&detail, options.whole_platform});
    } else {
      AbstractRunOptions o;
      o.keep_activities = true;
      o.trace = &detail;
      simulate_abstract(scenario.platform, spec, spec.models[0], spec.methods[0], scenario.seed, o);
    }
    detail.tables = std::move(t.tables);
    detail.summary = std::move(t.summary);
    t = std::move(detail);
  }
  return outcome;
}

}  // namespace trainsim
