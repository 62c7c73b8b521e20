#include "jobs/programs_job.hpp"

#include "collective/benchmark.hpp"
#include "collective_benchmark/job.hpp"
#include "config/programs_file.hpp"
#include "diloco/full_sim.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/trace.hpp"
#include "program/executor.hpp"
#include "training/job.hpp"
#include "training/meter.hpp"

namespace trainsim {

JobOutcome run_programs_job(const Scenario& scenario, const ProgramsSpec& spec, const JobOptions& options) {
  const ProgramsFile file = load_programs_file(spec, scenario.platform.total_gpus());
  const program::ProgramSet& set = file.set;
  SimulationOptions scope;  // only the GPUs the programs run on
  if (!options.whole_platform) scope.gpus = gpus_of(set);
  Simulation sim(scenario.platform, scenario.seed, scope);
  // Programs that cannot complete are bad input: reported at an op that waits for ever.
  auto play_file = [&](const PlayOptions& play_options) {
    try {
      return play(sim, set, play_options);
    } catch (const program::ProgramDeadlock& e) {
      throw InputError(file.op_location(e.program(), e.op()), "", e.what());
    }
  };
  const std::string& kind = set.job.kind;
  // The summary's header, before the job kind's own lines: what was played (words from the inputs).
  output::SummaryLayout header;
  header.text("# programs: " + std::to_string(set.ranks.size()) + " ranks (" + std::to_string(set.programs.size()) +
                  " distinct programs" + (kind.empty() ? "" : ", from a " + kind + " job") + ") from " + spec.file +
                  " on platform '" + scenario.platform.name + "'",
              "title");
  header.line("");
  if (kind == "collective_benchmark") {
    Recorder recorder(sim.network(), options.keep_activities);
    BenchMeter meter(set);
    play_file({&recorder, &meter});
    output::TraceData trace = recorder.finish(Simulation::now());
    trace.display = std::move(header);
    return benchmark_outcome(meter.results(), static_cast<int>(set.groups.at(0).gpus.size()), scenario.platform.name,
                             std::move(trace));
  }
  const bool diloco = kind == "diloco_full";
  // Full DiLoCo's peak WAN bandwidth comes from the link series: activities are kept.
  Recorder recorder(sim.network(), options.keep_activities || diloco);
  TrainingMeter meter(set);
  const double makespan = play_file({&recorder, &meter});
  JobOutcome out;
  out.trace = std::move(recorder.finish(makespan));
  out.trace.display = std::move(header);
  const Network& net = sim.network();
  const auto& gpu = scenario.platform.clusters[net.location(set.ranks.at(0).gpu).cluster].gpu;
  if (diloco) {
    const AbstractResult r = full_result(set, meter, out.trace);
    out.trace.summary.push_back({"workers", static_cast<double>(r.workers.size()), "1"});
    out.trace.summary.push_back({"utilization", r.utilization, "1"});
    // The round's figures and each replica's, as tables (the summary values above are the ones
    // a DiLoCo job's full workers give: the programs round trip compares them).
    auto round = output::Table::with_columns("diloco_round", {}, {"utilization", "round_time_s", "wan_bytes_per_round"});
    round.add_row({}, {r.utilization, r.round_time, r.wan_bytes_per_round});
    auto replicas = output::Table::with_columns("diloco_replicas", {}, {"replica", "compute_s", "window_s", "wait_s"});
    for (size_t w = 0; w < r.workers.size(); ++w)
      replicas.add_row({}, {static_cast<double>(w), r.workers[w].compute, r.workers[w].window, r.workers[w].wait});
    out.trace.tables.push_back(std::move(round));
    out.trace.tables.push_back(std::move(replicas));
    out.trace.display.rows("diloco_round",
                           "DiLoCo full workers: utilization {utilization:percent}, round {round_time_s:time}, "
                           "WAN {wan_bytes_per_round:size} per round");
    out.trace.display.rows("diloco_replicas",
                           "  replica {replica:count}: compute {compute_s:time}, wait {wait_s:time} over {window_s:time}");
  } else {
    const TrainingResult r = meter.result(gpu.memory_bytes);
    describe_training(r, load_training_accounting(set.job), gpu, out.trace);
  }
  return out;
}

limits::RunSize programs_run_size(const Scenario& scenario, const ProgramsSpec& p, bool keep_activities) {
  limits::RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  // An actor per rank and stream (at most), a trace row per op played.
  r.actors = static_cast<double>(p.ranks) * static_cast<double>(p.streams);
  const double activities = p.programs > 0 ? static_cast<double>(p.ranks) * static_cast<double>(p.ops) / p.programs : 0;
  r.activities = keep_activities ? activities : 0;
  return r;
}

std::vector<JobPrograms> programs_job_programs(const Scenario& scenario, const ProgramsSpec& spec) {
  std::vector<JobPrograms> out;
  out.push_back({"", load_programs_file(spec, scenario.platform.total_gpus()).set});
  return out;
}

}  // namespace trainsim
