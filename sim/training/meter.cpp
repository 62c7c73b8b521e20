#include "training/meter.hpp"

#include <algorithm>

namespace trainsim {

using program::OpKind;
using program::Role;

TrainingMeter::TrainingMeter(const program::ProgramSet& set)
    : set_(set),
      compute_(std::max(0, set.stream_index(program::kComputeStream))),
      dp_(set.stream_index(program::kDpStream)),
      outer_(set.stream_index(program::kOuterStream)),
      tp_(set.stream_index(program::kTpStream)),
      pp_(set.stream_index(program::kPpStream)),
      cp_(set.stream_index(program::kCpStream)),
      ep_(set.stream_index(program::kEpStream)),
      cp_slot_(set.slot_index(program::kCpSlot)),
      ep_slot_(set.slot_index("ep")),
      etp_slot_(set.slot_index("etp")),
      ranks_(set.ranks.size()) {}

TrainingMeter::PerIteration& TrainingMeter::at(int rank, int it) {
  auto& its = ranks_[rank].its;
  if (static_cast<int>(its.size()) <= it) its.resize(it + 1);
  return its[it];
}

void TrainingMeter::op_done(int rank, const program::Op& op, const program::OpTiming& t,
                            const program::Context& ctx) {
  PerRank& r = ranks_[rank];
  // Memory: every stream's allocations count.
  if (op.kind() == OpKind::Alloc || op.kind() == OpKind::Free) {
    const bool alloc = op.kind() == OpKind::Alloc;
    const auto cat = static_cast<size_t>(alloc ? op.as<program::Alloc>().category : op.as<program::Free>().category);
    const double bytes = alloc ? op.as<program::Alloc>().bytes : -op.as<program::Free>().bytes;
    r.held[cat] += bytes;
    r.total += bytes;
    if (r.total > r.peak) r.peak = r.total, r.at_peak = r.held;
    return;
  }
  if (op.stream != compute_) return;
  const int it = std::max(0, ctx[program::MarkerKind::Iteration]);
  const double d = t.end - t.start;
  switch (op.kind()) {
    case OpKind::Compute:
    case OpKind::Collective: {
      if (op.kind() == OpKind::Collective && cp_slot_ >= 0 && op.slot == cp_slot_) {
        r.cp += d;  // context parallelism's KV all-gather / dKV reduce-scatter, on the compute stream
        return;
      }
      if (op.kind() == OpKind::Collective && op.role != Role::TpComm) {
        if (op.slot >= 0 && (op.slot == ep_slot_ || op.slot == etp_slot_)) r.ep += d;
        return;
      }
      if (op.role == Role::Optimizer) {
        r.optimizer += d;
        return;
      }
      if (op.role == Role::TpComm) r.tp += d;
      r.busy += d;
      PerIteration& p = at(rank, it);
      if (p.phase_start < 0) p.phase_start = t.start;
      p.phase_end = t.end;
      p.phase_busy += d;
      return;
    }
    case OpKind::Recv:
      // Exposed transfer: the wait not explained by the producer still computing.
      r.pp += std::max(0.0, t.ready - std::max(t.start, t.posted));
      return;
    case OpKind::Wait:
      if (t.source_stream < 0) return;
      if (t.source_stream == dp_) r.dp += d;
      if (t.source_stream == tp_) r.tp += d;
      if (t.source_stream == pp_) r.pp += d;
      if (t.source_stream == cp_) r.cp += d;
      if (t.source_stream == ep_) r.ep += d;  // DualPipe F&B: all-to-alls beside the other micro-batch
      if (t.source_stream == outer_) at(rank, it).outer_wait += d;
      return;
    case OpKind::Marker: {
      const auto& m = op.as<program::Marker>();
      if (m.what == program::MarkerKind::Iteration && m.end) at(rank, m.value).end = t.end;
      return;
    }
    default: return;
  }
}

double TrainingMeter::iteration_end(int rank, int it) const {
  const auto& its = ranks_[rank].its;
  return it < static_cast<int>(its.size()) ? its[it].end : 0;
}

double TrainingMeter::outer_wait(int rank, int from) const {
  double w = 0;
  const auto& its = ranks_[rank].its;
  for (int it = from; it < static_cast<int>(its.size()); ++it) w += its[it].outer_wait;
  return w;
}

TrainingResult TrainingMeter::result(double hbm, int replica) const {
  std::vector<int> members;
  int iters = 0, stages = 1;
  for (size_t r = 0; r < set_.ranks.size(); ++r) {
    if (replica >= 0 && set_.ranks[r].info.replica != replica) continue;
    members.push_back(static_cast<int>(r));
    iters = std::max(iters, static_cast<int>(ranks_[r].its.size()));
    stages = std::max(stages, set_.ranks[r].info.stage + 1);
  }
  TrainingResult res;
  res.expert_parallel = ep_slot_ >= 0 || etp_slot_ >= 0;
  res.context_parallel = cp_ >= 0 || cp_slot_ >= 0;
  if (members.empty() || iters == 0) return res;
  auto stage_of = [&](int r) { return std::max(0, set_.ranks[r].info.stage); };
  auto iteration = [&](int r, int it) -> const PerIteration& {
    static const PerIteration none;
    return it < static_cast<int>(ranks_[r].its.size()) ? ranks_[r].its[it] : none;
  };
  res.iteration_times.assign(iters, 0);
  for (int it = 0; it < iters; ++it) {
    double end = 0, begin = 0;
    for (int r : members) {
      end = std::max(end, iteration(r, it).end);
      if (it > 0) begin = std::max(begin, iteration(r, it - 1).end);
    }
    res.iteration_times[it] = end - begin;
  }
  for (double t : res.iteration_times) res.iteration_time += t / iters;
  const double n = static_cast<double>(members.size()) * iters;
  // Bubble: idle share of the pipeline phase (first forward to last backward over all GPUs of
  // the iteration), as in the GPipe/Megatron definition (p-1)/(m+p-1) for uniform stages.
  double bubble = 0;
  for (int it = 0; it < iters; ++it) {
    double lo = 1e300, hi = 0;
    for (int r : members)
      if (iteration(r, it).phase_start >= 0) lo = std::min(lo, iteration(r, it).phase_start), hi = std::max(hi, iteration(r, it).phase_end);
    for (int r : members) bubble += hi > lo ? 1 - iteration(r, it).phase_busy / (hi - lo) : 0;
  }
  res.stage_compute.assign(stages, 0);
  res.stage_memory.assign(stages, {});
  std::vector<int> per_stage(stages, 0);
  for (int r : members) {
    const PerRank& x = ranks_[r];
    res.exposed_tp += x.tp / n;
    res.exposed_pp += x.pp / n;
    res.exposed_dp += x.dp / n;
    res.exposed_ep += x.ep / n;
    res.exposed_cp += x.cp / n;
    res.optimizer_time += x.optimizer / n;
    res.stage_compute[stage_of(r)] += x.busy / iters;
    ++per_stage[stage_of(r)];
    res.max_slowdown = std::max(res.max_slowdown, set_.ranks[r].compute_scale);
    auto& mem = res.stage_memory[stage_of(r)];
    if (x.peak >= mem.total()) {
      using program::MemoryCategory;
      auto held = [&](MemoryCategory c) { return x.at_peak[static_cast<size_t>(c)]; };
      mem.weights = held(MemoryCategory::Weights);
      mem.gradients = held(MemoryCategory::Gradients);
      mem.optimizer = held(MemoryCategory::Optimizer);
      mem.activations = held(MemoryCategory::Activations);
      mem.comm_buffers = held(MemoryCategory::CommBuffers);
      mem.overhead = held(MemoryCategory::Overhead) + held(MemoryCategory::Other);
    }
  }
  for (int s = 0; s < stages; ++s)
    if (per_stage[s] > 0) res.stage_compute[s] /= per_stage[s];
  res.bubble_fraction = bubble / n;
  for (int s = 0; s < stages; ++s)
    if (res.stage_memory[s].total() > hbm) res.oom_stages.push_back(s);
  return res;
}

}  // namespace trainsim
