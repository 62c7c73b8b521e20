#pragma once
// The `programs` job: rank programs played from a file (docs/programs.md, docs/scenarios.md).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace trainsim {

struct ProgramsSpec {
  static constexpr std::string_view kind = "programs";  // `job: {kind: programs}`
  std::string file;      // resolved path of the programs file
  SourceLocation where;  // the `file` key, for errors found when the file is read in full
  // From the file's header, checked when the scenario is loaded: what produced the programs and
  // their sizes (the memory estimate needs them before the file is read).
  std::string job_kind;
  int64_t streams = 0, groups = 0, programs = 0, ranks = 0, ops = 0;
};

}  // namespace trainsim
