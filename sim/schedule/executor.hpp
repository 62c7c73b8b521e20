#pragma once
// A deterministic list-scheduling executor for pipeline schedules: every stage runs its ops in
// the given order, each op as soon as the stage is free and its dependencies (dependencies.hpp)
// are done, a cross-stage dependency arriving p2p_delay after its producer ends. It is the
// analytic reference for the SimGrid engine (no contention, no collectives) and the tool that
// tests the generators. Linear in the number of ops.
#include <vector>

#include "core/error.hpp"
#include "schedule/schedule.hpp"

namespace trainsim::schedule {

// Seconds one op of one model chunk takes. A schedule with full backwards uses `backward`;
// a split one uses `backward_input` and `backward_weight`.
struct OpDurations {
  double forward = 0;
  double backward = 0;
  double backward_input = 0;
  double backward_weight = 0;
  // Seconds an overlapped forward-and-backward pair (PipelineOp::overlapped_with_next) saves
  // against running them one after the other: DeepSeek-V3's F&B = F + B - overlap, read from the
  // forward's virtual stage; the pair never takes less than its longer op.
  double overlap = 0;
  double of(OpType type) const;
};

struct ExecutorParams {
  int chunks = 1;                       // v: model chunks per stage, as in ScheduleParams
  ChunkLayout layout = ChunkLayout::Looped;  // where the chunks sit (chunk_layout(kind))
  std::vector<OpDurations> durations;   // per virtual stage (Placement::virtual_stages() entries),
                                        // or one for all
  double p2p_delay = 0;                 // seconds from a producer's end to a consumer on another GPU
};

struct TimedOp {
  PipelineOp op;
  double start;
  double end;
};

struct ExecutionResult {
  double makespan = 0;                     // end of the last op (all stages start at 0)
  std::vector<double> busy;                // per stage: sum of its op durations
  std::vector<double> idle;                // per stage: makespan - busy
  double bubble_fraction = 0;              // sum(idle) / (p * makespan)
  std::vector<std::vector<TimedOp>> timeline;  // per stage, in execution order
};

// The orders can never complete: every unfinished stage waits for an op that cannot run.
class ScheduleDeadlock : public InternalError {
 public:
  using InternalError::InternalError;
};

// Runs `schedule` (p = schedule.size()). Checks its structure first (check_structure), then
// throws ScheduleDeadlock naming each blocked stage, its next op and what it waits for.
// Throws std::invalid_argument for bad parameters (durations size, negative times).
ExecutionResult execute(const Schedule& schedule, const ExecutorParams& params);

}  // namespace trainsim::schedule
