// 1F1B, a.k.a. PipeDream-Flush (Narayanan et al., ICML 2021) as implemented by Megatron-LM's
// forward_backward_pipelining_without_interleaving (megatron/core/pipeline_parallel/
// schedules.py): stage r runs min(p-r-1, m) warm-up forwards, then alternates one forward and
// one backward, then drains the remaining backwards. Earlier stages warm up longer because
// their first backward has to travel back through every later stage; the warm-up bounds the
// activations a stage holds to p-r micro-batches instead of GPipe's m.
#include <algorithm>

#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

int one_f_one_b_warmup(int stages, int micro_batches, int rank) {
  return std::min(stages - rank - 1, micro_batches);
}

std::vector<PipelineOp> one_f_one_b_stage(int stages, int micro_batches, int rank) {
  const int warmup = one_f_one_b_warmup(stages, micro_batches, rank);
  const int steady = micro_batches - warmup;
  std::vector<PipelineOp> ops;
  ops.reserve(2 * static_cast<size_t>(micro_batches));
  for (int i = 0; i < warmup; ++i) ops.push_back({OpType::Forward, i, 0});
  for (int i = 0; i < steady; ++i) {
    ops.push_back({OpType::Forward, warmup + i, 0});
    ops.push_back({OpType::Backward, i, 0});
  }
  for (int i = steady; i < micro_batches; ++i) ops.push_back({OpType::Backward, i, 0});
  return ops;
}

}  // namespace trainsim::schedule::detail
