// DualPipe (DeepSeek-AI, "DeepSeek-V3 Technical Report", arXiv 2412.19437, Sec. 3.2.1, Fig. 5;
// the order of the released implementation, deepseek-ai/DualPipe, DualPipe.step()). The model
// is cut into p stages; rank r holds stage r as chunk 0 and stage p-1-r as chunk 1
// (Placement, ChunkLayout::Bidirectional), micro-batches 0..m/2-1 enter at rank 0 through the
// chunks 0 and micro-batches m/2..m-1 at rank p-1 through the chunks 1. Rank r and rank p-1-r
// run mirrored orders: with h = min(r, p-1-r) the distance to the nearer end, n = p/2, and
// "near" = the chunk whose micro-batches enter at that end (chunk 0 for r < n, else chunk 1),
// "far" = the other one:
//   1. 2(n-h-1) forwards of near;
//   2. h+1 pairs F(near), F(far);
//   3. n-h-1 triples BI(far), W (oldest deferred), F(far);
//   4. m/2-p+h+1 times: F(near)&B(far) overlapped, F(far)&B(near) overlapped (the first pair of
//      the two middle ranks is run back to back, not overlapped, as the released code does);
//   5. n-h-1 times: B(far), F(far)&B(near);
//   6. h+1 pairs B(far), B(near), the second half of them split into BI with the W deferred
//      (from the middle iteration on: before B(far) when h is odd, before B(near) when even);
//   7. n-h-1 pairs W, BI(near);
//   8. h+1 W.
// W ops run the deferred weight gradients oldest first (the released WeightGradStore queue).
// Communication details of the released code (which sends wait for which compute) are left to
// the training generator: here an op's result is available when it ends.
#include <algorithm>

#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

std::vector<PipelineOp> dualpipe_stage(int stages, int micro_batches, int rank) {
  const int n = stages / 2;
  const int h = std::min(rank, stages - 1 - rank);
  const bool middle = h == n - 1;
  const int near = rank < n ? 0 : 1, far = 1 - near;
  // Micro-batches of chunk c are numbered from c*m/2 (the direction they travel in).
  const int half = micro_batches / 2;
  int f[2] = {0, 0}, b[2] = {0, 0};
  std::vector<PipelineOp> deferred;  // BI ran, W waits (FIFO)
  size_t next_w = 0;
  std::vector<PipelineOp> ops;
  ops.reserve(3 * static_cast<size_t>(micro_batches));

  auto fwd = [&](int c, bool overlapped = false) {
    ops.push_back({OpType::Forward, c * half + f[c]++, c, overlapped});
  };
  auto bwd = [&](int c, bool zero_bubble = false) {
    const PipelineOp op{zero_bubble ? OpType::BackwardInput : OpType::Backward, c * half + b[c]++, c};
    ops.push_back(op);
    if (zero_bubble) deferred.push_back({OpType::BackwardWeight, op.micro_batch, c});
  };
  auto weight = [&] { ops.push_back(deferred.at(next_w++)); };
  auto fused = [&](int forward_chunk, int backward_chunk) {  // F&B
    fwd(forward_chunk, true);
    bwd(backward_chunk);
  };

  for (int i = 0; i < 2 * (n - h - 1); ++i) fwd(near);
  for (int i = 0; i < h + 1; ++i) { fwd(near); fwd(far); }
  for (int i = 0; i < n - h - 1; ++i) { bwd(far, true); weight(); fwd(far); }
  const int main_steps = half - stages + h + 1;
  for (int i = 0; i < main_steps; ++i) {
    if (i == 0 && middle) {
      fwd(near);
      bwd(far);
    } else {
      fused(near, far);
    }
    fused(far, near);
  }
  for (int i = 0; i < n - h - 1; ++i) { bwd(far); fused(far, near); }
  bool zero_bubble = false;
  for (int i = 0; i < h + 1; ++i) {
    if (i == (h + 1) / 2 && h % 2 == 1) zero_bubble = true;
    bwd(far, zero_bubble);
    if (i == (h + 1) / 2 && h % 2 == 0) zero_bubble = true;
    bwd(near, zero_bubble);
  }
  for (int i = 0; i < n - h - 1; ++i) { weight(); bwd(near, true); }
  for (int i = 0; i < h + 1; ++i) weight();
  return ops;
}

}  // namespace trainsim::schedule::detail
