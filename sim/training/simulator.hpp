#pragma once
// Simulates training iterations GPU by GPU and micro-batch by micro-batch on a built platform.
//
// Granularity (docs/training.md): every GPU is a SimGrid actor running its pipeline stage's
// schedule, one activity per (pass, micro-batch, chunk) with the chunk's layers and their
// tensor-parallel collectives inside it (closed form, see costs.hpp); pipeline transfers are
// real flows between the GPUs of consecutive stages; data-parallel gradient reduction runs as
// flows on a second actor per GPU (its "communication stream"), bucket by bucket, overlapped
// with the backward pass when the plan asks for it.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "training/spec.hpp"
#include "workload/memory.hpp"

namespace trainsim {

class Simulation;
class Recorder;

struct TrainingResult {
  std::vector<double> iteration_times;  // seconds, per iteration
  double iteration_time = 0;            // mean over iterations
  double bubble_fraction = 0;           // pipeline bubble: idle share of the forward/backward phase
  // Exposed communication per GPU per iteration (seconds, mean over GPUs): time the compute
  // stream spends on (TP) or waiting for (PP, DP) communication.
  double exposed_tp = 0, exposed_pp = 0, exposed_dp = 0;
  double optimizer_time = 0;
  std::vector<double> stage_compute;  // per stage: busy compute seconds per iteration
  std::vector<workload::MemoryEstimate> stage_memory;  // per stage
  std::vector<int> oom_stages;                          // stages whose estimate exceeds HBM
  double max_slowdown = 1;
};

// Called on a GPU's compute actor after each iteration's optimizer step (it may block, e.g.
// for a DiLoCo outer synchronisation): (rank in the job, global GPU, iteration).
struct TrainingHooks {
  std::function<void(int rank, int gpu, int iteration)> after_iteration;
};

// The actors of one training job, built on a simulation that the caller runs. Several
// programs can share a simulation (DiLoCo replicas) if their `prefix`es differ.
class TrainingProgram {
 public:
  TrainingProgram(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder,
                  TrainingHooks hooks = {}, std::string prefix = "");
  ~TrainingProgram();
  TrainingProgram(const TrainingProgram&) = delete;
  TrainingProgram& operator=(const TrainingProgram&) = delete;
  // Metrics; call after the simulation has run.
  TrainingResult result() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds the actors for `spec` on `sim`'s platform, runs the simulation, returns the metrics.
// `recorder` (may be null) receives one activity per compute op and DP collective.
TrainingResult simulate_training(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder);

// Memory estimate of each stage under the plan's schedule (no simulation needed).
std::vector<workload::MemoryEstimate> estimate_stage_memory(const TrainingSpec& spec);

}  // namespace trainsim
