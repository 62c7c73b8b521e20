#pragma once
// Megatron-LM launch command -> training job (docs/import.md). The command is what the user
// pasted: bare pretrain_gpt.py flags, or a launcher line (torchrun, python -m
// torch.distributed.run/launch, srun, sh -c "...") around them.
#include <vector>

#include "importer/command_line.hpp"
#include "importer/import_result.hpp"

namespace trainsim::importer {

// Throws InputError naming the flag (file "<command line>", its line and column) for an unknown
// flag, a bad value, a missing required flag, or a setting trainsim cannot represent.
ImportResult import_megatron(const std::vector<Command>& commands, const ImportOptions& options);

}  // namespace trainsim::importer
