// `trainsim import megatron|torchtitan`: a training scenario from the launch configuration
// people already have (docs/import.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <variant>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/frontend_io.hpp"
#include "importer/megatron_flags.hpp"
#include "importer/megatron_import.hpp"
#include "importer/scenario_writer.hpp"
#include "importer/torchtitan_import.hpp"
#include "jobs/load.hpp"
#include "output/atomic_file.hpp"
#include "output/output_plan.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace {

namespace fs = std::filesystem;

// The table behind an importer, as tab-separated lines (docs/gen/import_tables.py reads them).
int list_megatron_flags() {
  std::cout << "flag\teffect\tvalues\tnote\taccepted\n";
  for (const auto& f : importer::megatron_flags()) {
    const char* effect = f.effect == importer::Effect::Modelled ? "modelled"
                         : f.effect == importer::Effect::Ignored ? "ignored"
                                                                 : "refused";
    const char* values = f.arity == importer::Arity::None ? "none" : f.arity == importer::Arity::One ? "one" : "list";
    std::cout << f.name << "\t" << effect << "\t" << values << "\t" << f.why << (f.pre_core ? " [pre-2023]" : "")
              << "\t" << f.harmless << "\n";
  }
  return exit_code::kOk;
}

int list_torchtitan_keys() {
  std::cout << "key\teffect\tnote\taccepted\n";
  for (const auto& k : importer::torchtitan_keys())
    std::cout << k.path << "\t" << k.use << "\t" << k.note << "\t" << k.harmless << "\n";
  return exit_code::kOk;
}

const std::vector<OptionSpec> kCommonOptions = {
    {"platform", "NAME|FILE", "the cluster: a shipped platform's name (h100-400g) or a platform file (required)"},
    {"nodes", "N", "nodes the job runs on (default: the launcher's count)"},
    {"gpus-per-node", "G", "GPUs used on each node (default: the launcher's count, else every GPU of a node)"},
    {"output", "FILE.yaml", "write the scenario there (default: print it)"},
    {"name", "NAME", "scenario name (default: the output file's name)"},
    {"force", "", "replace an existing output file"},
    {"quiet", "", "print no notes (the warning about ignored settings is always printed)"},
};

std::vector<OptionSpec> with_list_option(std::vector<OptionSpec> options, const std::string& name,
                                         const std::string& help) {
  options.push_back({name, "", help});
  return options;
}

int count_option(const Args& args, const std::string& name) {
  const auto v = args.value(name);
  if (!v) return 0;
  if (v->empty() || v->size() > 7 || v->find_first_not_of("0123456789") != std::string::npos || std::stoi(*v) < 1)
    throw UsageError("option '--" + name + "' needs a positive integer, got '" + *v + "'");
  return std::stoi(*v);
}

// Writes the scenario of an import and tells the user what was read how.
int finish_import(const Args& args, const std::string& framework, const std::string& default_name,
                  const PlatformChoice& platform, const importer::ImportResult& result) {
  const auto output = args.value("output");
  const std::string name = args.value("name").value_or(output ? fs::path(*output).stem().string() : default_name);
  check_scenario_name(name, args.value("name") ? "--name" : "--output");
  importer::ScenarioHeader header;
  header.name = name;
  header.platform = platform.as_written;
  header.comment.push_back("Imported by `trainsim import " + framework + "` (trainsim " + kVersion + ") from:");
  for (const auto& line : wrap_words(result.source, 96)) header.comment.push_back("  " + line);
  header.comment.push_back(importer::nodes_text(result.nodes, result.gpus_per_node) + " of platform '" +
                           platform.spec.name + "'.");
  if (!result.ignored.empty())
    for (const auto& line : wrap_words("Ignored (no effect on the simulated iteration): " + join(result.ignored), 96))
      header.comment.push_back(line);
  for (const auto& note : result.notes)
    for (const auto& line : wrap_words("- " + note, 96)) header.comment.push_back(line);
  TrainingSpec job = result.job;
  if (job.model.name.empty()) job.model.name = name;
  const std::string text = importer::training_scenario_text(header, job);
  // The file must load as written, into the same job: check before writing anything.
  const std::string where = output ? *output : (fs::current_path() / (name + ".yaml")).string();
  const Scenario loaded = load_scenario_text(text, where);
  if (importer::training_job_text(loaded.job.as<TrainingSpec>()) != importer::training_job_text(job))
    throw InternalError("the imported scenario does not load back into the same job");

  // The output is checked before anything is said: a refusal is the only line printed.
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  if (output) plan.add(*output, "--output");
  if (!result.ignored.empty())
    std::cerr << "trainsim: warning: ignored " << result.ignored.size()
              << " setting(s) that do not change the simulated iteration: " << join(result.ignored) << "\n";
  if (!args.flag("quiet"))
    for (const auto& note : result.notes) std::cerr << "trainsim: note: " << note << "\n";
  if (!output) {
    std::cout << text;
    return exit_code::kOk;
  }
  output::write_text_file(*output, text, plan.existing());
  std::cout << "scenario written to " << *output << "\n";
  return exit_code::kOk;
}

