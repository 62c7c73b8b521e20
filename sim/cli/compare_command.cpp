// `trainsim compare`: runs configurators on one scenario, simulates each one's pick and top K
// and every configuration each ranks, and reports how each prediction holds up against the
// simulator and its oracle. Output tables (names read by the plotting scripts): docs/pipette.md,
// "compare output".
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/args.hpp"
#include "cli/batch_progress.hpp"
#include "cli/commands.hpp"
#include "cli/configurator_options.hpp"
#include "cli/sharding.hpp"
#include "config/yaml_reader.hpp"
#include "evaluation/compare.hpp"
#include "core/units.hpp"
#include "jobs/load.hpp"
#include "output/atomic_file.hpp"
#include "output/output_plan.hpp"
#include "output/table_printer.hpp"
#include "output/trace_writer.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;
using namespace trainsim::configurator;
using Cell = output::TextTable::Cell;

namespace {

std::vector<Method> parse_methods(const std::string& list) {
  std::vector<Method> out;
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    const Method m = cli_method(name);
    for (Method seen : out)
      if (seen == m) throw UsageError("method '" + name + "' is listed twice");
    out.push_back(m);
  }
  if (out.empty()) throw UsageError("--methods needs at least one method");
  return out;
}

std::string default_methods() {
  std::string s;
  for (const auto& [n, m] : method_names()) s += (s.empty() ? "" : ",") + n;
  return s;
}

Cell num_or_dash(double v, int precision = -1) {
  if (std::isnan(v)) return std::string("-");
  if (precision >= 0) return output::format_fixed(v, precision);  // fixed decimals: the column's own
  return v;
}

// Average ranks read as people write them: "2", or "2.5" for a tie.
std::string rank_text(double r) {
  return r == std::floor(r) ? output::format_fixed(r, 0) : output::format_fixed(r, 1);  // fixed decimals: ranks
}

// "0.71 [0.55, 0.83]"
std::string with_interval(double v, double lo, double hi) {
  if (std::isnan(v)) return "-";
  // fixed decimals: rank correlations in [-1, 1], read with their interval
  std::string s = output::format_fixed(v, 2);
  // fixed decimals: the interval as its estimate
  if (!std::isnan(lo)) s += " [" + output::format_fixed(lo, 2) + ", " + output::format_fixed(hi, 2) + "]";
  return s;
}

// Characters of a mapping in the terminal tables (the CSV files keep it whole).
constexpr size_t kTerminalMapping = 72;

}  // namespace

int compare_command(const std::vector<std::string>& words) { return compare_main(words, nullptr); }

