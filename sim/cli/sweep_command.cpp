// `trainsim sweep SCENARIO`: compute utilization versus WAN bandwidth for a diloco scenario
// (docs/diloco.md, "Sweep").
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <optional>
#include <variant>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/sharding.hpp"
#include "cli/shared_options.hpp"
#include "config/job_kinds.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/journal.hpp"
#include "core/limits.hpp"
#include "core/progress.hpp"
#include "core/units.hpp"
#include "diloco/abstract_case.hpp"
#include "diloco/sweep.hpp"
#include "evaluation/sweep_grade.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "output/output_plan.hpp"
#include "output/table_printer.hpp"
#include "output/trace_writer.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

using units::format_significant;

int sweep_command(const std::vector<std::string>& words) { return sweep_main(words, nullptr); }

int sweep_main(const std::vector<std::string>& words, const Replay* replay) {
  Args args("sweep", "SCENARIO.yaml [options]",
            "Sweeps a diloco scenario's WAN bandwidth over a log grid and prints, for each model and method,\n"
            "the bandwidth needed for each compute-utilization target: the first grid point that reaches it\n"
            "and the exact value found by bisection. Every point is the steady state of its simulation.",
            with_sharding_options({{"jobs", "N", "simulations at a time (1 to 256, default 2)"},
                                   {"trace", "FILE.h5", "write the curves and thresholds (tables `utilization`, `thresholds`)"},
                                   {"force", "", "replace an existing output file (regular files only)"},
                                   host_memory_limit_option(),
                                   {"quiet", "", "print only the table"}}),
            "trainsim sweep scenarios/diloco/table4.yaml --jobs 2 --trace out/table4.h5");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  Sharding sharding("sweep", args, words, replay);
  const std::string& scenario_path = args.single_positional("scenario file");
  const int jobs = sharding.jobs(static_cast<int>(args.integer("jobs", 2, 1, 256)));
  const std::string trace_path = args.value("trace").value_or("");
  Scenario scenario = load_scenario_file(scenario_path);
  const auto* spec = scenario.job.get_if<DilocoSpec>();
  if (!spec) {
    throw InputError(scenario.kind_at, "job.kind",
                     "trainsim sweep varies the WAN bandwidth of a DiLoCo job, but this scenario's job kind is " +
                         std::string(scenario.job.kind()) +
                         "; expected kind: diloco (with worker: abstract), e.g. scenarios/diloco/table4.yaml");
  }
  limits::check_run(scenario, false, host_memory_limit(args));
  sharding.require_output(trace_path, "--trace FILE.h5");
  // The output is checked (and its folder created) before the first simulation; a shard writes
  // only its part, the merge the output.
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (!trace_path.empty() && sharding.writes_outputs()) plan.add(trace_path, "--trace");

  const bool quiet = args.flag("quiet");
  // Resume: with an output file, every finished simulation goes to "<output>.partial" and a
  // rerun after an interruption reuses them (docs/robustness.md, "Resuming a sweep").
  std::optional<RunJournal> journal;
  SweepControl control;
  control.parallel = jobs;
  control.journal_tag = sweep_journal_tag(scenario.text, scenario.seed);
  std::optional<interrupt::NoteOnInterrupt> journal_note;
  if (!trace_path.empty() && sharding.local()) {
    journal.emplace(trace_path);
    // Kept on purpose when interrupted: say so, and where (docs/robustness.md, "Sweep resume").
    journal_note.emplace(journal->path(), "the finished runs are kept in " + journal->path() +
                                              ": rerun the same command to resume");
    size_t already = 0;
    for (const auto& entry : journal->completed()) already += entry.first.rfind(control.journal_tag + " ", 0) == 0;
    if (!quiet && already > 0)
      std::cerr << "resuming: " << already << " of " << (spec->sweep.bisection_steps > 0 ? "up to " : "")
                << sweep_max_points(*spec) << " runs already done (" << journal->path() << ")\n";
    else if (!quiet && !journal->completed().empty())
      std::cerr << "ignoring " << journal->path() << ": it records another scenario or seed\n";
  }
  // The parts of a sharded sweep hold results of this scenario text and seed only.
  sharding.open(trace_path, control.journal_tag, args.flag("force"), journal ? &*journal : nullptr);
  if (sharding.submits()) return sharding.submit_and_merge();
  control.runs = &sharding.runs();
  ProgressOptions progress;
  progress.quiet = quiet;
  std::optional<ProgressBar> bar;
  std::optional<SweepPhase> bar_phase;
  control.progress = [&](SweepPhase phase, size_t done, size_t total) {
    if (bar_phase != phase) {
      if (bar) bar->finish();
      bar.reset();
      bar.emplace(phase == SweepPhase::Grid ? "sweep grid" : "bisection", static_cast<double>(total), "runs", progress);
      bar_phase = phase;
    }
    bar->update(static_cast<double>(done));
  };

  const auto t0 = std::chrono::steady_clock::now();
  SweepOutcome outcome;
  if (!sharding.run([&] { outcome = run_sweep(scenario.platform, *spec, scenario.seed, control); }, quiet))
    return exit_code::kOk;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (bar) bar->finish();

  // Grid points with enough significant digits to tell neighbours apart (0.1374, not 0.1), the
  // exact values with as many; published values as the paper gives them.
  const int digits = sweep_grid_digits(spec->sweep);
  output::TextTable table;
  table.text_column("model").text_column("method");
  for (double target : spec->sweep.targets) {
    // A label: the target as written (0.95 -> "95", 0.995 -> "99.50"), never two targets as one.
    const std::string pct = units::format_significant(std::round(100 * target * 1e6) / 1e6);
    table.number_column(pct + "% grid", 0).number_column(pct + "% exact", 0);
    if (!spec->published.empty()) table.number_column(pct + "% paper", 0);
  }
  const evaluation::SweepEvaluation graded = evaluation::evaluate_sweep(spec->sweep, outcome);
  const evaluation::PublishedGrade& grade = graded.grade;
  auto cell = [](double v, int significant) -> output::TextTable::Cell {
    if (std::isnan(v)) return std::string("-");
    return format_significant(v, significant);
  };
  for (const auto& row : outcome.rows) {
    std::vector<output::TextTable::Cell> cells = {row.model, row.method};
    for (const auto& th : row.thresholds) {
      cells.push_back(cell(th.grid_gbps, digits));
      cells.push_back(cell(th.exact_gbps, digits));
      if (!spec->published.empty()) cells.push_back(cell(th.published_gbps, digits));
    }
    table.add_row(cells);
  }
  // The grid's bounds as the scenario gives them (0.1, not 0.1000).
  auto bound = [](double gbps) {
    std::ostringstream os;
    os << std::setprecision(6) << gbps;
    return os.str();
  };
  std::cout << "WAN bandwidth (Gbit/s) needed for each compute utilization (" << spec->sweep.points
            << "-point log grid " << bound(spec->sweep.min_gbps) << "-" << bound(spec->sweep.max_gbps)
            << " Gbit/s; steady state of each point)\n"
            << table.render();
  if (outcome.without_cycle > 0)
    std::cout << outcome.without_cycle << " point(s) never repeated a round within " << AbstractCase::kMaxRounds
              << " rounds (docs/diloco.md, \"Steady state\"): their utilization is the mean of their last rounds\n";
  if (grade.compared > 0)
    std::cout << "versus published: " << grade.within_one_step << "/" << grade.compared << " cells within one grid step, "
              << grade.within_two_steps << "/" << grade.compared << " within two\n";
  if (!args.flag("quiet"))
    std::cout << outcome.simulations << " simulations"
              << (outcome.resumed ? " (" + std::to_string(outcome.resumed) +
                                        (sharding.local() ? " from the journal)" : " from the shards' parts)")
                                  : std::string())
              << " in " << output::format_fixed(seconds, 1) /* fixed decimals: elapsed wall time */ << " s (" << jobs << " at a time)\n";

  if (!trace_path.empty()) {
    output::TraceData t;
    t.scenario_file = scenario.file;
    t.scenario_text = scenario.text;
    t.trainsim_version = kVersion;
    t.simgrid_version = "3.32";
    t.seed = scenario.seed;
    t.command_line = "trainsim sweep";
    for (const auto& w : words) t.command_line += " " + w;
    t.tables = {graded.curves, graded.thresholds};
    t.summary = graded.metrics;  // no wall-clock figure: the same scenario and seed give the same bytes
    output::TraceWriteOptions write;
    write.existing = plan.existing();
    output::write_trace_hdf5(t, trace_path, write);
    // The output is committed: the journal has served its purpose.
    if (journal) journal->finish();
    if (!args.flag("quiet")) std::cout << "results written to " << trace_path << "\n";
  }
  return exit_code::kOk;
}

}  // namespace trainsim::cli