int import_megatron_command(const std::vector<std::string>& words) {
  std::vector<std::string> mine, flags;
  bool after = false;
  for (const auto& w : words) {
    if (!after && w == "--") after = true;
    else (after ? flags : mine).push_back(w);
  }
  Args args("import megatron", "--platform NAME [options] -- <pretrain_gpt.py flags, or a launcher line>",
            "Writes a training scenario from Megatron-LM's own flags: pretrain_gpt.py's flags, or a whole\n"
            "launcher line (torchrun, python -m torch.distributed.run/launch, srun, sh -c \"...\"), or a pasted\n"
            "script as one quoted argument. Flags that do not change the simulated iteration are listed in a\n"
            "warning; flags whose effect trainsim does not model are errors naming the flag (docs/import.md).",
            with_list_option(kCommonOptions, "list-flags", "print every Megatron-LM flag trainsim knows and what it does"),
            "trainsim import megatron --platform selene-dgx-a100 --nodes 4 --output out/gpt.yaml -- --num-layers 24 "
            "--hidden-size 2304 --num-attention-heads 24 --seq-length 2048 --micro-batch-size 16 "
            "--global-batch-size 512 --vocab-size 50257 --fp16");
  args.parse(mine);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.flag("list-flags")) return list_megatron_flags();
  if (!args.positionals().empty())
    throw UsageError("unexpected '" + args.positionals().front() + "' before '--'; the Megatron-LM flags go after "
                     "'--' (see 'trainsim import megatron --help')");
  if (!args.value("platform")) throw UsageError("'import megatron' needs --platform NAME|FILE (the cluster)");
  if (!after || flags.empty())
    throw UsageError("'import megatron' needs the Megatron-LM flags after '--' (see 'trainsim import megatron --help')");
  const PlatformChoice platform = choose_platform(*args.value("platform"), args.value("output").value_or(""));
  importer::ImportOptions options;
  options.platform = platform.spec;
  options.platform_file = std::filesystem::absolute(platform.file).string();
  if (int n = count_option(args, "nodes")) options.nodes = n;
  if (int g = count_option(args, "gpus-per-node")) options.gpus_per_node = g;
  const bool pasted = flags.size() == 1 && flags[0].find_first_of(" \t\n") != std::string::npos;
  const auto commands = pasted ? importer::commands_from_text(flags[0], {importer::kCommandLineName, 1, 1})
                               : importer::commands_from_words(flags);
  return finish_import(args, "megatron", "megatron", platform, importer::import_megatron(commands, options));
}

int import_torchtitan_command(const std::vector<std::string>& words) {
  std::vector<std::string> mine, overrides;
  bool after = false;
  for (const auto& w : words) {
    if (!after && w == "--") after = true;
    else (after ? overrides : mine).push_back(w);
  }
  Args args("import torchtitan", "CONFIG.toml --platform NAME [options] [-- --section.key value ...]",
            "Writes a training scenario from a torchtitan job config (model flavour, [parallelism] degrees,\n"
            "[training] batch and sequence, [activation_checkpoint], float8). Settings that do not change the\n"
            "simulated iteration are listed in a warning; settings whose effect trainsim does not model are\n"
            "errors naming the key (docs/import.md). After '--', torchtitan's own command-line overrides\n"
            "(--training.seq_len 4096) apply over the file, as in torchtitan.",
            with_list_option(kCommonOptions, "list-keys", "print every torchtitan config key trainsim knows and what it does"),
            "trainsim import torchtitan tests/importer/torchtitan/llama3_8b.toml --platform h100-400g --nodes 1 "
            "--output out/llama3-8b.yaml");
  args.parse(mine);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.flag("list-keys")) return list_torchtitan_keys();
  if (args.positionals().size() != 1)
    throw UsageError("'import torchtitan' needs one torchtitan config file (.toml), got " +
                     std::to_string(args.positionals().size()));
  if (!args.value("platform")) throw UsageError("'import torchtitan' needs --platform NAME|FILE (the cluster)");
  const PlatformChoice platform = choose_platform(*args.value("platform"), args.value("output").value_or(""));
  importer::ImportOptions options;
  options.platform = platform.spec;
  options.platform_file = std::filesystem::absolute(platform.file).string();
  if (int n = count_option(args, "nodes")) options.nodes = n;
  if (int g = count_option(args, "gpus-per-node")) options.gpus_per_node = g;
  const std::string file = args.positionals().front();
  const auto commands = importer::commands_from_words(overrides);
  const auto words_after = commands.empty() ? std::vector<importer::Word>{} : commands.front().words;
  return finish_import(args, "torchtitan", fs::path(file).stem().string(), platform,
                       importer::import_torchtitan(file, options, words_after));
}

}  // namespace

int import_command(const std::vector<std::string>& words) {
  if (words.empty() || words[0] == "--help" || words[0] == "-h") {
    std::cout << "usage: trainsim import megatron --platform NAME [options] -- <Megatron-LM flags or launcher line>\n"
                 "       trainsim import torchtitan CONFIG.toml --platform NAME [options]\n\n"
                 "Writes a training scenario from the launch configuration of Megatron-LM or torchtitan\n"
                 "(docs/import.md). 'trainsim import megatron --help' and 'trainsim import torchtitan --help'\n"
                 "describe the options.\n\nexample:\n  trainsim import megatron --platform selene-dgx-a100 --nodes 4 "
                 "--output out/gpt.yaml -- --num-layers 24 --hidden-size 2304 --num-attention-heads 24 "
                 "--seq-length 2048 --micro-batch-size 16 --global-batch-size 512 --vocab-size 50257 --fp16\n";
    return words.empty() ? exit_code::kBadInput : exit_code::kOk;
  }
  const std::vector<std::string> rest(words.begin() + 1, words.end());
  if (words[0] == "megatron") return import_megatron_command(rest);
  if (words[0] == "torchtitan") return import_torchtitan_command(rest);
  throw UsageError("unknown framework '" + words[0] + "' for 'import'; expected megatron or torchtitan");
}

}  // namespace trainsim::cli
