// `trainsim export megatron SCENARIO.yaml`: the Megatron-LM launch of a scenario's training
// job, so that a configurator's pick can be launched as it is (docs/import.md, "Export").
#include <iostream>
#include <variant>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/frontend_io.hpp"
#include "importer/import_result.hpp"
#include "importer/megatron_export.hpp"
#include "jobs/load.hpp"
#include "output/atomic_file.hpp"
#include "output/output_plan.hpp"

namespace trainsim::cli {

namespace {

int export_megatron_command(const std::vector<std::string>& words) {
  Args args("export megatron", "SCENARIO.yaml [options]",
            "Prints the Megatron-LM launch of a training scenario: a torchrun line running pretrain_gpt.py with\n"
            "the flags of the scenario's model, parallelism, batches, recomputation, optimizer sharding, kernels\n"
            "and precision. 'trainsim import megatron' reads it back into the same job (docs/import.md).",
            {{"flags-only", "", "print only pretrain_gpt.py's flags, on one line"},
             {"output", "FILE", "write the launch there (default: print it)"},
             {"force", "", "replace an existing output file"}},
            "trainsim export megatron scenarios/validation/megatron-39.1b.yaml");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1)
    throw UsageError("'export megatron' needs one scenario file, got " + std::to_string(args.positionals().size()));
  const std::string file = args.positionals().front();
  const Scenario scenario = load_scenario_file(file);
  const auto* job = scenario.job.get_if<TrainingSpec>();
  if (!job)
    throw InputError({file, 0, 0}, "job.kind", "only training jobs have a Megatron-LM launch; expected kind: training");
  const auto launch = importer::export_megatron(*job, scenario.platform, job->where);
  std::string text;
  if (args.flag("flags-only")) {
    for (const auto& f : launch.flags) text += (text.empty() ? "" : " ") + f;
    text += "\n";
  } else {
    const int world = launch.nodes * launch.gpus_per_node;
    text += "# Megatron-LM launch of " + file + ": " + job->model.name + " on " + std::to_string(world) + " GPUs (" +
            importer::nodes_text(launch.nodes, launch.gpus_per_node) + ") of platform '" +
            scenario.platform.name + "'.\n";
    if (launch.nodes > 1) text += "# Run it on every node with NODE_RANK (0.." + std::to_string(launch.nodes - 1) +
                                  ") and MASTER_ADDR (node rank 0's address) set.\n";
    if (!launch.node_ranks.empty()) {
      const auto nodes = importer::platform_nodes(scenario.platform);
      for (size_t k = 0; k < launch.node_ranks.size(); ++k) {
        const auto& n = nodes[launch.node_ranks[k]];
        text += "#   NODE_RANK=" + std::to_string(k) + " on node " + std::to_string(n.index) + " of cluster '" +
                n.cluster + "' (GPUs " + std::to_string(n.first_gpu) + "-" +
                std::to_string(n.first_gpu + launch.gpus_per_node - 1) + ")\n";
      }
    }
    for (const auto& note : launch.notes)
      for (const auto& line : wrap_words(note, 96)) text += "# " + line + "\n";
    // An inline platform has no file of its own to name.
    const bool own_file = !scenario.platform.file.empty() && scenario.platform.file != scenario.file;
    text += "# Back to a scenario: trainsim import megatron --platform " +
            (own_file ? scenario.platform.file : std::string("PLATFORM.yaml (the scenario's inline platform)")) +
            " -- \"$(cat THIS_FILE)\"\n";
    text += importer::launch_text(launch);
  }
  if (const auto out = args.value("output")) {
    output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
    plan.add(*out, "--output");
    output::write_text_file(*out, text, plan.existing());
    std::cout << "Megatron-LM launch written to " << *out << "\n";
  } else {
    std::cout << text;
  }
  return exit_code::kOk;
}

}  // namespace

int export_command(const std::vector<std::string>& words) {
  if (words.empty() || words[0] == "--help" || words[0] == "-h") {
    std::cout << "usage: trainsim export megatron SCENARIO.yaml [options]\n\n"
                 "Prints the Megatron-LM launch (torchrun line and pretrain_gpt.py flags) of a training scenario\n"
                 "(docs/import.md). 'trainsim export megatron --help' describes the options.\n\nexample:\n"
                 "  trainsim export megatron scenarios/validation/megatron-39.1b.yaml\n";
    return words.empty() ? exit_code::kBadInput : exit_code::kOk;
  }
  if (words[0] == "megatron") return export_megatron_command({words.begin() + 1, words.end()});
  throw UsageError("unknown framework '" + words[0] + "' for 'export'; expected megatron");
}

}  // namespace trainsim::cli
