#pragma once
// One generator per schedule kind, each producing the op order of a single stage. Internal to
// the schedule module: callers use make_schedule(), which validates the parameters first.
#include <vector>

#include "schedule/schedule.hpp"

namespace trainsim::schedule::detail {

std::vector<PipelineOp> gpipe_stage(int stages, int micro_batches, int rank);
std::vector<PipelineOp> one_f_one_b_stage(int stages, int micro_batches, int rank);
std::vector<PipelineOp> interleaved_stage(int stages, int micro_batches, int chunks, int rank);
std::vector<PipelineOp> zero_bubble_h1_stage(int stages, int micro_batches, int rank);
std::vector<PipelineOp> zero_bubble_v_stage(int stages, int micro_batches, int rank);
std::vector<PipelineOp> dualpipe_stage(int stages, int micro_batches, int rank);

// Warm-up forward counts, exposed so tests and docs can check them against Megatron's formula.
int one_f_one_b_warmup(int stages, int micro_batches, int rank);
int interleaved_warmup(int stages, int micro_batches, int chunks, int rank);

}  // namespace trainsim::schedule::detail
