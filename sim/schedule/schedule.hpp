#pragma once
// Pipeline schedules as pure op-order generators: for each pipeline stage (one GPU of a
// pipeline), the ordered list of compute ops it runs. The engine executes these lists as given
// and only adds the sends/receives between stages; it never special-cases a schedule.
// Formulas, sources and orders are documented in docs/schedules.md.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainsim::schedule {

enum class ScheduleKind { GPipe, OneFOneB, Interleaved1F1B, ZeroBubbleH1 };

enum class OpType {
  Forward,
  Backward,        // full backward: input gradient and weight gradient together
  BackwardInput,   // zero-bubble "B": gradient w.r.t. the stage input only (on the critical path)
  BackwardWeight,  // zero-bubble "W": gradient w.r.t. the weights (off the critical path)
};

struct PipelineOp {
  OpType type;
  int micro_batch;  // 0..m-1
  int chunk;        // model chunk on this GPU (virtual stage index on this GPU), 0..v-1
  friend bool operator==(const PipelineOp&, const PipelineOp&) = default;
};

struct ScheduleParams {
  ScheduleKind kind = ScheduleKind::OneFOneB;
  int stages = 1;          // p: pipeline-parallel size (GPUs in one pipeline)
  int micro_batches = 1;   // m: micro-batches per iteration
  int chunks = 1;          // v: model chunks per GPU; 1 unless interleaved
};

// ops[rank] is the order stage `rank` (0..p-1) runs its compute ops in.
using Schedule = std::vector<std::vector<PipelineOp>>;

// Checks the parameters (throws std::invalid_argument naming the offending parameter; the
// config loader adds the file location) and generates the schedule. Linear in p*m*v.
Schedule make_schedule(const ScheduleParams& params);

// Throws std::invalid_argument when `params` cannot be scheduled (see docs/schedules.md).
void validate_params(const ScheduleParams& params);

// Megatron's layout of model chunks over GPUs: chunk c of rank r holds global virtual stage
// c*p + r, so the model goes rank 0..p-1 for chunk 0, then again for chunk 1, and so on.
constexpr int model_chunk_stage(int rank, int chunk, int stages) { return chunk * stages + rank; }
constexpr int rank_of_virtual_stage(int virtual_stage, int stages) { return virtual_stage % stages; }
constexpr int chunk_of_virtual_stage(int virtual_stage, int stages) { return virtual_stage / stages; }

// True for the op that produces the gradient sent to the previous virtual stage (B or BI).
constexpr bool is_input_backward(OpType t) {
  return t == OpType::Backward || t == OpType::BackwardInput;
}

// Names used in configuration files and outputs: "gpipe", "1f1b", "interleaved-1f1b", "zb-h1".
std::string_view to_string(ScheduleKind kind);
// Every schedule with its name, in the enum's order: the one table that scenario files, the
// importers and messages read (a new schedule is added to kScheduleKinds in schedule.cpp).
const std::vector<std::pair<std::string, ScheduleKind>>& schedule_names();
std::string_view to_string(OpType type);  // "F", "B", "BI", "W"
// Throws std::invalid_argument listing the accepted names.
ScheduleKind schedule_kind_from_string(std::string_view name);

// "F3.1" style rendering (type, micro-batch, and ".chunk" when chunks > 1), for messages/tests.
std::string describe(const PipelineOp& op, bool with_chunk);

}  // namespace trainsim::schedule
