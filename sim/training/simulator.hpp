#pragma once
// Simulates training iterations GPU by GPU and micro-batch by micro-batch on a built platform:
// the job's rank programs (training/programs.hpp) played by the one player (engine/player.hpp)
// and measured by training/meter.hpp.
//
// Granularity (docs/training.md): one compute op per (pass, micro-batch, chunk) per GPU with
// the chunk's tensor-parallel collectives after it (closed form, charged to the TP group's
// links); pipeline transfers are real flows between the GPUs of consecutive stages;
// data-parallel gradient reduction runs as flows on a second stream per GPU, bucket by bucket,
// overlapped with the backward pass when the plan asks for it.
#include <cstdint>
#include <string>
#include <vector>

#include "program/program.hpp"
#include "scenario/training_spec.hpp"
#include "workload/memory.hpp"

namespace trainsim {

class Simulation;
class Recorder;

struct TrainingResult {
  std::vector<double> iteration_times;  // seconds, per iteration
  double iteration_time = 0;            // mean over iterations
  double bubble_fraction = 0;           // pipeline bubble: idle share of the forward/backward phase
  // Exposed communication per GPU per iteration (seconds, mean over GPUs): time the compute
  // stream spends on (TP, CP all-gathers) or waiting for (PP, DP, CP ring) communication.
  double exposed_tp = 0, exposed_pp = 0, exposed_dp = 0, exposed_cp = 0;
  bool context_parallel = false;  // the programs have context-parallel traffic (exposed_cp is reported)
  // Expert parallelism (programs with an "ep" or "etp" group slot): time the compute stream
  // spends in the dispatch and combine all-to-alls, the barriers before closed-form ones and
  // the expert-TP gathers and reduce-scatters (all on the compute stream, so all exposed; like
  // exposed PP it is idle time inside the pipeline bubble line).
  bool expert_parallel = false;
  double exposed_ep = 0;
  double optimizer_time = 0;
  std::vector<double> stage_compute;  // per stage: busy compute seconds per iteration
  std::vector<workload::MemoryEstimate> stage_memory;  // per stage: the program's memory peak
  std::vector<int> oom_stages;                          // stages whose peak exceeds HBM
  double max_slowdown = 1;
  int folded_copies = 1;  // > 1: tensor-parallel ranks folded, each played rank stood for this many
};

// Folding of symmetric tensor-parallel ranks (engine/fold.hpp): off unless enabled; when it
// is, `note` (if set) receives what was folded or why nothing was. Same results either way.
struct FoldChoice {
  bool enabled = false;
  std::string* note = nullptr;
};

// Generates `spec`'s programs, plays them on `sim` and returns the metrics. `recorder` (may be
// null) receives the link traffic and, if it keeps them, the activities.
TrainingResult simulate_training(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder,
                                 FoldChoice fold = {});

// Plays any programs on `sim` and returns their training metrics (HBM of the first rank's GPU).
TrainingResult play_training(Simulation& sim, const program::ProgramSet& set, Recorder* recorder,
                             FoldChoice fold = {});

// Memory estimate of each stage under the plan's schedule (no simulation needed): the bytes
// the training programs allocate.
std::vector<workload::MemoryEstimate> estimate_stage_memory(const TrainingSpec& spec);

}  // namespace trainsim
