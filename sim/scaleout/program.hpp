#pragma once
// Runs an external program (Slurm's sbatch, squeue) and collects what it printed.
#include <string>
#include <vector>

namespace trainsim::scaleout {

struct ProgramResult {
  bool started = false;  // false: not found on PATH or not executable
  int status = -1;       // exit status; 128 + signal when killed
  std::string out, err;
};

// Runs argv[0] (searched on PATH) with argv, no shell, standard input closed; waits for it.
// The child is terminated if this process is interrupted (core/interrupt.hpp).
ProgramResult run_program(const std::vector<std::string>& argv);

}  // namespace trainsim::scaleout
