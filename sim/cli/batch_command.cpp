// `trainsim batch`: many runs as one summary table — a list of scenarios, each over a grid of
// overrides (job.parallelism.dp, platform.clusters[0].nic.bandwidth, seed, ...), every run the
// simulation `trainsim run` does, each in its own child process (docs/slurm.md, "Batches").
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "cli/args.hpp"
#include "cli/batch_progress.hpp"
#include "cli/commands.hpp"
#include "cli/sharding.hpp"
#include "cli/shared_options.hpp"
#include "config/overrides.hpp"
#include "config/yaml_reader.hpp"
#include "core/limits.hpp"
#include "engine/isolated.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "output/output_plan.hpp"
#include "output/result_json.hpp"
#include "output/table_printer.hpp"
#include "output/trace_writer.hpp"
#include "scaleout/manifest.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxRuns = 100000;

// One key of the grid and the values it takes.
struct Axis {
  std::string path;
  SourceLocation at;
  std::vector<YAML::Node> values;
};

struct Grid {
  std::string source;  // the grid file, or "--grid" for an inline map
  std::string text;
  std::vector<Axis> axes;
};

// `--grid FILE.yaml`, or the same map inline: `--grid '{job.parallelism.dp: [1, 2], seed: [0, 1]}'`.
Grid read_grid(const std::string& value) {
  Grid g;
  if (!value.empty() && value[0] == '{') {
    g.source = "--grid";
    g.text = value;
  } else {
    g.source = value;
    g.text = read_text_file(value, {}, "--grid");
  }
  const YAML::Node doc = parse_yaml(g.text, g.source);
  if (doc.IsMap() && doc.size() == 0)
    throw InputError(location_of(doc, g.source), "", "the grid is empty; expected at least one key path with the "
                                                     "list of its values, e.g. {job.parallelism.dp: [1, 2, 4]}");
  if (!doc.IsMap())
    throw InputError(location_of(doc, g.source), "",
                     "a grid is a map of key paths to the lists of values to run (e.g. {job.parallelism.dp: [1, 2, "
                     "4], seed: [0, 1]}); got " + describe(doc));
  size_t combinations = 1;
  for (const auto& entry : doc) {
    const YAML::Node key = entry.first, values = entry.second;
    if (!key.IsScalar())
      throw node_error(key, g.source, "", "keys are key paths such as job.parallelism.dp, got " + describe(key));
    Axis a{key.Scalar(), location_of(key, g.source), {}};
    if (const std::string why = override_path_problem(a.path); !why.empty()) throw InputError(a.at, a.path, why);
    for (const auto& other : g.axes)
      if (override_paths_overlap(other.path, a.path))
        throw InputError(a.at, a.path, "overlaps the grid's key '" + other.path + "' (line " +
                                           std::to_string(other.at.line) +
                                           "): one would write into the other's value; expected keys that do not "
                                           "contain one another");
    if (!values.IsSequence() || values.size() == 0)
      throw node_error(values, g.source, a.path, "expected a non-empty list of the values to run, e.g. [1, 2, 4]; got " +
                                                     describe(values));
    for (size_t i = 0; i < values.size(); ++i) a.values.push_back(values[i]);
    combinations *= a.values.size();
    if (combinations > kMaxRuns)
      throw InputError(a.at, a.path, "the grid has more than " + std::to_string(kMaxRuns) +
                                         " combinations; expected at most that many runs in one batch");
    g.axes.push_back(std::move(a));
  }
  return g;
}

// Every combination of the grid's values, the first key varying slowest.
std::vector<std::vector<Override>> combinations(const Grid* grid) {
  std::vector<std::vector<Override>> out = {{}};
  if (!grid) return out;
  for (const auto& axis : grid->axes) {
    std::vector<std::vector<Override>> next;
    for (const auto& partial : out)
      for (const auto& v : axis.values) {
        auto row = partial;
        row.push_back({axis.path, v, grid->source, axis.at});
        next.push_back(std::move(row));
      }
    out = std::move(next);
  }
  return out;
}

