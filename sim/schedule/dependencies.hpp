#pragma once
// The data dependencies between pipeline ops, over the virtual stages a micro-batch goes
// through (Placement: where each chunk sits). They are the only cross-stage rules: a schedule is valid exactly
// when executing every stage's order under them cannot deadlock. The engine realises the
// cross-stage ones as point-to-point transfers; the executor (executor.hpp) checks them.
//   F(mb, vs)      needs F(mb, vs-1)               activations from the previous virtual stage
//   B/BI(mb, vs)   needs F(mb, vs)                 its own forward (for the last vs: the loss)
//                  and B/BI(mb, vs+1)              the output gradient from the next virtual stage
//   W(mb, vs)      needs BI(mb, vs)                the gradient of its output, computed by BI
#include <vector>

#include "schedule/schedule.hpp"

namespace trainsim::schedule {

// An op placed in the whole model: which virtual stage runs it, rather than which local chunk.
struct OpRef {
  OpType type;
  int micro_batch;
  int virtual_stage;
  friend bool operator==(const OpRef&, const OpRef&) = default;
};

struct Dependency {
  OpRef producer;
  bool cross_stage;  // producer runs on another GPU: its result travels point-to-point
};

// `op` of stage `rank` as a global op.
OpRef global_op(const PipelineOp& op, int rank, const Placement& placement);

// What `op` waits for under `placement`. For an input-gradient op the producer on vs+1 is
// reported with the consumer's type, but it stands for whichever of B or BI that stage runs
// (DualPipe mixes them within one micro-batch): the executor keys B and BI together.
std::vector<Dependency> dependencies(const OpRef& op, const Placement& placement);

// Checks that a schedule is well-formed for its placement (p = schedule.size()):
// on every stage, each (micro-batch, chunk) has exactly one F and either one B or one BI plus
// one W, chunks and micro-batches are in range. Throws InternalError naming the first fault.
// (Ordering faults — a B before its F, a W before its BI — are deadlocks: see execute().)
// Under the bidirectional layout a micro-batch uses one chunk only (its direction). An op
// marked overlapped_with_next must have a next op.
void check_structure(const Schedule& schedule, const Placement& placement);

}  // namespace trainsim::schedule
