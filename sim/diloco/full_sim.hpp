#pragma once
// Full-worker simulation of one DiLoCo-family method (docs/diloco.md, "Full workers"): every
// datacenter (cluster) runs the training job's iterations as its own replica of the training
// programs (training/programs.hpp), all in one program set, and the outer synchronisations are
// collectives between the corresponding GPUs of the replicas, as flows over the platform's WAN
// links, on each GPU's "outer-comm" stream.
//
// At the end of every inner step the compute stream hands the fragments due to its outer stream
// (an event) and waits for the results it needs now: right away when the method does not
// overlap (DiLoCo, data-parallel, streaming without tau), tau steps later, or H - 1 steps later
// (eager). Interleaved plans are supported: a fragment's layers are exchanged by the stages that
// hold them (parallel/plan.hpp layers_of_stage; under DualPipe both copies).
#include "diloco/abstract_sim.hpp"
#include "output/trace.hpp"
#include "platform/spec.hpp"
#include "program/program.hpp"
#include "scenario/diloco_spec.hpp"

namespace trainsim {

class TrainingMeter;

struct FullRunOptions {
  output::TraceData* trace = nullptr;  // when set, receives activities, links and WAN series
  bool whole_platform = false;         // build every GPU, not only the replicas' (JobOptions)
};

// The programs of `method` in full-worker mode (JobInfo "diloco_full": inner steps and rounds).
program::ProgramSet full_programs(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                                  uint64_t seed);

// The steady state of a full run from its round ends (round k ends at round_ends[k]): from round
// `start` on, round lengths repeat with `period` (to the clock's rounding) over the rest of the
// rounds played, `measured` rounds (whole periods) counted. None found (`repeats` false): the
// second half of the rounds, whose figures are then a mean that may still hold warm-up.
struct SteadyRounds {
  int start = 1, period = 1, measured = 1;
  bool repeats = true;
};
SteadyRounds find_steady_rounds(const std::vector<double>& round_ends);

// The result of full programs once played: `meter` observed them and `finished` is the trace of
// the recorder (which kept the activities) that carried their traffic. Same shape as the abstract mode's.
// Differences (documented): `workers[i].compute` is replica i's busy compute (forward/backward
// ops incl. their TP collectives, optimizer step), mean per GPU per round of the steady window
// (find_steady_rounds); `wait` is the
// time its GPUs were blocked on outer results plus its idle time behind the slowest replica
// (pipeline bubbles and in-datacenter communication are neither compute nor wait); the peak
// WAN bandwidth is the busiest window of about one inner step (whole bins of the recorder's
// 200-bin link series), both directions of a link together.
AbstractResult full_result(const program::ProgramSet& set, const TrainingMeter& meter,
                           const output::TraceData& finished);

// full_programs, played on the platform, and full_result.
AbstractResult simulate_full(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                             uint64_t seed, const FullRunOptions& options = {});

// Global index of the first GPU of each cluster (clusters in file order, nodes, GPUs).
std::vector<int> cluster_first_gpus(const PlatformSpec& platform);

// The replica's training job with its ranks on cluster `cluster` (explicit mapping: rank r on
// the cluster's r-th GPU) and `iterations` inner steps.
TrainingSpec replica_training(const TrainingSpec& training, const PlatformSpec& platform, int cluster,
                              int iterations);

}  // namespace trainsim
