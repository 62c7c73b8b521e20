#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/shared_options.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/progress.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "output/atomic_file.hpp"
#include "output/chrome_trace.hpp"
#include "output/output_plan.hpp"
#include "output/result_json.hpp"
#include "output/trace_writer.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace {

// Where a named output goes (docs/plots.md, "Outputs"): a bare file name ("p.json") in
// --output-dir when one is given; a path with a folder part ("out/p.json", "./p.json", an
// absolute path) as written, relative to the working directory.
std::string place(const std::string& out_dir, const std::string& path) {
  namespace fs = std::filesystem;
  if (out_dir.empty() || path.empty() || fs::path(path).has_parent_path()) return path;
  return (fs::path(out_dir) / path).string();
}

}  // namespace

int run_command(const std::vector<std::string>& words) {
  Args args("run", "SCENARIO.yaml [options]",
            "Simulates the job of a scenario file on its platform and prints its summary.",
            {{"trace", "FILE.h5", "write an HDF5 trace of every activity (docs/trace-format.md)"},
             {"chrome-trace", "FILE.json", "write the trace as Chrome trace JSON for Perfetto (docs/plots.md)"},
             {"chrome-trace-all-gpus", "", "keep GPUs without activity in the Chrome trace (left out by default)"},
             {"results", "FILE.json", "write the run's results (metrics with units, texts, tables) as one line of JSON "
                                      "(docs/trace-format.md, \"Results as JSON\")"},
             {"output-dir", "DIR", "write DIR/<scenario>.summary.txt and, unless named, DIR/<scenario>.trace.h5; "
                                   "bare file names given to --trace, --chrome-trace and --results go in DIR too"},
             {"dump-programs", "DIR", "also write the job's rank programs to DIR/<scenario>.programs.jsonl "
                                      "(docs/programs.md); a bare name goes in --output-dir"},
             {"seed", "N", "override the scenario's seed (0 to 2^63-1)"},
             {"force", "", "replace existing output files (regular files only)"},
             host_memory_limit_option(),
             {"no-fold", "", "simulate every GPU even where tensor-parallel ranks are exact copies of each other "
                             "(same results, slower; docs/programs.md, \"Folding\")"},
             {"quiet", "", "print nothing but the summary"}},
            "trainsim run scenarios/tutorial/gpt-1.7b-32gpu.yaml --output-dir out --chrome-trace gpt.json");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  // Input first: a refused input creates nothing.
  Scenario scenario = load_scenario_file(args.single_positional("scenario file"));
  scenario.seed = static_cast<uint64_t>(args.integer("seed", static_cast<long long>(scenario.seed), 0, kMaxSeed));
  const std::string out_dir = args.value("output-dir").value_or("");
  // Which option or key named the trace, for messages about it.
  const std::string trace_key = args.value("trace")                ? "--trace"
                                : !scenario.output.trace.empty() ? "output.trace"
                                                                 : "--output-dir";
  std::string trace_path = place(out_dir, args.value("trace").value_or(scenario.output.trace));
  const std::string chrome_path = place(out_dir, args.value("chrome-trace").value_or(""));
  const std::string results_path = place(out_dir, args.value("results").value_or(""));
  std::string summary_path;
  if (!out_dir.empty()) {
    // The scenario name is a validated file name (config/scenario_loader.cpp): it stays in DIR.
    if (trace_path.empty()) trace_path = place(out_dir, scenario.name + ".trace.h5");
    summary_path = place(out_dir, scenario.name + ".summary.txt");
  }
  const bool keep_trace = !trace_path.empty() || !chrome_path.empty();
  JobOptions options{keep_trace, args.flag("quiet")};
  options.fold = !args.flag("no-fold");
  // Refuse a run beyond this machine before building anything (docs/robustness.md).
  limits::check_run(scenario, options.keep_activities, host_memory_limit(args));
  // Every output checked (and its folders created) before simulating, so a long run never ends
  // in a refused write; the plan removes the folders it created if the run fails or is interrupted.
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (!out_dir.empty()) plan.add_folder(out_dir, "--output-dir");
  if (!trace_path.empty()) plan.add(trace_path, trace_key);
  if (!chrome_path.empty()) plan.add(chrome_path, "--chrome-trace");
  if (!results_path.empty()) plan.add(results_path, "--results");
  if (!summary_path.empty()) plan.add(summary_path, "--output-dir");
  // The job's rank programs (generated now: written before simulating).
  std::vector<ProgramsFileOut> dumps;
  if (auto dir = args.value("dump-programs")) dumps = programs_to_dump(scenario, place(out_dir, *dir));
  for (const auto& d : dumps) plan.add(d.path, "--dump-programs");

  ProgressOptions progress;  // phases on stderr when it is a terminal
  progress.quiet = options.quiet;
  PhaseReporter phases(progress);
  if (!dumps.empty()) {
    phases.begin("writing programs");
    for (const auto& d : dumps) write_programs_file(d.path, d.set, plan.existing());
    phases.end();
    if (!options.quiet)
      for (const auto& d : dumps) std::cout << "programs written to " << d.path << "\n";
  }
  phases.begin("simulating");
  JobOutcome outcome = run_job(scenario, options);
  phases.end();
  if (!options.quiet && isatty(STDERR_FILENO))
    for (const auto& note : outcome.notes) std::cerr << "note: " << note << "\n";
  // The one terminal writer's text of the result (output/terminal_summary.hpp).
  const std::string report = outcome.report();
  std::cout << report;
  if (!summary_path.empty()) {
    output::write_text_file(summary_path, report, plan.existing(), "--output-dir");
    if (!options.quiet) std::cout << "summary written to " << summary_path << "\n";
  }
  if (!results_path.empty()) {
    // The result model's one serialized form (output/result_json.hpp), as a file.
    output::write_text_file(results_path, output::results_to_json(outcome.trace) + "\n", plan.existing(), "--results");
    if (!options.quiet) std::cout << "results written to " << results_path << "\n";
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
      output::TraceWriteOptions write;
      write.existing = plan.existing();
      write.key = trace_key;
      output::write_trace_hdf5(t, trace_path, write);
      phases.end();
      if (!options.quiet) std::cout << "trace written to " << trace_path << "\n";
    }
    if (!chrome_path.empty()) {
      phases.begin("writing Chrome trace");
      const bool all_gpus = args.flag("chrome-trace-all-gpus");
      output::ChromeTraceOptions chrome;
      chrome.all_gpus = all_gpus;
      chrome.existing = plan.existing();
      chrome.key = "--chrome-trace";
      output::write_chrome_trace_file(t, chrome_path, chrome);
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
