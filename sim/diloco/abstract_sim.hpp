#pragma once
// Abstract-worker simulation of one (model, method) pair at one WAN bandwidth, in the calling
// process (one per process: SimGrid's engine is a singleton; sweeps fork, diloco/sweep.hpp).
//
// Each worker (one per platform cluster) is one SimGrid host with two actors: a compute
// actor that plays the per-layer DAG of every inner step (forward, backward-input,
// backward-weight) and a communication actor that runs the cross-worker reduces one after
// the other as ring flows over the WAN links. docs/diloco.md gives the model and its sources.
#include <string>
#include <vector>

#include "diloco/spec.hpp"
#include "output/trace.hpp"
#include "platform/spec.hpp"

namespace trainsim {

// Measured window: from the start of round 2 (round 1 is a warm-up) to the start of the step
// after the last round, on the slowest worker (the job's wall time over those rounds).
struct WorkerOutcome {
  double compute = 0;  // seconds of this worker's compute in the window
  double window = 0;   // the window (same for every worker)
  double wait = 0;     // window - compute: blocked on outer results or idle ahead of the others
};

struct AbstractResult {
  double utilization = 0;  // sum of compute / (workers x window)
  double round_time = 0;   // mean window / measured rounds (slowest worker)
  double wan_bytes = 0;    // bytes sent over WAN links during the whole run
  double wan_bytes_per_round = 0;
  // bytes/s: most bytes one WAN link direction carried in any window as long as one inner
  // step (the model's step time), divided by that step time.
  double peak_wan_bandwidth = 0;
  double extra_memory_per_gpu = 0;  // bytes, on the largest-share worker
  std::vector<WorkerOutcome> workers;
  std::vector<std::string> wan_link_names;
  std::vector<double> wan_link_bytes;  // per WAN link (both directions)

  // One line of text (children return it through a pipe); parse() inverts it exactly.
  std::string serialize() const;
  static AbstractResult parse(const std::string& text);
};

struct AbstractRunOptions {
  double wan_gbps = 0;  // > 0: every WAN link scaled so that the first one has this bandwidth
  bool keep_activities = false;
  output::TraceData* trace = nullptr;  // when set, receives activities, links and a WAN series
};

// The tiny platform of the abstract mode: one single-GPU host per cluster of `platform`,
// the same WAN links (bandwidths scaled as in AbstractRunOptions::wan_gbps).
PlatformSpec abstract_platform(const PlatformSpec& platform, double wan_gbps);

AbstractResult simulate_abstract(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
                                 const DilocoMethod& method, uint64_t seed, const AbstractRunOptions& options);

}  // namespace trainsim
