#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/run_job.hpp"
#include "config/loader.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/progress.hpp"
#include "output/atomic_file.hpp"
#include "output/chrome_trace.hpp"
#include "output/output_error.hpp"
#include "output/trace_writer.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {


int run_command(const std::vector<std::string>& words) {
  Args args("run", "SCENARIO.yaml [options]",
            "Simulates the job of a scenario file on its platform and prints its summary.",
            {{"trace", "FILE.h5", "write an HDF5 trace of every activity (docs/trace-format.md)"},
             {"chrome-trace", "FILE.json", "write the trace as Chrome trace JSON for Perfetto (docs/plots.md)"},
             {"chrome-trace-all-gpus", "", "keep GPUs without activity in the Chrome trace (left out by default)"},
             {"output-dir", "DIR", "put outputs in DIR (created), by default DIR/<scenario>.trace.h5 and .summary.txt"},
             {"seed", "N", "override the scenario's seed"},
             {"force", "", "overwrite existing output files"},
             {"memory-limit", "SIZE", "refuse runs estimated above SIZE (default 75% of RAM or $TRAINSIM_MEMORY_LIMIT)"},
             {"quiet", "", "print nothing but the summary"}},
            "trainsim run scenarios/tutorial/gpt-1.7b-32gpu.yaml --output-dir out --chrome-trace gpt.json");
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
  namespace fs = std::filesystem;
  // Outputs: relative names go inside --output-dir; without --trace, --output-dir also gets the
  // trace and the printed summary under names that say what they hold.
  const std::string out_dir = args.value("output-dir").value_or("");
  auto in_dir = [&](const std::string& path) {
    return out_dir.empty() || path.empty() || fs::path(path).is_absolute() ? path : (fs::path(out_dir) / path).string();
  };
  std::string trace_path = in_dir(args.value("trace").value_or(scenario.output.trace));
  std::string chrome_path = in_dir(args.value("chrome-trace").value_or(""));
  std::string summary_path;
  if (!out_dir.empty() && !args.value("trace")) {
    if (trace_path.empty()) trace_path = in_dir(scenario.name + ".trace.h5");
    summary_path = in_dir(scenario.name + ".summary.txt");
  }
  // Refuse before simulating, so a long run never ends in a refused write.
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir))
      throw UsageError("cannot create output directory '" + out_dir + "': " + ec.message());
  }
  for (const std::string& path : {trace_path, chrome_path, summary_path}) {
    if (path.empty()) continue;
    if (fs::exists(path) && !args.flag("force"))
      throw UsageError("output file '" + path + "' exists; pass --force to overwrite it");
    auto dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir))
      throw UsageError("output directory '" + dir.string() + "' does not exist (create it, or pass --output-dir " +
                       dir.string() + ")");
  }
  const bool keep_trace = !trace_path.empty() || !chrome_path.empty();
  JobOptions options{keep_trace, args.flag("quiet")};
  ProgressOptions progress;  // phases on stderr when it is a terminal
  progress.quiet = options.quiet;
  PhaseReporter phases(progress);
  // Refuse a run beyond this machine before building anything (docs/robustness.md).
  limits::check_memory(limits::estimate_memory(limits::run_size(scenario, options.keep_activities)),
                       limits::memory_ceiling(args.value("memory-limit")), scenario.file);
  phases.begin("simulating");
  JobOutcome outcome = run_job(scenario, options);
  phases.end();
  std::cout << outcome.report;
  if (!summary_path.empty()) {
    output::AtomicOutputFile file(summary_path);
    {
      std::ofstream os(file.temp_path());
      os << outcome.report;
      if (!os.flush()) throw output::OutputError(summary_path, "writing the summary failed");
    }
    file.commit();
    if (!options.quiet) std::cout << "summary written to " << summary_path << "\n";
  }
  if (keep_trace) {
    auto& t = outcome.trace;
    t.scenario_file = scenario.file;
    t.scenario_text = scenario.text;
    t.trainsim_version = kVersion;
    t.simgrid_version = "3.32";
    t.seed = scenario.seed;
    for (const auto& w : words) t.command_line += (t.command_line.empty() ? "" : " ") + w;
    t.command_line = "trainsim run " + t.command_line;
    if (!trace_path.empty()) {
      phases.begin("writing trace");
      output::write_trace_hdf5(t, trace_path);
      phases.end();
      if (!options.quiet) std::cout << "trace written to " << trace_path << "\n";
    }
    if (!chrome_path.empty()) {
      phases.begin("writing Chrome trace");
      const bool all_gpus = args.flag("chrome-trace-all-gpus");
      output::write_chrome_trace_file(t, chrome_path, {all_gpus});
      phases.end();
      if (!options.quiet) {
        std::cout << "Chrome trace (open in ui.perfetto.dev) written to " << chrome_path << "\n";
        if (const auto idle = output::gpus_without_activity(t); idle > 0 && !all_gpus)
          std::cout << "  (" << idle << " GPUs without activity left out; --chrome-trace-all-gpus keeps them)\n";
      }
    }
  }
  return exit_code::kOk;
}

}  // namespace trainsim::cli
