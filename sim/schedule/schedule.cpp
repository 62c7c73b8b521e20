#include "schedule/schedule.hpp"

#include <limits>
#include <stdexcept>

#include "schedule/generators.hpp"

namespace trainsim::schedule {

namespace {

std::string str(int v) { return std::to_string(v); }

}  // namespace

void validate_params(const ScheduleParams& params) {
  const std::string name(to_string(params.kind));
  if (params.stages < 1)
    throw std::invalid_argument("pipeline stages must be >= 1, got " + str(params.stages));
  if (params.micro_batches < 1)
    throw std::invalid_argument("micro-batches must be >= 1, got " + str(params.micro_batches));
  if (params.chunks < 1)
    throw std::invalid_argument("model chunks per stage must be >= 1, got " + str(params.chunks));
  if (params.kind == ScheduleKind::Interleaved1F1B) {
    if (params.chunks < 2)
      throw std::invalid_argument("schedule interleaved-1f1b needs at least 2 model chunks per stage, got " +
                                  str(params.chunks) + " (use 1f1b for a single chunk)");
    // Megatron-LM asserts the same: its micro-batch groups of size p must tile m exactly.
    if (params.micro_batches % params.stages != 0)
      throw std::invalid_argument("schedule interleaved-1f1b needs micro-batches (" + str(params.micro_batches) +
                                  ") to be a multiple of pipeline stages (" + str(params.stages) +
                                  "), as Megatron-LM requires");
  } else if (params.kind == ScheduleKind::ZeroBubbleV || params.kind == ScheduleKind::DualPipe) {
    if (params.chunks != 2)
      throw std::invalid_argument("schedule " + name + " runs 2 model chunks per stage, got chunks = " +
                                  str(params.chunks));
    // DualPipe's reference implementation asserts the same (deepseek-ai/DualPipe, step()): the
    // ranks pair up (r with p-1-r) and each direction gets half of the micro-batches, at least p.
    if (params.kind == ScheduleKind::DualPipe) {
      if (params.stages % 2 != 0)
        throw std::invalid_argument("schedule dualpipe needs an even number of pipeline stages, got " +
                                    str(params.stages));
      if (params.micro_batches % 2 != 0 || params.micro_batches < 2 * params.stages)
        throw std::invalid_argument("schedule dualpipe needs an even number of micro-batches, at least twice the "
                                    "pipeline stages (" + str(2 * params.stages) + "), got " +
                                    str(params.micro_batches));
    }
  } else if (params.chunks != 1) {
    throw std::invalid_argument("schedule " + name + " runs one model chunk per stage, got chunks = " +
                                str(params.chunks) + " (interleaved-1f1b takes several, zb-v and dualpipe 2)");
  }
  // Ops are indexed with int; 3 ops per (micro-batch, chunk) at most, per stage and in total.
  const long long ops = 3LL * params.stages * params.micro_batches * params.chunks;
  if (ops > std::numeric_limits<int>::max())
    throw std::invalid_argument("schedule too large: " + str(params.stages) + " stages x " +
                                str(params.micro_batches) + " micro-batches x " + str(params.chunks) + " chunks");
}

Schedule make_schedule(const ScheduleParams& params) {
  validate_params(params);
  Schedule schedule(static_cast<size_t>(params.stages));
  for (int rank = 0; rank < params.stages; ++rank) {
    auto& ops = schedule[static_cast<size_t>(rank)];
    switch (params.kind) {
      case ScheduleKind::GPipe:
        ops = detail::gpipe_stage(params.stages, params.micro_batches, rank);
        break;
      case ScheduleKind::OneFOneB:
        ops = detail::one_f_one_b_stage(params.stages, params.micro_batches, rank);
        break;
      case ScheduleKind::Interleaved1F1B:
        ops = detail::interleaved_stage(params.stages, params.micro_batches, params.chunks, rank);
        break;
      case ScheduleKind::ZeroBubbleH1:
        ops = detail::zero_bubble_h1_stage(params.stages, params.micro_batches, rank);
        break;
      case ScheduleKind::ZeroBubbleV:
        ops = detail::zero_bubble_v_stage(params.stages, params.micro_batches, rank);
        break;
      case ScheduleKind::DualPipe:
        ops = detail::dualpipe_stage(params.stages, params.micro_batches, rank);
        break;
    }
  }
  return schedule;
}

std::string_view to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::GPipe: return "gpipe";
    case ScheduleKind::OneFOneB: return "1f1b";
    case ScheduleKind::Interleaved1F1B: return "interleaved-1f1b";
    case ScheduleKind::ZeroBubbleH1: return "zb-h1";
    case ScheduleKind::ZeroBubbleV: return "zb-v";
    case ScheduleKind::DualPipe: return "dualpipe";
  }
  return "?";
}

ChunkLayout chunk_layout(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::ZeroBubbleV: return ChunkLayout::V;
    case ScheduleKind::DualPipe: return ChunkLayout::Bidirectional;
    default: return ChunkLayout::Looped;
  }
}

Placement Placement::of(const ScheduleParams& params) {
  return {chunk_layout(params.kind), params.stages, params.chunks, params.micro_batches};
}

std::string_view to_string(OpType type) {
  switch (type) {
    case OpType::Forward: return "F";
    case OpType::Backward: return "B";
    case OpType::BackwardInput: return "BI";
    case OpType::BackwardWeight: return "W";
  }
  return "?";
}

const std::vector<std::pair<std::string, ScheduleKind>>& schedule_names() {
  static const std::vector<std::pair<std::string, ScheduleKind>> names = [] {
    std::vector<std::pair<std::string, ScheduleKind>> v;
    for (ScheduleKind k : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::Interleaved1F1B,
                           ScheduleKind::ZeroBubbleH1, ScheduleKind::ZeroBubbleV, ScheduleKind::DualPipe})
      v.emplace_back(to_string(k), k);
    return v;
  }();
  return names;
}

ScheduleKind schedule_kind_from_string(std::string_view name) {
  std::string all;
  for (const auto& [n, k] : schedule_names()) {
    if (name == n) return k;
    all += (all.empty() ? "" : ", ") + n;
  }
  throw std::invalid_argument("unknown pipeline schedule \"" + std::string(name) + "\" (expected one of: " + all + ")");
}

std::string describe(const PipelineOp& op, bool with_chunk) {
  std::string s(to_string(op.type));
  s += std::to_string(op.micro_batch);
  if (with_chunk) {
    // Appended in two steps: `"." + std::to_string()` trips GCC 12's bogus -Wrestrict.
    s += '.';
    s += std::to_string(op.chunk);
  }
  return s;
}

}  // namespace trainsim::schedule
