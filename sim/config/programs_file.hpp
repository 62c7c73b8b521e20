#pragma once
// Programs files (docs/programs.md, "File format"): the strict reader behind `kind: programs`
// jobs. Scenario loading reads only the header (config/parse_programs.cpp); the whole file is
// read and checked (program::validate) when the job runs, and a deadlock found while playing is
// reported at the line of an op that waits for ever.
#include "program/program.hpp"
#include "program/spec.hpp"

namespace trainsim {

// Size limits of a programs file: beyond them the file is refused as almost certainly broken.
inline constexpr long long kMaxPrograms = 1LL << 24;
inline constexpr long long kMaxProgramRanks = 1LL << 20;
inline constexpr long long kMaxProgramOps = 1LL << 31;

struct ProgramsFile {
  program::ProgramSet set;
  std::string path;
  std::vector<std::vector<int>> op_lines;  // per program, the line of each op
  // Where op `op` of program `program` is written (for faults found while playing: deadlocks).
  SourceLocation op_location(int program, int op) const;
};

// Reads `spec.file` in full and checks it (program::validate) against a platform of
// `platform_gpus` GPUs. Throws InputError at the line (and key) at fault. Programs that deadlock
// are found when they are played (engine/player.hpp).
ProgramsFile load_programs_file(const ProgramsSpec& spec, int platform_gpus);

}  // namespace trainsim
