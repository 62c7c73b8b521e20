// ZB-H1 (Qi, Wan, Huang, Lin, "Zero Bubble Pipeline Parallelism", ICLR 2024, Sec. 3.1 and
// Fig. 3 top). The backward is split into B (input gradient, on the critical path between
// stages) and W (weight gradient, needed only by the optimizer step). ZB-H1 "generally follows
// the 1F1B schedule, but adjusts the starting points of W depending on the number of warm-up
// micro-batches", so that every stage holds the same number of in-flight micro-batches as
// stage 0 of 1F1B (p). Stage r therefore runs:
//   1. warm-up: min(p-r-1, m) forwards, exactly as 1F1B;
//   2. r steps of F,B with the W deferred (capped by what is left), which lets later stages
//      return B sooner than 1F1B would, so the first B reaches stage 0 after (p-1)*T_B
//      instead of (p-1)*(T_B+T_W);
//   3. steady state F,B,W;
//   4. cool-down B,W for the warm-up micro-batches, then the r deferred W that fill the tail
//      bubble while upstream stages finish their last B.
// B follows exactly 1F1B's order relative to F, so activations held until B (p-r) match 1F1B.
#include <algorithm>

#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

std::vector<PipelineOp> zero_bubble_h1_stage(int stages, int micro_batches, int rank) {
  const int warmup = one_f_one_b_warmup(stages, micro_batches, rank);
  const int deferred = std::min(rank, micro_batches - warmup);
  const int steady = micro_batches - warmup - deferred;
  std::vector<PipelineOp> ops;
  ops.reserve(3 * static_cast<size_t>(micro_batches));
  int next_f = 0, next_b = 0, next_w = 0;
  auto f = [&] { ops.push_back({OpType::Forward, next_f++, 0}); };
  auto b = [&] { ops.push_back({OpType::BackwardInput, next_b++, 0}); };
  auto w = [&] { ops.push_back({OpType::BackwardWeight, next_w++, 0}); };
  for (int i = 0; i < warmup; ++i) f();
  for (int i = 0; i < deferred; ++i) { f(); b(); }
  for (int i = 0; i < steady; ++i) { f(); b(); w(); }
  for (int i = 0; i < warmup; ++i) { b(); w(); }
  for (int i = 0; i < deferred; ++i) w();
  return ops;
}

}  // namespace trainsim::schedule::detail
