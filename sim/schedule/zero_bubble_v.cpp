// ZB-V (Qi, Wan, Huang, Lin, "Zero Bubble Pipeline Parallelism", ICLR 2024, Sec. 6 and Fig. 8;
// the V-shaped building block of Qi et al., "Pipeline Parallelism with Controllable Memory",
// NeurIPS 2024). Two chunks per rank in a V (chunk 0 of rank r is virtual stage r, chunk 1 is
// 2p-1-r: Placement, ChunkLayout::V), the backward split into BI and W. The order is the
// hand-written ZB-V of PyTorch's torch.distributed.pipelining (ScheduleZBVZeroBubble, ported
// from the Zero Bubble authors' repository), stage r, counting micro-batches per chunk:
//   1. 2(p-r)-1 forwards of chunk 0;
//   2. r pairs F(chunk 1), F(chunk 0);
//   3. p-r triples F, BI, W of chunk 1 (the bottom of the V turns micro-batches around at once);
//   4. steady state, until every forward ran: [F(chunk 0) if any left], BI, W of chunk 0, then
//      F, BI, W of chunk 1;
//   5. cool-down: r pairs BI(chunk 0), BI(chunk 1) with their W deferred, then p-r pairs
//      BI, W of chunk 0, then the deferred W of chunk 1, then those of chunk 0.
// PyTorch builds it for max(m, 2p-1) micro-batches and drops the ops of micro-batches >= m;
// we do the same, so small m keep the order of the full schedule.
#include <algorithm>

#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

std::vector<PipelineOp> zero_bubble_v_stage(int stages, int micro_batches, int rank) {
  const int p = stages;
  const int n = std::max(2 * p - 1, micro_batches);
  std::vector<PipelineOp> ops;
  ops.reserve(6 * static_cast<size_t>(n));
  int f[2] = {0, 0}, b[2] = {0, 0}, w[2] = {0, 0};
  auto emit = [&](OpType type, int chunk, int mb) {
    if (mb < micro_batches) ops.push_back({type, mb, chunk});
  };
  auto fwd = [&](int c) { emit(OpType::Forward, c, f[c]++); };
  auto bi = [&](int c) { emit(OpType::BackwardInput, c, b[c]++); };
  auto wgt = [&](int c) { emit(OpType::BackwardWeight, c, w[c]++); };
  auto biw = [&](int c) { bi(c); wgt(c); };

  for (int i = 0; i < 2 * (p - rank) - 1; ++i) fwd(0);
  for (int i = 0; i < rank; ++i) { fwd(1); fwd(0); }
  for (int i = 0; i < p - rank; ++i) { fwd(1); biw(1); }
  while (f[1] < f[0] || f[0] < n) {
    if (f[0] < n) fwd(0);
    biw(0);
    fwd(1);
    biw(1);
  }
  for (int i = 0; i < rank; ++i) { bi(0); bi(1); }
  for (int i = 0; i < p - rank; ++i) { bi(0); wgt(0); }
  while (w[1] < b[1]) wgt(1);
  while (w[0] < b[0]) wgt(0);
  return ops;
}

}  // namespace trainsim::schedule::detail
