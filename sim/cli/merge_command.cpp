// `trainsim merge FOLDER`: the outputs of a sharded search from its shards' parts, byte-identical
// to a single-machine run's; or which shards are missing, and running or resubmitting them
// (docs/slurm.md).
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/sharding.hpp"
#include "core/error.hpp"
#include "scaleout/manifest.hpp"

namespace trainsim::cli {

int merge_command(const std::vector<std::string>& words) {
  std::vector<OptionSpec> specs = {
      {"run-missing", "", "run the missing shards here, one after the other, then merge"},
      {"slurm", "", "submit the missing shards as a Slurm job array, wait for them and merge"},
      {"jobs", "N", "--run-missing: simulations at a time (1 to 256; default: the search's --jobs)"},
      {"no-resubmit", "", "--slurm: submit only rounds no job ran yet; report shards whose job ran and failed"}};
  for (auto& o : slurm_option_specs()) specs.push_back(std::move(o));
  Args args("merge", "FOLDER [options]",
            "Merges the parts of a sharded search (sweep, compare or batch run with --shard I/N or --slurm) into the "
            "outputs a single-machine run of the same command writes, byte for byte. FOLDER is the parts folder next "
            "to the output (<output>.parts). A search that is not complete is reported (the rounds and shards whose "
            "parts are missing, exit code 4) and resumed with --run-missing (here) or --slurm (resubmitted). An "
            "adaptive search (bisection, the oracle's placement search) has several rounds: each round's shards run "
            "once the previous round is merged.",
            specs,
            "trainsim sweep scenarios/diloco/table4.yaml --trace out/table4.h5 --shard 1/2\n"
            "trainsim merge out/table4.h5.parts --run-missing");
  args.parse(words);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  const std::string& folder = args.single_positional("parts folder");
  MergeOptions o;
  o.run_missing = args.flag("run-missing");
  o.slurm = args.flag("slurm");
  if (o.run_missing && o.slurm) throw UsageError("--run-missing runs the missing shards here, --slurm on Slurm: choose one");
  if (auto j = args.value("jobs")) {
    if (!o.run_missing) throw UsageError("--jobs goes with --run-missing (a merge alone simulates nothing)");
    o.jobs = static_cast<int>(args.integer("jobs", 2, 1, 256));
  }
  for (const auto& s : slurm_option_specs())
    if (!o.slurm && (s.value_name.empty() ? args.flag(s.name) : args.value(s.name).has_value()))
      throw UsageError("--" + s.name + " goes with --slurm");
  if (args.flag("no-resubmit") && !o.slurm) throw UsageError("--no-resubmit goes with --slurm");
  if (o.slurm) {
    o.slurm_options = slurm_options(args, 2);
    o.wait = !args.flag("no-wait");
    o.resubmit = !args.flag("no-resubmit");
  }
  return merge_search(folder, o);
}

}  // namespace trainsim::cli
