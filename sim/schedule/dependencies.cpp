#include "schedule/dependencies.hpp"

#include <string>

#include "core/error.hpp"

namespace trainsim::schedule {

OpRef global_op(const PipelineOp& op, int rank, const Placement& placement) {
  return {op.type, op.micro_batch, placement.virtual_stage(rank, op.chunk)};
}

std::vector<Dependency> dependencies(const OpRef& op, const Placement& placement) {
  const int last = placement.virtual_stages() - 1;
  const int vs = op.virtual_stage;
  auto crosses = [&](int other_vs) {
    return placement.rank_of(other_vs, op.micro_batch) != placement.rank_of(vs, op.micro_batch);
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

void check_structure(const Schedule& schedule, const Placement& placement) {
  const int micro_batches = placement.micro_batches, chunks = placement.chunks;
  const auto cells = static_cast<size_t>(micro_batches) * static_cast<size_t>(chunks);
  for (size_t rank = 0; rank < schedule.size(); ++rank) {
    // Counts per (chunk, micro-batch) of F, B, BI, W.
    std::vector<int> count(4 * cells, 0);
    const std::string where = "schedule stage " + std::to_string(rank) + ": ";
    const auto& ops = schedule[rank];
    for (size_t i = 0; i < ops.size(); ++i) {
      const PipelineOp& op = ops[i];
      if (op.chunk < 0 || op.chunk >= chunks || op.micro_batch < 0 || op.micro_batch >= micro_batches)
        throw InternalError(where + "op " + describe(op, true) + " is out of range (" +
                            std::to_string(micro_batches) + " micro-batches, " + std::to_string(chunks) +
                            " chunks)");
      if (op.overlapped_with_next && i + 1 == ops.size())
        throw InternalError(where + "the last op " + describe(op, true) + " is overlapped with a next op");
      const size_t cell = static_cast<size_t>(op.chunk) * static_cast<size_t>(micro_batches) +
                          static_cast<size_t>(op.micro_batch);
      ++count[static_cast<size_t>(op.type) * cells + cell];
    }
    for (size_t cell = 0; cell < cells; ++cell) {
      const int f = count[cell], b = count[cells + cell], bi = count[2 * cells + cell],
                w = count[3 * cells + cell];
      const int mb = static_cast<int>(cell % static_cast<size_t>(micro_batches));
      const int chunk = static_cast<int>(cell / static_cast<size_t>(micro_batches));
      const bool used = placement.layout != ChunkLayout::Bidirectional || placement.direction(mb) == chunk;
      const bool full = (b == 1 && bi == 0 && w == 0);
      const bool split = (b == 0 && bi == 1 && w == 1);
      const bool ok = used ? f == 1 && (full || split) : f + b + bi + w == 0;
      if (!ok)
        throw InternalError(where + "micro-batch " + std::to_string(mb) + " chunk " + std::to_string(chunk) +
                            " has " + std::to_string(f) + " F, " + std::to_string(b) + " B, " +
                            std::to_string(bi) + " BI, " + std::to_string(w) + " W (expected " +
                            (used ? "one F and one B, or one F, one BI and one W"
                                  : "none: its micro-batches travel the other direction") +
                            ")");
    }
  }
}

}  // namespace trainsim::schedule