int compare_main(const std::vector<std::string>& words, const Replay* replay) {
  refuse_memory_limit(words);
  auto specs = session_option_specs();
  specs.insert(specs.begin(), {"methods", "LIST", "comma-separated methods (default " + default_methods() + ")"});
  specs.push_back({"output", "PREFIX",
                   "write PREFIX.h5 and PREFIX-{candidates,methods,space}.csv (default: <scenario name>-compare)"});
  specs.push_back({"force", "", "replace existing output files (regular files only)"});
  specs.push_back({"quiet", "", "no progress on the terminal"});
  Args args("compare", "SCENARIO.yaml [options]",
            "Runs the configurators on the scenario's training job and platform and simulates (one iteration "
            "each, in child processes) every configuration each method ranks that fits in memory, its pick and "
            "top K; the oracle searches placements with the simulator. Reports per method the predicted and "
            "simulated times of its pick, the prediction error, out-of-memory picks, the speed-up over Megatron's "
            "rule, and the rank correlation of predicted and simulated times over the whole feasible space with "
            "bootstrap 95% intervals.",
            with_sharding_options(specs), "trainsim compare scenarios/pipette/v100-8node-8.1b-spread.yaml --top 5 --jobs 2");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("'compare' needs exactly one scenario file\n\n" + args.help());
  const auto methods = parse_methods(args.value("methods").value_or(default_methods()));
  const int top = static_cast<int>(cli_integer(args, "top", 5, 1, 1000000));
  Sharding sharding("compare", args, words, replay);
  SessionOptions options = session_options(args);
  options.jobs = sharding.jobs(options.jobs);
  // Refuse existing outputs before any simulation.
  const Scenario probe = load_scenario_file(args.positionals()[0]);
  const std::string prefix = args.value("output").value_or(probe.name + "-compare");
  const std::string h5 = prefix + ".h5";
  auto csv_path = [&](const std::string& table) { return prefix + "-" + table + ".csv"; };
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (sharding.writes_outputs())
    for (const auto& f : {h5, csv_path("candidates"), csv_path("methods"), csv_path("space")}) plan.add(f, "--output");
  // A sharded compare's parts hold runs of this scenario text, seed and bandwidth matrix.
  std::string inputs = probe.text + "\nseed " + std::to_string(probe.seed) + "\n";
  if (!options.matrix_file.empty()) inputs += read_text_file(options.matrix_file, {}, "--matrix");
  sharding.open(prefix, inputs, args.flag("force"));
  if (sharding.submits()) return sharding.submit_and_merge();

  const Session session = open_session(args.positionals()[0], options);
  ProgressOptions bars;
  bars.quiet = args.flag("quiet");
  BatchProgress oracle_bar("oracle", bars), compare_bar("compare", bars);
  const bool with_oracle = std::find(methods.begin(), methods.end(), Method::Oracle) != methods.end();

  // 1. Every model method's ranking; the whole feasible space of proposals simulated (the
  //    oracle's first phase), then the oracle's placement search. Every batch of runs goes
  //    through the sharding (cli/sharding.hpp): simulated here, by shards, or from their parts.
  const Rankings rankings = rank_methods(session);
  scaleout::Runs& runs = sharding.runs();
  auto texts = [&](const std::vector<Recommendation>& recs, const Progress& progress) {
    return [&recs, &session, &options, progress](const std::vector<size_t>& positions, const scaleout::Runs::Done& done) {
      std::vector<Recommendation> todo;
      for (size_t p : positions) todo.push_back(recs[p]);
      const auto out = simulate_texts(session.scenario, session.job, todo, options.jobs, progress);
      for (size_t j = 0; j < positions.size(); ++j) done(positions[j], out[j]);
    };
  };
  auto keys = [](const std::vector<Recommendation>& recs) {
    std::vector<std::string> k;
    for (const auto& r : recs) k.push_back(placement_key(r));
    return k;
  };
  SimulationCache cache(
      [&](const std::vector<Recommendation>& recs, const Progress& progress) {
        std::vector<SimulatedRun> out;
        for (const auto& text : runs.all(keys(recs), texts(recs, progress))) out.push_back(parse_simulated_run(text));
        return out;
      },
      [&](const std::vector<Recommendation>& recs, const std::vector<size_t>& chains, const Progress& progress) {
        std::vector<std::optional<SimulatedRun>> out;
        for (const auto& text : runs.chains(keys(recs), chains, texts(recs, progress)))
          out.push_back(text ? std::optional<SimulatedRun>(parse_simulated_run(*text)) : std::nullopt);
        return out;
      });
  OracleResult oracle_result;
  auto ranking_of = [&](Method m) -> std::vector<Recommendation> {
    if (m == Method::Oracle) return oracle_result.ranked;
    for (const auto& [mm, recs] : rankings)
      if (mm == m) return recs;
    throw InternalError("compare: no ranking for " + method_name(m));
  };
  Recommendation megatron_pick;
  const bool whole = sharding.run(
      [&] {
        if (with_oracle) {
          oracle_result = run_oracle(session, rankings, cache, oracle_bar.callback());
        } else {
          std::vector<Recommendation> feasible;
          for (const auto& [m, recs] : rankings)
            for (const auto& r : recs)
              if (r.fits) feasible.push_back(r);
          cache.ensure(feasible, compare_bar.callback());
        }
        const auto megatron_recs = ranking_of(Method::Megatron);
        if (megatron_recs.empty())
          throw InputError(SourceLocation{session.scenario.file, 0, 0}, "job", "the search space is empty");
        megatron_pick = megatron_recs.front();
        // 2. The top K of each method (out-of-memory ones too) and each pick in Megatron's order.
        cache.ensure(evaluation::runs_to_compare(megatron_pick, methods, ranking_of, top), compare_bar.callback());
      },
      args.flag("quiet"));
  if (!whole) return exit_code::kOk;  // a shard: its part is written
  // 3. The evaluation (evaluation/compare.hpp) and its tables, printed.
  const evaluation::Comparison cmp = evaluation::compare_methods(methods, ranking_of, oracle_result, cache, megatron_pick,
                                                                 top, options.configure.seed);
  const double megatron_s = cmp.megatron_s;
  output::TextTable mt, ct;
  mt.text_column("method").text_column("pick").number_column("predicted(s)", 4).number_column("simulated(s)", 4);
  mt.number_column("error(%)", 1).text_column("OOM").number_column("vs megatron", 3).number_column("mapping gain", 3);
  mt.text_column("spearman [95% CI]").text_column("kendall [95% CI]").number_column("configs", 0);
  ct.text_column("method").number_column("rank", 0).text_column("config").text_column("mapping");
  ct.number_column("predicted(s)", 4).number_column("simulated(s)", 4).text_column("sim rank").text_column("OOM");
  for (const auto& mc : cmp.methods) {
    const std::string name = method_name(mc.method);
    for (size_t i = 0; i < mc.top.size(); ++i) {
      const auto& c = mc.top[i];
      ct.add_row({name, double(i + 1), config_text(c.rec.config), mapping_text(c.rec, kTerminalMapping), num_or_dash(c.rec.predicted),
                  num_or_dash(c.simulated), rank_text(c.simulated_rank), std::string(c.oom ? "yes" : "no")});
    }
    const auto& agree = mc.agreement;
    if (mc.top.empty()) {
      mt.add_row({name, std::string("(nothing fits)"), std::string("-"), std::string("-"), std::string("-"),
                  std::string("-"), std::string("-"), std::string("-"), std::string("-"), std::string("-"),
                  double(agree.n)});
      continue;
    }
    const auto& pick = mc.top.front();
    mt.add_row({name, config_text(pick.rec.config), num_or_dash(pick.rec.predicted), num_or_dash(pick.simulated),
                num_or_dash(100 * mc.error), std::string(pick.oom ? "yes" : "no"), num_or_dash(mc.speedup_vs_megatron),
                num_or_dash(mc.mapping_gain), with_interval(agree.spearman, agree.spearman_lo, agree.spearman_hi),
                with_interval(agree.kendall, agree.kendall_lo, agree.kendall_hi), double(agree.n)});
  }

  std::cout << "# compare: " << session.job.model.name << " (seq " << session.job.model.seq_len << ", global batch "
            << session.input.global_batch << ") on platform '" << session.scenario.platform.name << "' ("
            << session.input.nodes << " nodes x " << session.input.gpus_per_node << " GPUs)\n";
  std::cout << "bandwidth matrix: " << session.bandwidth_source << "; top " << top << " per method; Megatron's rule ("
            << config_text(megatron_pick.config) << ") simulated " << units::format_significant(megatron_s) << " s\n";
  std::cout << "error = (predicted - simulated) / simulated; mapping gain = pick under Megatron's rank order / pick as "
               "mapped; rank correlations over every configuration the method ranks that fits in memory\n\n";
  mt.print(std::cout);
  if (with_oracle) {
    output::TextTable ot;
    ot.text_column("searched config").text_column("search").number_column("placements", 0).number_column("classes", 0);
    ot.number_column("memory(GiB)", 2).number_column("best(s)", 4).text_column("mapping");
    int feasible = 0, oom = 0;
    const ConfigSearch* smallest_oom = nullptr;
    for (const auto& s : oracle_result.searches) {
      if (s.kind == SearchKind::OutOfMemory) {
        ++oom;
        if (!smallest_oom || s.memory < smallest_oom->memory) smallest_oom = &s;
        continue;
      }
      ++feasible;
      if (s.kind == SearchKind::Proposals) continue;
      ot.add_row({config_text(s.config), search_kind_name(s.kind), double(s.evaluated), double(s.classes),
                  s.memory / units::GiB, s.best.predicted, mapping_text(s.best, kTerminalMapping)});
    }
    std::cout << "\noracle: " << feasible << " configurations fit, " << cache.size()
              << " placements simulated in all; budget " << options.oracle.budget
              << " placements per searched configuration (those within "
              << units::format_significant(100 * options.oracle.margin) << "% of the best)\n";
    if (oom)
      std::cout << oom << " configurations over the GPU memory limit of " << units::format_size(session.input.memory_limit)
                << " (the space table lists them; the smallest, " << config_text(smallest_oom->config) << ", needs "
                << units::format_size(smallest_oom->memory) << ")\n";
    ot.print(std::cout);
  }
  std::cout << "\ncandidates:\n";
  ct.print(std::cout);

  output::TraceData trace;
  trace.scenario_file = session.scenario.file;
  trace.scenario_text = session.scenario.text;
  trace.trainsim_version = kVersion;
  trace.simgrid_version = "3.32";
  trace.seed = session.scenario.seed;
  trace.command_line = "trainsim compare";
  for (const auto& w : words) trace.command_line += " " + w;
  trace.summary.push_back({"megatron_rule_s", megatron_s, "s"});
  trace.summary_text.push_back({"bandwidth_source", session.bandwidth_source});
  trace.tables = {cmp.candidates, cmp.methods_table, cmp.space};
  output::TraceWriteOptions write;
  write.existing = plan.existing();
  output::write_trace_hdf5(trace, h5, write);
  for (const auto* t : {&cmp.candidates, &cmp.methods_table, &cmp.space})
    output::write_table_csv(*t, csv_path(t->name), plan.existing());
  std::cout << "\nresults written to " << h5 << ", " << csv_path("candidates") << ", " << csv_path("methods") << ", "
            << csv_path("space") << "\n";
  return exit_code::kOk;
}

}  // namespace trainsim::cli
