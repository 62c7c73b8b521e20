#include "collective_benchmark/job.hpp"

#include "collective/group.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "output/trace.hpp"

namespace trainsim {
namespace {

// GPUs in the benchmark's group, counted without resolving it (the estimate runs before the
// group is checked against the platform).
double group_size(const CollectiveBenchSpec& s, const PlatformSpec& p) {
  const auto& g = s.group;
  if (!g.gpus.empty()) return static_cast<double>(g.gpus.size());
  const ClusterSpec* cluster = &p.clusters.front();
  for (const auto& c : p.clusters)
    if (c.name == g.cluster) cluster = &c;
  if (g.nodes > 0) return static_cast<double>(g.nodes) * (g.gpus_per_node ? g.gpus_per_node : cluster->gpus_per_node);
  if (!g.cluster.empty()) return static_cast<double>(cluster->nodes) * cluster->gpus_per_node;
  return p.total_gpus();
}

}  // namespace

limits::RunSize benchmark_run_size(const Scenario& scenario, const CollectiveBenchSpec& c, bool keep_activities) {
  limits::RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  r.actors = group_size(c, scenario.platform);
  // One record per GPU per collective call (measured: 512 GPUs x 3 sizes -> 1536 rows).
  const double activities = r.actors * limits::message_size_count(c.min_bytes, c.max_bytes, c.factor) *
                            static_cast<double>(c.collectives.size() * c.algorithms.size());
  r.activities = keep_activities ? activities : 0;
  return r;
}

std::vector<JobPrograms> benchmark_job_programs(const Scenario& scenario, const CollectiveBenchSpec& spec) {
  const auto gpus = resolve_group(spec.group, scenario.platform, spec.where);
  std::vector<JobPrograms> out;
  out.push_back({"", benchmark_programs(benchmark_cases(spec), gpus, spec.granularity)});
  return out;
}

std::vector<BenchResult> run_collective_benchmark(Simulation& sim, const CollectiveBenchSpec& spec,
                                                  const std::vector<int>& gpus, Recorder* recorder,
                                                  Granularity granularity) {
  const auto set = benchmark_programs(benchmark_cases(spec), gpus, granularity);
  BenchMeter meter(set);
  play(sim, set, {recorder, &meter});
  return meter.results();
}

JobOutcome run_benchmark_job(const Scenario& scenario, const CollectiveBenchSpec& spec, const JobOptions& options) {
  const auto gpus = resolve_group(spec.group, scenario.platform, spec.where);
  SimulationOptions scope;
  if (!options.whole_platform) scope.gpus = gpus;
  Simulation sim(scenario.platform, scenario.seed, scope);
  Recorder recorder(sim.network(), options.keep_activities);
  const auto results = run_collective_benchmark(sim, spec, gpus, &recorder, spec.granularity);
  return benchmark_outcome(results, static_cast<int>(gpus.size()), scenario.platform.name,
                           std::move(recorder.finish(Simulation::now())));
}

JobOutcome benchmark_outcome(const std::vector<BenchResult>& results, int ranks, const std::string& platform_name,
                             output::TraceData trace) {
  JobOutcome out;
  out.trace = std::move(trace);
  output::Table t{"collectives", {"ranks", "bytes", "seconds", "algbw", "busbw"}, {{}, {}, {}, {}, {}},
                  {"collective", "algorithm"}, {{}, {}}};
  for (const auto& r : results) {
    const double vals[] = {double(r.ranks), r.what.bytes, r.seconds, r.algbw, r.busbw};
    for (int c = 0; c < 5; ++c) t.numeric_columns[c].push_back(vals[c]);
    t.text_columns[0].push_back(collective_name(r.what.kind));
    t.text_columns[1].push_back(algorithm_name(r.what.algorithm));
  }
  out.trace.tables.push_back(std::move(t));
  out.trace.display.text("# collective benchmark: " + std::to_string(ranks) + " GPUs on platform '" + platform_name + "'",
                         "title");
  using Column = output::ColumnDisplay;
  // nccl-tests' columns: microseconds and decimal GB/s.
  out.trace.display.table({"collectives",
                           "",
                           {Column::text("collective", "collective"),
                            Column::text("algorithm", "algorithm"),
                            Column::number("ranks", "ranks", 0),
                            Column::number("bytes", "size(B)", 0),
                            Column::number("seconds", "time(us)", 2, 1e6),
                            Column::number("algbw", "algbw(GB/s)", 2, 1, 1e9),
                            Column::number("busbw", "busbw(GB/s)", 2, 1, 1e9)}});
  out.trace.summary.push_back({"ranks", double(ranks), "1"});
  out.trace.summary.push_back({"cases", double(results.size()), "1"});
  // Per collective and algorithm: the latency end (smallest size) and the bandwidth end.
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const std::string key = std::string(collective_name(r.what.kind)) + "." + algorithm_name(r.what.algorithm);
    const bool first = i == 0 || results[i - 1].what.kind != r.what.kind || results[i - 1].what.algorithm != r.what.algorithm;
    const bool last = i + 1 == results.size() || results[i + 1].what.kind != r.what.kind ||
                      results[i + 1].what.algorithm != r.what.algorithm;
    if (first) out.trace.summary.push_back({"time_smallest." + key, r.seconds, "s"});
    if (last) out.trace.summary.push_back({"busbw_largest." + key, r.busbw, "B/s"});
  }
  return out;
}

}  // namespace trainsim
