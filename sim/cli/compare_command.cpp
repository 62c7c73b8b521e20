// `trainsim compare`: runs configurators on one scenario, simulates each one's pick and top K
// with the full simulator (child processes), and reports how each prediction holds up.
// Output tables (names read by the plotting scripts): docs/pipette.md, "compare output".
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "config/loader.hpp"
#include "cli/args.hpp"
#include "cli/batch_progress.hpp"
#include "cli/commands.hpp"
#include "configurator/cli_options.hpp"
#include "configurator/rank_correlation.hpp"
#include "output/atomic_file.hpp"
#include "output/output_plan.hpp"
#include "output/table_printer.hpp"
#include "output/trace_writer.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;
using namespace trainsim::configurator;

namespace {

std::string placement_key(const Recommendation& r) {
  return config_text(r.config) + " @ " + (r.default_order ? std::string("default") : grid_text(r.grid));
}

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

struct MethodResult {
  Method method;
  std::vector<Recommendation> top;
  std::vector<SimulatedRun> runs;  // per top entry
  SimulatedRun default_order_run{std::nan(""), false};  // the pick under Megatron's rank order
};

output::TextTable::Cell num_or_dash(double v) {
  return std::isnan(v) ? output::TextTable::Cell(std::string("-")) : output::TextTable::Cell(v);
}

}  // namespace

