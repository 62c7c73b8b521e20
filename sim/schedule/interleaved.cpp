// Interleaved 1F1B (Narayanan et al., SC21, "Efficient Large-Scale Language Model Training on
// GPU Clusters Using Megatron-LM", Sec. 2.2.2), following Megatron-LM's
// forward_backward_pipelining_with_interleaving (megatron/core/pipeline_parallel/schedules.py)
// with its default microbatch_group_size_per_vp_stage = p:
//  - each GPU runs v*m forward "iterations" and v*m backward iterations over its v chunks;
//  - iteration k belongs to micro-batch group k / (p*v); inside the group, p consecutive
//    iterations run the same chunk (get_model_chunk_id: chunk = (k mod p*v) / p, reversed to
//    v-1-chunk for backwards) on micro-batches group*p + k mod p
//    (get_microbatch_id_in_model_chunk);
//  - warm-up forwards = min((p-r-1)*2 + (v-1)*p, m*v); then forward k+warmup and backward k
//    alternate; then the remaining backwards drain.
// Older Megatron releases (before the group size was configurable) also ran all-forward-then-
// all-backward when m == p; current Megatron-Core does not, and neither do we.
#include <algorithm>

#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

int interleaved_warmup(int stages, int micro_batches, int chunks, int rank) {
  const long warmup = static_cast<long>(stages - rank - 1) * 2 + static_cast<long>(chunks - 1) * stages;
  return static_cast<int>(std::min<long>(warmup, static_cast<long>(micro_batches) * chunks));
}

namespace {

// The k-th forward (or backward) iteration of a GPU, as Megatron numbers them.
PipelineOp iteration_op(int k, bool forward, int stages, int chunks) {
  const int group_size = stages * chunks;
  const int in_group = k % group_size;
  int chunk = in_group / stages;
  if (!forward) chunk = chunks - chunk - 1;
  const int micro_batch = (k / group_size) * stages + k % stages;
  return {forward ? OpType::Forward : OpType::Backward, micro_batch, chunk};
}

}  // namespace

std::vector<PipelineOp> interleaved_stage(int stages, int micro_batches, int chunks, int rank) {
  const int total = micro_batches * chunks;
  const int warmup = interleaved_warmup(stages, micro_batches, chunks, rank);
  const int steady = total - warmup;
  std::vector<PipelineOp> ops;
  ops.reserve(2 * static_cast<size_t>(total));
  for (int k = 0; k < warmup; ++k) ops.push_back(iteration_op(k, true, stages, chunks));
  for (int k = 0; k < steady; ++k) {
    ops.push_back(iteration_op(k + warmup, true, stages, chunks));
    ops.push_back(iteration_op(k, false, stages, chunks));
  }
  for (int k = steady; k < total; ++k) ops.push_back(iteration_op(k, false, stages, chunks));
  return ops;
}

}  // namespace trainsim::schedule::detail
