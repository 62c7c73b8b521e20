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

enum class ScheduleKind { GPipe, OneFOneB, Interleaved1F1B, ZeroBubbleH1, ZeroBubbleV, DualPipe };

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
  // Runs overlapped with the next op of the stage as one fused unit (DualPipe's "F&B": the
  // forward of one micro-batch and the backward of another, whose all-to-all and pipeline
  // communication hide under each other's compute). Both start together and end together.
  bool overlapped_with_next = false;
  friend bool operator==(const PipelineOp&, const PipelineOp&) = default;
};

struct ScheduleParams {
  ScheduleKind kind = ScheduleKind::OneFOneB;
  int stages = 1;          // p: pipeline-parallel size (GPUs in one pipeline)
  int micro_batches = 1;   // m: micro-batches per iteration
  int chunks = 1;          // v: model chunks per GPU; 1 unless interleaved, 2 for zb-v and dualpipe
};

// ops[rank] is the order stage `rank` (0..p-1) runs its compute ops in.
using Schedule = std::vector<std::vector<PipelineOp>>;

// Checks the parameters (throws std::invalid_argument naming the offending parameter; the
// config loader adds the file location) and generates the schedule. Linear in p*m*v.
Schedule make_schedule(const ScheduleParams& params);

// Throws std::invalid_argument when `params` cannot be scheduled (see docs/schedules.md).
void validate_params(const ScheduleParams& params);

// Where the model chunks sit, the one placement rule (docs/schedules.md):
//  - Looped (Megatron-LM, every schedule but the two below): chunk c of rank r holds virtual
//    stage c*p + r; the model goes through ranks 0..p-1 for chunk 0, then again for chunk 1...
//  - V (zb-v, 2 chunks): chunk 0 of rank r holds virtual stage r, chunk 1 holds 2p-1-r; the
//    model goes down the ranks and back up, so the first and last virtual stages share rank 0.
//  - Bidirectional (dualpipe, 2 chunks): the model is cut into p virtual stages and each rank
//    holds two of them, stage r as chunk 0 and stage p-1-r as chunk 1 (two copies of the
//    weights). Micro-batches 0..m/2-1 go through chunk 0 of ranks 0..p-1, micro-batches
//    m/2..m-1 through chunk 1 of ranks p-1..0.
enum class ChunkLayout { Looped, V, Bidirectional };
ChunkLayout chunk_layout(ScheduleKind kind);

struct Placement {
  ChunkLayout layout = ChunkLayout::Looped;
  int stages = 1;         // p
  int chunks = 1;         // v
  int micro_batches = 1;  // m (only the bidirectional layout depends on it)
  static Placement of(const ScheduleParams& params);

  // Virtual stages a micro-batch goes through: p*v, or p for the bidirectional layout.
  int virtual_stages() const { return layout == ChunkLayout::Bidirectional ? stages : stages * chunks; }
  // Which virtual stage chunk `chunk` of rank `rank` holds.
  int virtual_stage(int rank, int chunk) const {
    switch (layout) {
      case ChunkLayout::Looped: return chunk * stages + rank;
      case ChunkLayout::V: return chunk == 0 ? rank : 2 * stages - 1 - rank;
      case ChunkLayout::Bidirectional: return chunk == 0 ? rank : stages - 1 - rank;
    }
    return -1;
  }
  // The chunk (direction) micro-batch `mb` uses: 0 except the second half under the
  // bidirectional layout.
  int direction(int micro_batch) const {
    return layout == ChunkLayout::Bidirectional && 2 * micro_batch >= micro_batches ? 1 : 0;
  }
  // The rank and chunk running virtual stage `vs` for micro-batch `mb`.
  int rank_of(int virtual_stage, int micro_batch = 0) const {
    switch (layout) {
      case ChunkLayout::Looped: return virtual_stage % stages;
      case ChunkLayout::V: return virtual_stage < stages ? virtual_stage : 2 * stages - 1 - virtual_stage;
      case ChunkLayout::Bidirectional:
        return direction(micro_batch) == 0 ? virtual_stage : stages - 1 - virtual_stage;
    }
    return -1;
  }
  int chunk_of(int virtual_stage, int micro_batch = 0) const {
    switch (layout) {
      case ChunkLayout::Looped: return virtual_stage / stages;
      case ChunkLayout::V: return virtual_stage < stages ? 0 : 1;
      case ChunkLayout::Bidirectional: return direction(micro_batch);
    }
    return -1;
  }
};

// True for the op that produces the gradient sent to the previous virtual stage (B or BI).
constexpr bool is_input_backward(OpType t) {
  return t == OpType::Backward || t == OpType::BackwardInput;
}

// Names used in configuration files and outputs: "gpipe", "1f1b", "interleaved-1f1b", "zb-h1",
// "zb-v", "dualpipe".
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