struct Run {
  std::string file;
  std::vector<Override> overrides;
  Scenario scenario;
  std::string key;    // scaleout::Runs key
  std::string trace;  // its trace file ("" without --traces)
  std::string overrides_text() const {
    std::string s;
    for (const auto& o : overrides) s += (s.empty() ? "" : " ") + o.text();
    return s;
  }
};

// A run's results as a shard's part keeps them: its metrics and texts in the one serialized
// form (output/result_json.hpp); a failed run's, the text "error" alone.
std::string serialize(const output::TraceData& t) {
  output::TraceData r;
  r.summary = t.summary;
  r.summary_text = t.summary_text;
  return output::results_to_json(r);
}

std::string failure(const std::string& message) {
  output::TraceData r;
  r.summary_text.push_back({"error", message});
  return output::results_to_json(r);
}

struct RunResult {
  std::vector<output::SummaryValue> values;
  std::vector<output::SummaryText> texts;
  std::string error;
};

RunResult parse_result(const std::string& text) {
  output::TraceData t;
  try {
    t = output::results_from_json(text);
  } catch (const std::runtime_error& e) {
    throw InternalError(std::string("batch: a run's results: ") + e.what());
  }
  RunResult r;
  r.values = std::move(t.summary);
  for (auto& x : t.summary_text) {
    if (x.name == "error" && r.values.empty()) r.error = std::move(x.value);
    else r.texts.push_back(std::move(x));
  }
  return r;
}

