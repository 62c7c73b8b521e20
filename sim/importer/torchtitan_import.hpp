#pragma once
// torchtitan job config (TOML) -> training job (docs/import.md). Reads the model flavour,
// [parallelism] degrees and pipeline schedule, [training] batch and sequence, mixed precision,
// [activation_checkpoint] and float8; every other setting is listed as ignored or, when it
// changes the iteration in a way trainsim does not model, refused naming its key.
#include <string>
#include <vector>

#include "importer/command_line.hpp"
#include "importer/import_result.hpp"

namespace trainsim::importer {

// `overrides`: torchtitan's own command-line overrides (`--training.seq_len 4096`,
// `--training.compile`), applied over the file as torchtitan applies them. Throws InputError at
// the file's (or the override's) line and column naming the key (`parallelism.x`), or at the
// file for TOML syntax errors.
ImportResult import_torchtitan(const std::string& path, const ImportOptions& options,
                               const std::vector<Word>& overrides = {});

// The same from text (`name` is the file name in messages).
ImportResult import_torchtitan_text(const std::string& text, const std::string& name, const ImportOptions& options,
                                    const std::vector<Word>& overrides = {});

// The keys the importer knows (`trainsim import torchtitan --list-keys`, docs/import.md): what
// it does with each ("read", "ignored", "refused"), what it sets or why it refuses, and the
// value a refused key may have. Sections read whole are listed as "[section]", ignored.
struct TorchtitanKey {
  std::string path, use, note, harmless;
};
std::vector<TorchtitanKey> torchtitan_keys();

}  // namespace trainsim::importer
