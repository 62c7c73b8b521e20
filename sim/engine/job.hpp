#pragma once
// What running a scenario's job produces: its result (output/trace.hpp: always the summary
// values, texts, tables, link totals and the display spec of its terminal summary; activities
// only if requested), from which the terminal report is written.
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "output/terminal_summary.hpp"
#include "output/trace.hpp"
#include "program/program.hpp"

namespace trainsim {

struct JobOptions {
  bool keep_activities = false;  // a trace file was asked for
  bool quiet = false;            // no progress output
  // Build every GPU of the platform instead of only the job's (SimulationOptions::gpus); the
  // results are the same (tests/network/test_scope.cpp), the build slower on large platforms.
  bool whole_platform = false;
  // Play one rank of each tensor-parallel group when the others are provably exact copies of it
  // (engine/fold.hpp); same results, far fewer simulated actors. `trainsim run --no-fold`.
  bool fold = true;
};

struct JobOutcome {
  output::TraceData trace;
  // The terminal summary (`trainsim run`, summary.txt): the one writer's text of the result.
  std::string report() const { return output::terminal_summary(trace); }
  // Lines for a terminal, not for the report (e.g. why a large run was not folded): the command
  // prints them after its progress phase, so they never cut a phase's line.
  std::vector<std::string> notes;
};

// One set of rank programs a job plays (one per simulation: full DiLoCo workers play one per
// method) and the suffix of its file name when dumped ("" or ".method<i>-<name>").
struct JobPrograms {
  std::string suffix;
  program::ProgramSet set;
};

}  // namespace trainsim
