#pragma once
// The programs file format (docs/programs.md, "File format"): JSON lines, versioned. Line 1 is
// the header (format name, version, names of streams, slots and labels, the job's accounting,
// counts); then one line per group, per program followed by one line per op, per rank. Written
// here; read strictly by config/parse_programs.cpp.
#include <ostream>

#include "program/program.hpp"

namespace trainsim::program {

inline constexpr const char* kFormatName = "trainsim-programs";

// Writes `set` (byte-identical for equal sets: numbers in their shortest exact form).
void write_programs(const ProgramSet& set, std::ostream& out);

}  // namespace trainsim::program
