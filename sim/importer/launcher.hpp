#pragma once
// The launcher part of a pasted Megatron-LM command: which process starter ran the training
// script (torchrun, `python -m torch.distributed.run` / `torch.distributed.launch`, srun,
// `sh -c "..."` around any of them), how many nodes and processes per node it started, and the
// script's own flags. Only the GPU count is taken from the launcher; its other options
// (rendezvous, ports, containers, logs) are listed as ignored.
#include <optional>
#include <string>
#include <vector>

#include "importer/command_line.hpp"

namespace trainsim::importer {

// A count the launcher gives: its value, or none when the word is a shell variable the pasted
// text does not set (an error only if trainsim's own option does not give the count).
struct LaunchCount {
  std::optional<int> value;
  std::string text;    // the word as written
  std::string option;  // the launcher option that gave it ("torchrun --nnodes"), for messages
  SourceLocation where;
};

struct Launch {
  std::string launcher;              // "torchrun", "torch.distributed.launch", "srun", "" (flags only)
  std::optional<Word> script;        // pretrain_gpt.py, as written
  std::vector<Word> flags;           // the script's arguments
  std::optional<LaunchCount> nodes;  // from the launcher
  std::optional<LaunchCount> gpus_per_node;
  // `--nproc-per-node gpu` (or `auto`): one process per GPU of the node.
  bool per_node_is_all_gpus = false;
  std::vector<std::string> ignored;  // launcher options and environment assignments not used
  std::vector<std::string> other_commands;  // commands of a pasted script that are not the launch
};

// Finds the command that starts the Megatron-LM training script (or the bare flags) among
// `commands`. Throws InputError naming the word for an unknown launcher or launcher option,
// or a training script other than pretrain_gpt.py.
Launch parse_launch(const std::vector<Command>& commands);

}  // namespace trainsim::importer
