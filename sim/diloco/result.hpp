#pragma once
// What a DiLoCo-family simulation reports, abstract or full workers (docs/diloco.md, "Results").
#include <string>
#include <vector>

#include "output/trace.hpp"

namespace trainsim {

// One worker over the measured window (abstract: one round of the steady state; full: rounds 2..R).
struct WorkerOutcome {
  double compute = 0;  // seconds of this worker's compute in the window
  double window = 0;   // the window (same for every worker)
  double wait = 0;     // window - compute: blocked on outer results or idle ahead of the others
};

struct AbstractResult {
  double utilization = 0;  // sum of compute / (workers x window)
  double round_time = 0;   // window / measured rounds (slowest worker)
  double wan_bytes = 0;    // bytes sent over WAN links during the whole simulated run
  double wan_bytes_per_round = 0;
  // bytes/s: most bytes one WAN link direction carried in any window as long as one inner
  // step (the model's step time), divided by that step time.
  double peak_wan_bandwidth = 0;
  double extra_memory_per_gpu = 0;  // bytes, on the largest-share worker
  std::vector<WorkerOutcome> workers;
  std::vector<std::string> wan_link_names;
  std::vector<double> wan_link_bytes;  // per WAN link (both directions) per measured round
  // Abstract workers: rounds simulated, and the steady state found in them (rounds
  // steady_round .. steady_round + period - 1 repeat for ever). Full workers: 0.
  int rounds = 0, steady_round = 0, period = 0;
  bool cycle = true;  // abstract: the steady rounds repeat exactly (false: their mean, no cycle found)

  // As results (docs/diloco.md, "Results"): metrics utilization, round_time, wan_bytes,
  // wan_bytes_per_round, peak_wan_bandwidth, extra_memory_per_gpu, rounds, steady_round,
  // period, cycle; tables `workers` (compute, window, wait) and `wan_links` (link; bytes_per_round).
  output::TraceData to_results() const;
  static AbstractResult from_results(const output::TraceData& results);
  // Those results in the one serialized form (output/result_json.hpp): what children return and
  // journals and parts keep; parse() inverts it exactly (InternalError on anything else).
  std::string serialize() const;
  static AbstractResult parse(const std::string& text);
};

}  // namespace trainsim
