// `trainsim configure`: ranked configurations of one configurator, each written as a scenario
// file that `trainsim run` accepts unchanged. docs/pipette.md.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/batch_progress.hpp"
#include "cli/commands.hpp"
#include "cli/configurator_options.hpp"
#include "configurator/scenario_text.hpp"
#include "core/units.hpp"
#include "jobs/load.hpp"
#include "output/atomic_file.hpp"
#include "output/output_error.hpp"
#include "output/output_plan.hpp"
#include "output/table_printer.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;
using namespace trainsim::configurator;

namespace {

// `platform:` as the written scenarios should name it: a shipped platform's bare name as the
// user wrote it (it resolves from anywhere), a file relative to their directory; "" keeps an
// inline platform as it is.
std::string platform_reference(const Scenario& s, const fs::path& dir) {
  const std::string& file = s.platform.file;
  if (file.empty() || fs::path(file) == fs::path(s.file)) return "";
  if (!s.platform_name.empty()) return s.platform_name;
  return fs::relative(fs::absolute(file), fs::absolute(dir)).generic_string();
}

}  // namespace

int configure_command(const std::vector<std::string>& words) {
  refuse_memory_limit(words);
  auto specs = session_option_specs();
  std::string methods;
  for (const auto& [n, v] : method_names()) methods += (methods.empty() ? "" : ", ") + n;
  specs.insert(specs.begin(), {"method", "NAME", methods + " (default pipette)"});
  specs.push_back({"output-dir", "DIR", "where the scenario files go (default: <scenario name>-<method>)"});
  specs.push_back({"force", "", "replace existing scenario files (regular files only)"});
  specs.push_back({"quiet", "", "no progress on the terminal (the oracle's simulations)"});
  Args args("configure", "SCENARIO.yaml [options]",
            "Recommends training configurations (parallel degrees, micro-batch, GPU mapping) for the scenario's "
            "training job on its platform, ranked by the method's own predicted iteration time (the oracle: by "
            "simulated time), and writes each as a scenario file with every other key of the input kept.",
            specs, "trainsim configure scenarios/pipette/v100-8node-8.1b-spread.yaml --method pipette --top 3");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1) throw UsageError("'configure' needs exactly one scenario file\n\n" + args.help());
  const Method method = cli_method(args.value("method").value_or("pipette"));
  const int top = static_cast<int>(cli_integer(args, "top", 5, 1, 1000000));
  const Session session = open_session(args.positionals()[0], session_options(args));
  const fs::path dir = args.value("output-dir").value_or(session.scenario.name + "-" + method_name(method));
  const std::string platform_ref = platform_reference(session.scenario, dir.empty() ? fs::path(".") : dir);

  // Refuse existing outputs before any search or simulation: ranks 1..top may all be written.
  const std::string stem = session.scenario.name + "-" + method_name(method) + "-";
  auto file_of_rank = [&](size_t rank) { return dir / (stem + std::to_string(rank) + ".yaml"); };
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  plan.add_folder(dir.empty() ? "." : dir.string(), "--output-dir");
  for (const auto& entry : fs::directory_iterator(dir.empty() ? fs::path(".") : dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0 || name.size() <= stem.size() + 5 || name.substr(name.size() - 5) != ".yaml") continue;
    const std::string rank = name.substr(stem.size(), name.size() - stem.size() - 5);
    if (rank.find_first_not_of("0123456789") != std::string::npos || rank.size() > 9 || rank[0] == '0') continue;
    if (std::stoll(rank) > top) continue;
    const std::string path = file_of_rank(std::stoull(rank)).string();
    if (std::string why = output::refusal_of_existing(path, plan.existing()); !why.empty())
      throw output::OutputError(path, why, "--output-dir");
  }

  ProgressOptions progress;
  progress.quiet = args.flag("quiet");
  BatchProgress oracle_bar("oracle", progress);
  std::vector<Recommendation> recs;
  std::string oracle_note;
  if (method == Method::Oracle) {
    SimulationCache cache(child_simulator(session.scenario, session.job, session.options.jobs));
    const OracleResult o = run_oracle(session, rank_methods(session), cache, oracle_bar.callback());
    recs = o.ranked;
    int oom = 0, searched = 0;
    for (const auto& s : o.searches) oom += s.kind == SearchKind::OutOfMemory, searched += s.kind == SearchKind::Exhaustive || s.kind == SearchKind::Annealing;
    oracle_note = "oracle: " + std::to_string(cache.size()) + " placements simulated, " + std::to_string(searched) +
                  " configurations placement-searched, " + std::to_string(oom) +
                  " over the memory limit (not ranked; `trainsim compare` lists them)\n";
  } else {
    recs = configure(method, session.input, session.options.configure);
  }
  if (static_cast<int>(recs.size()) > top) recs.resize(top);
  if (recs.empty()) {
    std::cout << "no configuration of the search space fits in memory\n";
    return exit_code::kOk;
  }
  std::vector<fs::path> files;
  for (size_t i = 0; i < recs.size(); ++i) files.push_back(file_of_rank(i + 1));

  const int gpn = session.input.gpus_per_node;
  const std::string time_word = method == Method::Oracle ? "simulated" : "predicted";
  std::cout << "# configure: " << method_name(method) << " for " << session.job.model.name << " on platform '"
            << session.scenario.platform.name << "' (" << session.input.nodes << " nodes x " << gpn
            << " GPUs), global batch " << session.input.global_batch << "\n";
  std::cout << "bandwidth matrix: " << session.bandwidth_source << "; GPU memory limit "
            << units::format_size(session.input.memory_limit) << "\n" << oracle_note << "\n";
  output::TextTable t;
  t.number_column("rank", 0).number_column("pp", 0).number_column("tp", 0).number_column("dp", 0);
  t.number_column("mb", 0).text_column("mapping (stage nodes or n<node>.<k> units per replica row)").number_column(time_word + "(s)", 4);
  t.number_column("memory(GiB)", 2).text_column("fits").text_column("file");
  for (size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    ScenarioHeader h;
    h.name = session.scenario.name + "-" + method_name(method) + "-" + std::to_string(i + 1);
    h.platform_path = platform_ref;
    char buf[200];
    if (std::isnan(r.predicted))  // Megatron's rules have no time model
      std::snprintf(buf, sizeof buf, "no time model; estimated memory %s per GPU", units::format_size(r.memory).c_str());
    else
      std::snprintf(buf, sizeof buf, "%s %.6g s per iteration, estimated memory %s per GPU", time_word.c_str(),
                    r.predicted, units::format_size(r.memory).c_str());
    h.comment = "written by trainsim configure --method " + method_name(method) + " (rank " + std::to_string(i + 1) +
                ") from " + session.scenario.file + "\n" + config_text(r.config) + ", mapping " +
                (r.default_order() ? std::string("Megatron default order") : grid_text(r.grid)) + "\n" + buf;
    // Temporary + rename (output/atomic_file.hpp): an interrupted configure leaves no scenario
    // file that `trainsim run` would half-read.
    output::AtomicOutputFile file(files[i].string(), plan.existing());
    {
      std::ofstream out(file.temp_path());
      out << scenario_text(h, session.scenario.text, r, gpn);
      out.flush();
      if (!out) {
        file.discard();
        throw UsageError("cannot write '" + files[i].string() + "'");
      }
    }
    // The file must load where it is (an inline platform may name files relative to the input).
    try {
      (void)load_scenario_file(file.temp_path());
    } catch (const InputError& e) {
      file.discard();
      throw UsageError("the scenario for rank " + std::to_string(i + 1) + " would not load from '" + dir.string() +
                       "' (" + e.message() + "); give the platform as a file");
    }
    file.commit();
    output::TextTable::Cell pred = std::isnan(r.predicted) ? output::TextTable::Cell(std::string("-"))
                                                           : output::TextTable::Cell(r.predicted);
    t.add_row({double(i + 1), double(r.config.pp), double(r.config.tp), double(r.config.dp),
               double(r.config.micro_batch), mapping_text(r, 72), pred, r.memory / units::GiB,
               std::string(r.fits ? "yes" : "NO"), files[i].string()});
  }
  t.print(std::cout);
  return exit_code::kOk;
}

}  // namespace trainsim::cli
