#include "schedule/dependencies.hpp"

#include <string>

#include "core/error.hpp"

namespace trainsim::schedule {

OpRef global_op(const PipelineOp& op, int rank, int stages) {
  return {op.type, op.micro_batch, model_chunk_stage(rank, op.chunk, stages)};
}

std::vector<Dependency> dependencies(const OpRef& op, int stages, int chunks) {
  const int last = stages * chunks - 1;
  const int vs = op.virtual_stage;
  auto crosses = [&](int other_vs) {
    return rank_of_virtual_stage(other_vs, stages) != rank_of_virtual_stage(vs, stages);
  };
  std::vector<Dependency> deps;
  switch (op.type) {
    case OpType::Forward:
      if (vs > 0) deps.push_back({{OpType::Forward, op.micro_batch, vs - 1}, crosses(vs - 1)});
      break;
    case OpType::Backward:
    case OpType::BackwardInput:
      deps.push_back({{OpType::Forward, op.micro_batch, vs}, false});
      if (vs < last) deps.push_back({{op.type, op.micro_batch, vs + 1}, crosses(vs + 1)});
      break;
    case OpType::BackwardWeight:
      deps.push_back({{OpType::BackwardInput, op.micro_batch, vs}, false});
      break;
  }
  return deps;
}

void check_structure(const Schedule& schedule, int micro_batches, int chunks) {
  const auto cells = static_cast<size_t>(micro_batches) * static_cast<size_t>(chunks);
  for (size_t rank = 0; rank < schedule.size(); ++rank) {
    // Counts per (chunk, micro-batch) of F, B, BI, W.
    std::vector<int> count(4 * cells, 0);
    const std::string where = "schedule stage " + std::to_string(rank) + ": ";
    for (const PipelineOp& op : schedule[rank]) {
      if (op.chunk < 0 || op.chunk >= chunks || op.micro_batch < 0 || op.micro_batch >= micro_batches)
        throw InternalError(where + "op " + describe(op, true) + " is out of range (" +
                            std::to_string(micro_batches) + " micro-batches, " + std::to_string(chunks) +
                            " chunks)");
      const size_t cell = static_cast<size_t>(op.chunk) * static_cast<size_t>(micro_batches) +
                          static_cast<size_t>(op.micro_batch);
      ++count[static_cast<size_t>(op.type) * cells + cell];
    }
    for (size_t cell = 0; cell < cells; ++cell) {
      const int f = count[cell], b = count[cells + cell], bi = count[2 * cells + cell],
                w = count[3 * cells + cell];
      const bool full = (b == 1 && bi == 0 && w == 0);
      const bool split = (b == 0 && bi == 1 && w == 1);
      if (f != 1 || !(full || split)) {
        const PipelineOp at{OpType::Forward, static_cast<int>(cell % static_cast<size_t>(micro_batches)),
                            static_cast<int>(cell / static_cast<size_t>(micro_batches))};
        throw InternalError(where + "micro-batch " + std::to_string(at.micro_batch) + " chunk " +
                            std::to_string(at.chunk) + " has " + std::to_string(f) + " F, " +
                            std::to_string(b) + " B, " + std::to_string(bi) + " BI, " + std::to_string(w) +
                            " W (expected one F and one B, or one F, one BI and one W)");
      }
    }
  }
}

}  // namespace trainsim::schedule