int compare_command(const std::vector<std::string>& words) {
  auto specs = session_option_specs();
  specs.insert(specs.begin(), {"methods", "LIST", "comma-separated methods (default pipette,pipette-corrected,amp,megatron,random,oracle)"});
  specs.push_back({"output", "PREFIX", "write PREFIX.h5, PREFIX-candidates.csv, PREFIX-methods.csv (default: <scenario name>-compare)"});
  specs.push_back({"force", "", "replace existing output files (regular files only)"});
  specs.push_back({"quiet", "", "no progress on the terminal"});
  Args args("compare", "SCENARIO.yaml [options]",
            "Runs the configurators on the scenario's training job and platform, simulates each method's pick and "
            "its top K (one iteration each, in child processes), and reports per method the predicted and "
            "simulated times, the prediction error, out-of-memory picks, the speed-up over Megatron's default "
            "and the rank correlation of predicted and simulated times.",
            specs, "trainsim compare scenarios/pipette/a100-8node-18b.yaml --top 5 --jobs 2");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("'compare' needs exactly one scenario file\n\n" + args.help());
  const auto methods = parse_methods(args.value("methods").value_or("pipette,pipette-corrected,amp,megatron,random,oracle"));
  const int top = static_cast<int>(cli_integer(args, "top", 5, 1, 1000000));
  const SessionOptions options = session_options(args);
  // Refuse existing outputs before any simulation.
  const Scenario probe = load_scenario_file(args.positionals()[0]);
  const std::string prefix = args.value("output").value_or(probe.name + "-compare");
  const std::string h5 = prefix + ".h5", cand_csv = prefix + "-candidates.csv", meth_csv = prefix + "-methods.csv";
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  for (const auto& f : {h5, cand_csv, meth_csv}) plan.add(f, "--output");

  const Session session = open_session(args.positionals()[0], options);
  ProgressOptions progress;
  progress.quiet = args.flag("quiet");
  BatchProgress oracle_bar("oracle", progress), compare_bar("compare", progress);

  // 1. Every method's ranking; the oracle simulates inside.
  std::vector<MethodResult> results;
  std::map<std::string, SimulatedRun> simulated;  // by placement
  for (Method m : methods) {
    MethodResult mr{m, run_method(session, m, oracle_bar.callback()), {}, {}};
    if (m == Method::Oracle)
      for (const auto& r : mr.top) simulated[placement_key(r)] = {r.predicted, false};
    if (static_cast<int>(mr.top.size()) > top) mr.top.resize(top);
    results.push_back(std::move(mr));
  }
  const auto megatron_recs = configure(Method::Megatron, session.input, options.configure);
  if (megatron_recs.empty()) throw InputError(SourceLocation{session.scenario.file, 0, 0}, "job", "the search space is empty");
  const Recommendation megatron_pick = megatron_recs.front();

  // 2. Simulate every distinct placement once (oracle runs are re-simulated only for the
  //    out-of-memory flag, which its ranking does not keep).
  std::vector<Recommendation> todo;
  std::map<std::string, size_t> index;
  auto want = [&](const Recommendation& r) {
    const std::string k = placement_key(r);
    if (!index.count(k)) index[k] = todo.size(), todo.push_back(r);
  };
  want(megatron_pick);
  for (const auto& mr : results) {
    for (const auto& r : mr.top) want(r);
    if (!mr.top.empty() && !mr.top.front().default_order) {
      Recommendation d = mr.top.front();
      d.default_order = true;
      want(d);
    }
  }
  if (!progress.quiet)
    std::cerr << "simulating " << todo.size() << " distinct configurations with " << options.jobs << " jobs...\n";
  const auto runs = child_simulator(session.scenario, session.job, options.jobs, compare_bar.callback())(todo);
  auto run_of = [&](const Recommendation& r) { return runs[index.at(placement_key(r))]; };
  const double megatron_s = run_of(megatron_pick).seconds;

  // 3. Tables.
  output::Table cand{"candidates", {"predicted_s", "simulated_s", "is_pick", "oom", "rank_predicted", "rank_simulated",
                                    "memory_bytes", "fits_estimate"}, std::vector<std::vector<double>>(8),
                     {"method", "config", "mapping"}, std::vector<std::vector<std::string>>(3)};
  output::Table meth{"methods", {"predicted_s", "simulated_s", "error", "speedup_vs_megatron", "spearman", "kendall",
                                 "oom", "simulated_default_order_s", "mapping_gain", "candidates"},
                     std::vector<std::vector<double>>(10), {"method", "config", "mapping"},
                     std::vector<std::vector<std::string>>(3)};
  output::TextTable mt, ct;
  mt.text_column("method").text_column("pick").number_column("predicted(s)", 4).number_column("simulated(s)", 4);
  mt.number_column("error(%)", 1).text_column("OOM").number_column("vs megatron", 3).number_column("mapping gain", 3);
  mt.number_column("spearman", 3).number_column("kendall", 3);
  ct.text_column("method").number_column("rank", 0).text_column("config").text_column("mapping");
  ct.number_column("predicted(s)", 4).number_column("simulated(s)", 4).number_column("sim rank", 1).text_column("OOM");
  for (auto& mr : results) {
    const std::string name = method_name(mr.method);
    std::vector<double> pred, sim;
    for (const auto& r : mr.top) {
      mr.runs.push_back(run_of(r));
      pred.push_back(r.predicted);
      sim.push_back(mr.runs.back().seconds);
    }
    const auto sim_rank = average_ranks(sim);
    for (size_t i = 0; i < mr.top.size(); ++i) {
      const auto& r = mr.top[i];
      const std::string mapping = r.default_order ? "default" : grid_text(r.grid);
      const double vals[] = {r.predicted, sim[i], i == 0 ? 1.0 : 0.0, mr.runs[i].oom ? 1.0 : 0.0, double(i + 1),
                             sim_rank[i], r.memory, r.fits ? 1.0 : 0.0};
      for (int c = 0; c < 8; ++c) cand.numeric_columns[c].push_back(vals[c]);
      cand.text_columns[0].push_back(name);
      cand.text_columns[1].push_back(config_text(r.config));
      cand.text_columns[2].push_back(mapping);
      ct.add_row({name, double(i + 1), config_text(r.config), mapping, num_or_dash(r.predicted), num_or_dash(sim[i]),
                  sim_rank[i], std::string(mr.runs[i].oom ? "yes" : "no")});
    }
    if (mr.top.empty()) {
      mt.add_row({name, std::string("(nothing fits)"), std::string("-"), std::string("-"), std::string("-"),
                  std::string("-"), std::string("-"), std::string("-"), std::string("-"), std::string("-")});
      continue;
    }
    const auto& pick = mr.top.front();
    const double p = pick.predicted, s = mr.runs.front().seconds;
    const double error = (p - s) / s;
    const double speedup = megatron_s / s;
    double default_s = s;
    if (!pick.default_order) {
      Recommendation d = pick;
      d.default_order = true;
      default_s = run_of(d).seconds;
    }
    const double rho = spearman(pred, sim), tau = kendall(pred, sim);
    const double vals[] = {p, s, error, speedup, rho, tau, mr.runs.front().oom ? 1.0 : 0.0, default_s, default_s / s,
                           double(mr.top.size())};
    for (int c = 0; c < 10; ++c) meth.numeric_columns[c].push_back(vals[c]);
    meth.text_columns[0].push_back(name);
    meth.text_columns[1].push_back(config_text(pick.config));
    meth.text_columns[2].push_back(pick.default_order ? "default" : grid_text(pick.grid));
    mt.add_row({name, config_text(pick.config), num_or_dash(p), num_or_dash(s), num_or_dash(100 * error),
                std::string(mr.runs.front().oom ? "yes" : "no"), num_or_dash(speedup), num_or_dash(default_s / s),
                num_or_dash(rho), num_or_dash(tau)});
  }

  std::cout << "# compare: " << session.job.model.name << " (seq " << session.job.model.seq_len << ", global batch "
            << session.input.global_batch << ") on platform '" << session.scenario.platform.name << "' ("
            << session.input.nodes << " nodes x " << session.input.gpus_per_node << " GPUs)\n";
  std::cout << "bandwidth matrix: " << session.bandwidth_source << "; top " << top << " per method; Megatron default ("
            << config_text(megatron_pick.config) << ") simulated " << output::format_fixed(megatron_s, 4) << " s\n";
  std::cout << "error = (predicted - simulated) / simulated; mapping gain = pick under Megatron's rank order / pick as mapped\n\n";
  mt.print(std::cout);
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
  trace.summary.push_back({"megatron_default_s", megatron_s, "s"});
  trace.summary_text.push_back({"bandwidth_source", session.bandwidth_source});
  trace.tables.push_back(cand);
  trace.tables.push_back(meth);
  output::TraceWriteOptions write;
  write.existing = plan.existing();
  output::write_trace_hdf5(trace, h5, write);
  auto csv = [existing = plan.existing()](const output::Table& tab, const std::string& path) {
    output::TextTable t;
    for (const auto& n : tab.text_names) t.text_column(n);
    for (const auto& n : tab.numeric_names) t.number_column(n, 6);
    for (size_t r = 0; r < tab.rows(); ++r) {
      std::vector<output::TextTable::Cell> row;
      for (const auto& c : tab.text_columns) row.emplace_back(c[r]);
      for (const auto& c : tab.numeric_columns) row.emplace_back(c[r]);
      t.add_row(std::move(row));
    }
    // Temporary + rename (output/atomic_file.hpp): never half a CSV, even on Ctrl-C.
    output::write_text_file(path, t.csv(), existing);
  };
  csv(cand, cand_csv);
  csv(meth, meth_csv);
  std::cout << "\nresults written to " << h5 << ", " << cand_csv << ", " << meth_csv << "\n";
  return exit_code::kOk;
}

}  // namespace trainsim::cli