// Copies a shard's trace of a run to its place among the outputs (output/atomic_file.hpp).
void deliver_trace(const std::string& from, const std::string& to, output::Existing existing) {
  if (!fs::is_regular_file(from))
    throw InputError({from, 0, 0}, "--traces", "the shard's trace of this run is missing from the parts folder; "
                                               "remove the run's shard part and run that shard again");
  output::AtomicOutputFile file(to, existing);
  std::error_code ec;
  fs::copy_file(from, file.temp_path(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw InputError({to, 0, 0}, "--traces", "cannot copy the shard's trace: " + ec.message());
  file.commit();
}

}  // namespace

int batch_command(const std::vector<std::string>& words) { return batch_main(words, nullptr); }

int batch_main(const std::vector<std::string>& words, const Replay* replay) {
  Args args("batch", "SCENARIO.yaml... [options]",
            "Runs every scenario given, each over every combination of a grid of overrides, as `trainsim run` "
            "would (each in its own child process), and writes one summary table with a row per run: "
            "PREFIX.csv and PREFIX.h5 (tables `runs` and `metrics`, the units). Overrides are put into the YAML "
            "before it is read, so each is checked like the file; `platform.*` goes into the platform file a "
            "scenario names.",
            with_sharding_options(
                {{"grid", "GRID", "a YAML file mapping key paths to lists of values, or the map inline: "
                                  "'{job.parallelism.dp: [1, 2, 4], seed: [0, 1]}' (every combination, first key slowest)"},
                 {"output", "PREFIX", "write PREFIX.csv and PREFIX.h5 (default: <first scenario name>-batch)"},
                 {"traces", "", "also write each run's trace, PREFIX-runs/<run>-<scenario name>.h5"},
                 {"jobs", "N", "runs at a time (1 to 256, default 2)"},
                 {"force", "", "replace existing output files (regular files only)"},
                 host_memory_limit_option(),
                 {"quiet", "", "print only the table"}}),
            "trainsim batch scenarios/tutorial/gpt-1.7b-32gpu.yaml --grid '{job.micro_batch: [1, 2], seed: [0, 1]}' "
            "--output out/micro-batch");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  Sharding sharding("batch", args, words, replay);
  if (args.positionals().empty())
    throw UsageError("'batch' needs at least one scenario file (see 'trainsim batch --help')");
  const int jobs = sharding.jobs(static_cast<int>(args.integer("jobs", 2, 1, 256)));
  const bool traces = args.flag("traces"), quiet = args.flag("quiet");
  std::optional<Grid> grid;
  if (auto g = args.value("grid")) grid = read_grid(*g);

  // Every run is loaded and checked before anything is written or simulated.
  std::vector<Run> runs;
  const auto combos = combinations(grid ? &*grid : nullptr);
  if (args.positionals().size() * combos.size() > kMaxRuns)
    throw UsageError("the batch has " + std::to_string(args.positionals().size() * combos.size()) + " runs; at most " +
                     std::to_string(kMaxRuns) + " in one batch");
  for (const auto& file : args.positionals())
    for (const auto& overrides : combos) {
      Run r{file, overrides, load_scenario_file(file, overrides), "", ""};
      limits::check_run(r.scenario, traces, host_memory_limit(args));
      runs.push_back(std::move(r));
    }
  const std::string prefix = args.value("output").value_or(runs.front().scenario.name + "-batch");
  const std::string h5 = prefix + ".h5", csv = prefix + ".csv";
  const int width = static_cast<int>(std::to_string(runs.size() - 1).size());
  std::string inputs;
  for (size_t i = 0; i < runs.size(); ++i) {
    Run& r = runs[i];
    char index[32];
    std::snprintf(index, sizeof index, "%0*zu", width, i);
    if (traces) r.trace = prefix + "-runs/" + index + "-" + r.scenario.name + ".h5";
    r.key = "run " + std::string(index) + " " +
            scaleout::fingerprint(r.file + '\0' + r.scenario.text + '\0' + r.overrides_text() + '\0' + (traces ? "trace" : ""));
    inputs += r.key + "\n";
  }
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (sharding.writes_outputs()) {
    plan.add(h5, "--output");
    plan.add(csv, "--output");
    for (const auto& r : runs)
      if (traces) plan.add(r.trace, "--traces");
  }
  sharding.open(prefix, inputs, args.flag("force"));
  if (sharding.submits()) return sharding.submit_and_merge();
  // A shard writes its runs' traces into the parts folder; the merge copies them into place.
  auto shard_trace = [&](const Run& r) {
    return (fs::path(sharding.folder()) / "traces" / fs::path(r.trace).filename()).string();
  };

  std::vector<std::string> keys;
  for (const auto& r : runs) keys.push_back(r.key);
  std::string command_line = "trainsim batch";
  for (const auto& w : sharding.recorded_words()) command_line += " " + w;
  ProgressOptions bars;
  bars.quiet = quiet;
  BatchProgress bar("batch", bars);
  std::vector<std::string> texts;
  const auto simulate = [&](const std::vector<size_t>& positions, const scaleout::Runs::Done& done) {
    std::vector<std::function<std::string()>> work;
    for (size_t p : positions)
      work.push_back([&, p] {
        const Run& r = runs[p];
        JobOutcome out = run_job(r.scenario, JobOptions{traces, true});
        const std::string result = serialize(out.trace);
        if (traces) {
          auto& t = out.trace;
          t.scenario_file = r.scenario.file;
          t.scenario_text = r.scenario.text;
          t.trainsim_version = kVersion;
          t.simgrid_version = "3.32";
          t.seed = r.scenario.seed;
          t.command_line = command_line;
          t.summary_text.push_back({"batch_overrides", r.overrides_text()});
          output::TraceWriteOptions write;
          write.existing = sharding.is_shard() ? output::Existing::Replace : plan.existing();
          output::write_trace_hdf5(t, sharding.is_shard() ? shard_trace(r) : r.trace, write);
        }
        return result;
      });
    std::vector<ChildFailure> failures;
    if (!positions.empty()) bar.update(0, positions.size());
    const auto out = run_isolated_all(work, jobs, &failures, bar.callback());
    for (size_t j = 0; j < positions.size(); ++j)
      done(positions[j], failures[j].failed ? failure(failures[j].message) : out[j]);
  };
  if (!sharding.run([&] { texts = sharding.runs().all(keys, simulate); }, quiet)) return exit_code::kOk;

  // The table: a row per run; a column per summary value any run has, in order of appearance.
  std::vector<RunResult> results;
  std::vector<std::string> value_names, text_names;
  std::map<std::string, std::string> units;
  for (const auto& text : texts) {
    results.push_back(parse_result(text));
    for (const auto& v : results.back().values)
      if (units.emplace(v.name, v.unit).second) value_names.push_back(v.name);
    for (const auto& t : results.back().texts)
      if (std::find(text_names.begin(), text_names.end(), t.name) == text_names.end()) text_names.push_back(t.name);
  }
  std::vector<std::string> text_columns = {"scenario", "name", "overrides", "error"}, numeric_columns = {"run", "seed"};
  text_columns.insert(text_columns.end(), text_names.begin(), text_names.end());
  numeric_columns.insert(numeric_columns.end(), value_names.begin(), value_names.end());
  auto table = output::Table::with_columns("runs", text_columns, numeric_columns);
  auto metrics = output::Table::with_columns("metrics", {"name", "unit"}, {});
  for (const auto& n : value_names) metrics.add_row({n, units[n]}, {});
  size_t failed = 0;
  output::TextTable shown;
  shown.text_column("run").text_column("scenario").text_column("overrides");
  const size_t shown_values = std::min<size_t>(value_names.size(), 4);
  for (size_t c = 0; c < shown_values; ++c) shown.text_column(value_names[c]);
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    const RunResult& res = results[i];
    failed += !res.error.empty();
    std::vector<std::string> text = {r.file, r.scenario.name, r.overrides_text(), res.error};
    for (const auto& n : text_names) {
      std::string v;
      for (const auto& t : res.texts)
        if (t.name == n) v = t.value;
      text.push_back(v);
    }
    std::vector<double> numbers = {static_cast<double>(i), static_cast<double>(r.scenario.seed)};
    std::vector<output::TextTable::Cell> row = {std::to_string(i), r.scenario.name,
                                                r.overrides_text().empty() ? "-" : r.overrides_text()};
    for (size_t c = 0; c < value_names.size(); ++c) {
      double v = std::nan("");
      for (const auto& x : res.values)
        if (x.name == value_names[c]) v = x.value;
      numbers.push_back(v);
      if (c < shown_values) row.emplace_back(output::format_metric(v, units[value_names[c]]));
    }
    table.add_row(text, numbers);
    shown.add_row(std::move(row));
  }
  std::cout << runs.size() << " runs";
  if (grid) std::cout << " (" << args.positionals().size() << " scenario(s) x " << combos.size() << " grid combinations)";
  std::cout << (shown_values < value_names.size() ? "; the first summary values shown, all in " + csv : std::string()) << "\n"
            << shown.render();

  output::TraceData t;
  t.scenario_file = args.positionals().front();
  t.scenario_text = grid ? grid->text : std::string();
  t.trainsim_version = kVersion;
  t.simgrid_version = "3.32";
  t.command_line = command_line;
  t.tables = {table, metrics};
  t.summary = {{"runs", static_cast<double>(runs.size()), "1"}, {"failed_runs", static_cast<double>(failed), "1"}};
  output::TraceWriteOptions write;
  write.existing = plan.existing();
  if (traces && sharding.merging())
    for (const auto& r : runs) deliver_trace(shard_trace(r), r.trace, plan.existing());
  output::write_trace_hdf5(t, h5, write);
  output::write_table_csv(table, csv, plan.existing());
  if (!quiet) std::cout << "results written to " << h5 << ", " << csv << (traces ? " and " + prefix + "-runs/" : "") << "\n";
  if (failed > 0) {
    std::cerr << "trainsim: " << failed << " of " << runs.size() << " runs failed (the error column says why):\n";
    for (size_t i = 0; i < runs.size(); ++i)
      if (!results[i].error.empty()) std::cerr << "  run " << i << ": " << results[i].error << "\n";
    return exit_code::kInternal;
  }
  return exit_code::kOk;
}

}  // namespace trainsim::cli
