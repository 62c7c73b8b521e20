// `trainsim profile-bandwidth`: what Pipette runs on hardware before configuring, run on the
// simulated platform: a send/receive ring between every pair of nodes in parallel rounds,
// 31,457,280-byte messages, the intra-node ring on the diagonal (configurator/training_bridge.hpp);
// written in Pipette's JSON format.
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/configurator_options.hpp"
#include "cli/shared_options.hpp"
#include "config/bandwidth_matrix.hpp"
#include "config/loader.hpp"
#include "core/limits.hpp"
#include "core/progress.hpp"
#include "output/output_plan.hpp"
#include "output/table_printer.hpp"

namespace trainsim::cli {

namespace {
std::string node_label(int node) {
  std::string s = "n";
  s += std::to_string(node);
  return s;
}
}  // namespace

int profile_bandwidth_command(const std::vector<std::string>& words) {
  Args args("profile-bandwidth", "PLATFORM.yaml [options]",
            "Measures the node-to-node send/receive bandwidth of a simulated single-cluster platform as Pipette "
            "does on hardware (every pair of nodes in parallel rounds, an nccl-tests sendrecv ring over 4 GPUs of "
            "each node, 31,457,280-byte messages; the diagonal is a ring over the node's GPUs) and writes Pipette's "
            "JSON matrix (GB/s, 2 decimals).",
            {{"output", "FILE.json", "where to write the matrix (default: print only)"},
             {"seed", "N", "seed of the platform's heterogeneity draws (0 to 2^63-1, default 0, as a scenario's)"},
             {"force", "", "replace an existing output file (regular files only)"},
             {"quiet", "", "no progress bar (drawn on stderr when it is a terminal)"},
             host_memory_limit_option()},
            "trainsim profile-bandwidth platforms/v100-edr-hetero.yaml --output v100.json");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  const PlatformSpec platform = load_platform_file(args.single_positional("platform file"));
  const auto seed = static_cast<uint64_t>(args.integer("seed", 0, 0, kMaxSeed));
  const std::string out = args.value("output").value_or("");
  const auto& cluster = configurator::single_cluster(platform);
  // One simulated exchange per pair of nodes of a round: at most nodes / 2 actors at a time.
  limits::RunSize size;
  size.platform_gpus = platform.total_gpus();
  size.actors = cluster.nodes / 2 + 1;
  limits::check_memory(limits::estimate_memory(size), limits::memory_ceiling(host_memory_limit(args)),
                       SourceLocation{platform.file, 0, 0}, "platform");
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (!out.empty()) plan.add(out, "--output");
  ProgressOptions progress;  // a bar of the rounds on stderr when it is a terminal: 256 nodes take minutes
  progress.quiet = args.flag("quiet");
  const configurator::NodeBandwidth bw = configurator::profile_bandwidth(platform, seed, {}, &progress);

  std::cout << "# send/receive bandwidth (GB/s) between the nodes of '" << cluster.name << "' (platform '"
            << platform.name << "'), 31457280-byte messages\n";
  output::TextTable t;
  t.text_column("node");
  for (int b = 0; b < bw.nodes(); ++b) t.number_column(node_label(b), 2);
  for (int a = 0; a < bw.nodes(); ++a) {
    std::vector<output::TextTable::Cell> row{node_label(a)};
    for (int b = 0; b < bw.nodes(); ++b) row.emplace_back(bw.at(a, b) / 1e9);
    t.add_row(std::move(row));
  }
  t.print(std::cout);
  if (!out.empty()) {
    auto m = bw.to_matrix(cluster.name);
    for (int a = 0; a < bw.nodes(); ++a) m.hosts[a] = cluster.name + "-node" + std::to_string(a);
    write_bandwidth_matrix(m, out, plan.existing());
    std::cout << "matrix written to " << out << "\n";
  }
  return exit_code::kOk;
}

}  // namespace trainsim::cli
