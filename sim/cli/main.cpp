#include "cli/main.hpp"

#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"run", "simulate a scenario's job and print its summary", run_command},
      {"sweep", "sweep a diloco scenario over WAN bandwidth (utilization thresholds)", sweep_command},
      {"profile-bandwidth", "measure a platform's node-to-node bandwidth as Pipette does (JSON matrix)", profile_bandwidth_command},
      {"configure", "recommend training configurations (Pipette, AMP, Megatron, random, oracle)", configure_command},
      {"compare", "simulate the configurators' recommendations and compare their predictions", compare_command},
      {"import", "write a scenario from Megatron-LM flags or a torchtitan config", import_command},
      {"export", "print the Megatron-LM launch (torchrun line and flags) of a training scenario", export_command},
      {"report", "write one self-contained HTML page of a run, sweep or comparison result", report_command},
      {"batch", "run a list of scenarios, or each over a grid of overrides (one summary table)", batch_command},
      {"merge", "merge the shards of a sweep, compare or batch (--shard, --slurm) into its outputs", merge_command},
  };
  return list;
}

std::string usage() {
  std::string s =
      "usage: trainsim <command> [options]\n       trainsim --version\n\n"
      "trainsim simulates distributed LLM training on described clusters (SimGrid flow-level network).\n\n"
      "commands:\n";
  for (const auto& c : commands()) s += "  " + std::string(c.name) + std::string(20 - std::string(c.name).size(), ' ') + c.summary + "\n";
  s += "\n'trainsim <command> --help' describes a command.\nexit codes: 0 success, 2 bad input or usage, 3 internal error, 4 merge incomplete\n"
       "(shards missing), 130 interrupted (SIGINT), 143 terminated (SIGTERM); an interrupted run leaves no partial\n"
       "output file.\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  // Before any output or child process exists: see core/interrupt.hpp for why the handler exits.
  interrupt::install();
  try {
    if (words.empty()) {
      std::cerr << usage();
      return exit_code::kBadInput;
    }
    if (words[0] == "--version") {
      std::cout << "trainsim " << kVersion << " (SimGrid 3.32)\n";
      return exit_code::kOk;
    }
    if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
      std::cout << usage();
      return exit_code::kOk;
    }
    for (const auto& c : commands())
      if (words[0] == c.name) return c.run({words.begin() + 1, words.end()});
    std::string best;
    size_t best_d = 3;
    for (const auto& c : commands())
      if (size_t d = edit_distance(words[0], c.name); d < best_d) best_d = d, best = c.name;
    throw UsageError("unknown command '" + words[0] + "'" + (best.empty() ? "" : " (did you mean '" + best + "'?)"));
  } catch (const UsageError& e) {
    std::cerr << "trainsim: " << e.what() << "\n";
    return exit_code::kBadInput;
  } catch (const InputError& e) {
    std::cerr << e.what() << "\n";
    return exit_code::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "trainsim: internal error: " << e.what() << "\n";
    return exit_code::kInternal;
  }
}

}  // namespace trainsim::cli
