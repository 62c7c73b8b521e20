#include <filesystem>
#include <iostream>
#include <variant>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "collective/benchmark_job.hpp"
#include "config/loader.hpp"
#include "core/error.hpp"
#include "diloco/job.hpp"
#include "output/trace_writer.hpp"
#include "training/job.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {


int run_command(const std::vector<std::string>& words) {
  Args args("run", "SCENARIO.yaml [options]",
            "Simulates the job of a scenario file on its platform and prints its summary.",
            {{"trace", "FILE.h5", "write an HDF5 trace of every activity (docs/trace-format.md)"},
             {"seed", "N", "override the scenario's seed"},
             {"force", "", "overwrite existing output files"},
             {"quiet", "", "print nothing but the summary"}},
            "trainsim run scenarios/default.yaml --trace out/default.h5");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("'run' needs exactly one scenario file\n\n" + args.help());
  Scenario scenario = load_scenario_file(args.positionals()[0]);
  if (auto seed = args.value("seed")) {
    try {
      size_t pos = 0;
      scenario.seed = std::stoull(*seed, &pos);
      if (pos != seed->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw UsageError("--seed needs a non-negative integer, got '" + *seed + "'");
    }
  }
  std::string trace_path = args.value("trace").value_or(scenario.output.trace);
  // Refuse before simulating, so a long run never ends in a refused write.
  if (!trace_path.empty()) {
    namespace fs = std::filesystem;
    if (fs::exists(trace_path) && !args.flag("force"))
      throw UsageError("output file '" + trace_path + "' exists; pass --force to overwrite it");
    auto dir = fs::path(trace_path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir))
      throw UsageError("output directory '" + dir.string() + "' does not exist");
  }
  JobOptions options{!trace_path.empty(), args.flag("quiet")};
  JobOutcome outcome = std::visit(
      [&](const auto& job) -> JobOutcome {
        using T = std::decay_t<decltype(job)>;
        if constexpr (std::is_same_v<T, CollectiveBenchSpec>) return run_benchmark_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, TrainingSpec>) return run_training_job(scenario, job, options);
        else if constexpr (std::is_same_v<T, DilocoSpec>) return run_diloco_job(scenario, job, options);
      },
      scenario.job);
  std::cout << outcome.report;
  if (!trace_path.empty()) {
    auto& t = outcome.trace;
    t.scenario_file = scenario.file;
    t.scenario_text = scenario.text;
    t.trainsim_version = kVersion;
    t.simgrid_version = "3.32";
    t.seed = scenario.seed;
    for (const auto& w : words) t.command_line += (t.command_line.empty() ? "" : " ") + w;
    t.command_line = "trainsim run " + t.command_line;
    output::write_trace_hdf5(t, trace_path);
    if (!options.quiet) std::cout << "trace written to " << trace_path << "\n";
  }
  return exit_code::kOk;
}

}  // namespace trainsim::cli
