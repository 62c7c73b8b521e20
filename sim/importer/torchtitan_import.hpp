#pragma once
// torchtitan job config (TOML) -> training job (docs/import.md). Reads the model flavour,
// [parallelism] degrees and pipeline schedule, [training] batch and sequence, mixed precision,
// [activation_checkpoint] and float8; every other setting is listed as ignored or, when it
// changes the iteration in a way trainsim does not model, refused naming its key.
#include <string>

#include "importer/import_result.hpp"

namespace trainsim::importer {

// Throws InputError at the file's line and column naming the key (`parallelism.x`), or at the
// file for TOML syntax errors.
ImportResult import_torchtitan(const std::string& path, const ImportOptions& options);

// The same from text (`name` is the file name in messages).
ImportResult import_torchtitan_text(const std::string& text, const std::string& name, const ImportOptions& options);

}  // namespace trainsim::importer
