// GPipe (Huang et al., NeurIPS 2019, Fig. 2c): every stage runs all m forwards, then all m
// backwards. The backwards run in reverse micro-batch order, as in GPipe's figure: the last
// micro-batch's forward finishes last on the last stage, and autograd over the concatenated
// mini-batch unwinds it first. For uniform stages the order of the backwards changes neither
// the makespan nor the activation peak (m micro-batches held at the turn).
#include "schedule/generators.hpp"

namespace trainsim::schedule::detail {

std::vector<PipelineOp> gpipe_stage(int /*stages*/, int micro_batches, int /*rank*/) {
  std::vector<PipelineOp> ops;
  ops.reserve(2 * static_cast<size_t>(micro_batches));
  for (int mb = 0; mb < micro_batches; ++mb) ops.push_back({OpType::Forward, mb, 0});
  for (int mb = micro_batches - 1; mb >= 0; --mb) ops.push_back({OpType::Backward, mb, 0});
  return ops;
}

}  // namespace trainsim::schedule::detail
