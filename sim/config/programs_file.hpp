#pragma once
// Programs files (docs/programs.md, "File format"): the strict reader behind `kind: programs`
// jobs. Scenario loading reads only the header (config/parse_programs.cpp); the whole file is
// read, checked (program::validate, and the reference executor for deadlocks) and mapped to
// its lines when the job runs.
#include "program/program.hpp"
#include "program/spec.hpp"

namespace trainsim {

// Size limits of a programs file: beyond them the file is refused as almost certainly broken.
inline constexpr long long kMaxPrograms = 1LL << 24;
inline constexpr long long kMaxProgramRanks = 1LL << 20;
inline constexpr long long kMaxProgramOps = 1LL << 31;

// Reads `spec.file` in full and checks it against a platform of `platform_gpus` GPUs. Throws
// InputError at the line (and key) at fault.
program::ProgramSet load_programs_file(const ProgramsSpec& spec, int platform_gpus);

}  // namespace trainsim
