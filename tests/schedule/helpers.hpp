#pragma once
// Small helpers shared by the schedule tests.
#include <string>
#include <vector>

#include "schedule/executor.hpp"
#include "schedule/schedule.hpp"

namespace trainsim::schedule::testing {

// "F0 F1 B0 ..." (with ".chunk" suffixes when with_chunk), to compare against hand-written orders.
inline std::string order_string(const std::vector<PipelineOp>& ops, bool with_chunk = false) {
  std::string s;
  for (const PipelineOp& op : ops) {
    if (!s.empty()) s += ' ';
    s += describe(op, with_chunk);
  }
  return s;
}

inline ExecutionResult run_uniform(const ScheduleParams& params, OpDurations d, double p2p_delay = 0) {
  ExecutorParams ep;
  ep.chunks = params.chunks;
  ep.durations = {d};
  ep.p2p_delay = p2p_delay;
  return execute(make_schedule(params), ep);
}

}  // namespace trainsim::schedule::testing
