#include "jobs/programs_job.hpp"

#include <sstream>

#include "collective/benchmark.hpp"
#include "collective_benchmark/job.hpp"
#include "config/programs_file.hpp"
#include "core/units.hpp"
#include "diloco/full_sim.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/table_printer.hpp"
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
  std::ostringstream os;
  os << "# programs: " << set.ranks.size() << " ranks (" << set.programs.size() << " distinct programs"
     << (kind.empty() ? "" : ", from a " + kind + " job") << ") from " << spec.file << " on platform '"
     << scenario.platform.name << "'\n\n";
  if (kind == "collective_benchmark") {
    Recorder recorder(sim.network(), options.keep_activities);
    BenchMeter meter(set);
    play_file({&recorder, &meter});
    JobOutcome out = benchmark_outcome(meter.results(), static_cast<int>(set.groups.at(0).gpus.size()),
                                       scenario.platform.name, std::move(recorder.finish(Simulation::now())));
    out.report = os.str() + out.report;
    return out;
  }
  const bool diloco = kind == "diloco_full";
  // Full DiLoCo's peak WAN bandwidth comes from the link series: activities are kept.
  Recorder recorder(sim.network(), options.keep_activities || diloco);
  TrainingMeter meter(set);
  const double makespan = play_file({&recorder, &meter});
  JobOutcome out;
  out.trace = std::move(recorder.finish(makespan));
  const Network& net = sim.network();
  const auto& gpu = scenario.platform.clusters[net.location(set.ranks.at(0).gpu).cluster].gpu;
  if (diloco) {
    const AbstractResult r = full_result(set, meter, out.trace);
    os << "DiLoCo full workers: utilization " << units::format_percent(r.utilization) << ", round "
       << units::format_time(r.round_time) << ", WAN " << units::format_size(r.wan_bytes_per_round) << " per round\n";
    for (size_t w = 0; w < r.workers.size(); ++w)
      os << "  replica " << w << ": compute " << units::format_time(r.workers[w].compute) << ", wait "
         << units::format_time(r.workers[w].wait) << " over " << units::format_time(r.workers[w].window) << "\n";
    out.trace.summary.push_back({"workers", static_cast<double>(r.workers.size()), "1"});
    out.trace.summary.push_back({"utilization", r.utilization, "1"});
  } else {
    const TrainingResult r = meter.result(gpu.memory_bytes);
    describe_training(r, load_training_accounting(set.job), gpu, os, out.trace);
  }
  out.report = os.str();
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
