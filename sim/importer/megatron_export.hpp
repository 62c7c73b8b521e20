#pragma once
// Training job -> the Megatron-LM launch that runs it (docs/import.md, "Export"): the
// pretrain_gpt.py flags of current Megatron-LM and the torchrun line around them. The inverse
// of import_megatron: importing the exported launch gives the same job. Settings Megatron-LM
// has no flag for are errors naming the scenario key.
#include <string>
#include <vector>

#include "platform/spec.hpp"
#include "training/spec.hpp"

namespace trainsim::importer {

struct MegatronLaunch {
  std::vector<std::string> env;       // assignments before the launcher
  std::vector<std::string> launcher;  // torchrun and its options
  std::vector<std::string> flags;     // pretrain_gpt.py's flags, one entry per flag with its value
  int nodes = 0, gpus_per_node = 0;
  // Placement: node_ranks[k] is the platform node (global index) torchrun's node rank k runs
  // on; empty when node rank k runs on node k.
  std::vector<int> node_ranks;
  std::vector<std::string> notes;  // what the launch leaves to the user or cannot carry
};

// `where` locates the scenario's job (for errors).
MegatronLaunch export_megatron(const TrainingSpec& job, const PlatformSpec& platform, const SourceLocation& where);

// The launch as a shell script fragment: the launcher line and one flag per line, joined by
// backslash continuations (what `trainsim import megatron` reads back).
std::string launch_text(const MegatronLaunch& launch);

}  // namespace trainsim::importer
