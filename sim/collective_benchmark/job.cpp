#include "collective_benchmark/job.hpp"

#include <sstream>

#include "collective/group.hpp"
#include "core/units.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "output/table_printer.hpp"

namespace trainsim {

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

  output::TextTable table;
  table.text_column("collective").text_column("algorithm").number_column("ranks", 0);
  table.number_column("size(B)", 0).number_column("time(us)", 2).number_column("algbw(GB/s)", 2);
  table.number_column("busbw(GB/s)", 2);
  output::Table t{"collectives", {"ranks", "bytes", "seconds", "algbw", "busbw"}, {{}, {}, {}, {}, {}},
                  {"collective", "algorithm"}, {{}, {}}};
  for (const auto& r : results) {
    table.add_row({collective_name(r.what.kind), algorithm_name(r.what.algorithm), double(r.ranks), r.what.bytes,
                   r.seconds * 1e6, r.algbw / 1e9, r.busbw / 1e9});
    const double vals[] = {double(r.ranks), r.what.bytes, r.seconds, r.algbw, r.busbw};
    for (int c = 0; c < 5; ++c) t.numeric_columns[c].push_back(vals[c]);
    t.text_columns[0].push_back(collective_name(r.what.kind));
    t.text_columns[1].push_back(algorithm_name(r.what.algorithm));
  }
  out.trace.tables.push_back(std::move(t));
  std::ostringstream os;
  os << "# collective benchmark: " << ranks << " GPUs on platform '" << platform_name << "'\n";
  table.print(os);
  out.report = os.str();
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
