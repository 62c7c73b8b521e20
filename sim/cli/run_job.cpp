#include "cli/run_job.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <variant>

#include "cli/args.hpp"
#include "collective/group.hpp"
#include "collective_benchmark/job.hpp"
#include "config/programs_file.hpp"
#include "core/units.hpp"
#include "diloco/full_sim.hpp"
#include "diloco/job.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "program/executor.hpp"
#include "output/atomic_file.hpp"
#include "output/table_printer.hpp"
#include "output/output_error.hpp"
#include "program/format.hpp"
#include "training/job.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"

namespace trainsim {
namespace {

// Programs from a file: played, then summarised as the job that produced them would be
// (training, full DiLoCo workers, collective benchmark), or as training-like metrics when they
// come from elsewhere.
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
    os << "DiLoCo full workers: utilization " << output::format_fixed(100 * r.utilization, 2) << " %, round "
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

std::string slug(std::string s) {
  for (char& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return s;
}

}  // namespace

JobOutcome run_job(const Scenario& scenario, const JobOptions& options) {
  return std::visit(
      [&](const auto& job) -> JobOutcome {
        using T = std::decay_t<decltype(job)>;
        if constexpr (std::is_same_v<T, CollectiveBenchSpec>) return run_benchmark_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, TrainingSpec>) return run_training_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, DilocoSpec>) return run_diloco_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, ProgramsSpec>) return run_programs_job(scenario, job, options);
      },
      scenario.job);
}

std::vector<std::pair<std::string, program::ProgramSet>> job_programs(const Scenario& scenario) {
  std::vector<std::pair<std::string, program::ProgramSet>> out;
  std::visit(
      [&](const auto& job) {
        using T = std::decay_t<decltype(job)>;
        if constexpr (std::is_same_v<T, CollectiveBenchSpec>) {
          const auto gpus = resolve_group(job.group, scenario.platform, job.where);
          out.emplace_back("", benchmark_programs(benchmark_cases(job), gpus, job.granularity));
        } else if constexpr (std::is_same_v<T, TrainingSpec>) {
          out.emplace_back("", training_programs(job, scenario.platform, scenario.seed));
        } else if constexpr (std::is_same_v<T, DilocoSpec>) {
          if (job.worker != WorkerMode::Full)
            throw InputError(job.where, "worker",
                             "abstract DiLoCo workers are a model of each datacenter, not GPU programs; "
                             "dump the programs of `worker: full`");
          for (size_t m = 0; m < job.methods.size(); ++m)
            out.emplace_back(job.methods.size() > 1 ? ".method" + std::to_string(m) + "-" + slug(job.methods[m].name) : "",
                             full_programs(scenario.platform, job, job.methods[m], scenario.seed));
        } else if constexpr (std::is_same_v<T, ProgramsSpec>) {
          out.emplace_back("", load_programs_file(job, scenario.platform.total_gpus()).set);
        }
      },
      scenario.job);
  return out;
}

std::vector<ProgramsFileOut> programs_to_dump(const Scenario& scenario, const std::string& dir) {
  std::vector<ProgramsFileOut> out;
  for (auto& [suffix, set] : job_programs(scenario))
    out.push_back({(std::filesystem::path(dir) / (scenario.name + suffix + ".programs.jsonl")).string(), std::move(set)});
  return out;
}

void write_programs_file(const std::string& path, const program::ProgramSet& set, output::Existing existing) {
  output::AtomicOutputFile file(path, existing);
  {
    std::ofstream os(file.temp_path());
    program::write_programs(set, os);
    if (!os.flush()) throw output::OutputError(path, "writing the programs failed");
  }
  file.commit();
}

}  // namespace trainsim
