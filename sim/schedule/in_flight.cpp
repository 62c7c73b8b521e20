#include "schedule/in_flight.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace trainsim::schedule {

namespace {

const std::vector<PipelineOp>& stage_ops(const Schedule& schedule, int stage) {
  if (stage < 0 || static_cast<size_t>(stage) >= schedule.size())
    throw std::out_of_range("peak_in_flight: stage " + std::to_string(stage) + " not in a schedule of " +
                            std::to_string(schedule.size()) + " stages");
  return schedule[static_cast<size_t>(stage)];
}

}  // namespace

double peak_weighted_in_flight(const Schedule& schedule, int stage, const std::vector<double>& weight) {
  double now = 0, peak = 0;
  for (const PipelineOp& op : stage_ops(schedule, stage)) {
    if (op.type == OpType::BackwardWeight) continue;
    const double w = weight.at(static_cast<size_t>(op.chunk));
    now += op.type == OpType::Forward ? w : -w;
    peak = std::max(peak, now);
  }
  return peak;
}

InFlight peak_in_flight(const Schedule& schedule, int stage) {
  const auto& ops = stage_ops(schedule, stage);
  int chunks = 0;
  for (const PipelineOp& op : ops) chunks = std::max(chunks, op.chunk + 1);

  InFlight peak;
  peak.per_chunk.assign(static_cast<size_t>(chunks), 0);
  std::vector<int> now(static_cast<size_t>(chunks), 0);
  int total = 0, awaiting_w = 0;
  for (const PipelineOp& op : ops) {
    auto& c = now[static_cast<size_t>(op.chunk)];
    if (op.type == OpType::Forward) {
      ++c;
      ++total;
    } else if (is_input_backward(op.type)) {
      --c;
      --total;
      if (op.type == OpType::BackwardInput) ++awaiting_w;
    } else {
      --awaiting_w;
    }
    peak.per_chunk[static_cast<size_t>(op.chunk)] = std::max(peak.per_chunk[static_cast<size_t>(op.chunk)], c);
    peak.total = std::max(peak.total, total);
    peak.awaiting_weight_grad = std::max(peak.awaiting_weight_grad, awaiting_w);
  }
  return peak;
}

}  // namespace trainsim::schedule
