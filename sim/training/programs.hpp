#pragma once
// The dense-training generator (docs/training.md, "Programs"): workload + plan + schedule ->
// one rank program per GPU. Every parallelism rule of training lives here, as ops:
//   - stream "compute": the stage's schedule (schedule::make_schedule), each op a compute op of
//     the chunk's kernels followed by its tensor-parallel all-reduces (closed form over the TP
//     group, slot "tp"), pipeline receives before and sends after it (slot "pp", one group per
//     pipeline), activations allocated by forwards and freed by input backwards; then the
//     optimizer step;
//   - stream "dp-comm": gradient buckets (slot "dp": all-reduce, or reduce-scatter with ZeRO >= 1,
//     released at the end of the backward pass or during a chunk's last backward when
//     overlapped), the tied-embedding all-reduce (slot "embedding"), the distributed
//     optimizer's parameter all-gather, ZeRO-3's per-op gathers and reduce-scatters; events
//     order them with the compute stream.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "platform/spec.hpp"
#include "program/builder.hpp"
#include "schedule/schedule.hpp"
#include "scenario/training_spec.hpp"
#include "training/costs.hpp"

namespace trainsim {

// Lets a caller change each rank's program before it is added (DiLoCo inserts its outer
// synchronisations at the iteration ends); `groups` is the rank's group per slot.
using RankEdit = std::function<void(int rank, program::Program& program, std::vector<int32_t>& groups)>;

// What a generator layered on this one changes (expert parallelism, training/moe_programs.hpp,
// docs/moe.md "Programs"): it writes the kernels of each schedule op itself, and adds its own
// groups and gradient reductions; the schedule, pipeline messages, memory timeline and the
// dense parameters' data parallelism stay this generator's.
class TrainingExtension {
 public:
  virtual ~TrainingExtension() = default;
  // Interns its slots (called before any group is made).
  virtual void add_slots(program::Builder& b) = 0;
  // Adds its groups: groups[rank][slot] for its slots.
  virtual void add_groups(program::Builder& b, std::vector<std::vector<int32_t>>& groups) = 0;
  // Costs per stage on a GPU of this compute model: `params` are what the data-parallel
  // reduction over "dp" moves; the compute fields are unused (pass writes the kernels).
  virtual std::vector<StageCosts> stage_costs(const workload::ComputeModel& compute) const = 0;
  // Writes schedule op `op` of rank `rank` on stream `stream`: everything between its pipeline
  // receive and send (the chunk's kernels and their communication). When `before_layer` is
  // given (a forward whose parameters are still being gathered), it is called before each
  // layer's kernels with the layer's index in the chunk (0 also before the embedding), after
  // the kernels so far have been written, so that the caller may insert waits there.
  virtual void pass(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& op,
                    const std::function<void(int)>& before_layer) = 0;
  // DualPipe's F&B (schedule::PipelineOp::overlapped_with_next): forward `f` and backward `b`
  // of two micro-batches as one unit, each one's communication beside the other's compute.
  virtual void overlapped_pair(program::ProgramWriter& w, int stream, int rank, int iteration,
                               const schedule::PipelineOp& f, const schedule::PipelineOp& b) = 0;
  // Parameters of `rank` outside StageCosts::params whose optimizer step runs on it.
  virtual double optimizer_params(int rank) const = 0;
  // Its gradient reductions (kind: the dense ones' all-reduce or reduce-scatter), or with
  // AllGather the distributed optimizer's parameter all-gathers, on stream `stream` after event
  // `issued` of the compute stream.
  virtual void collectives(program::ProgramWriter& w, int stream, int rank, int issued, CollectiveKind kind) = 0;
  // With overlap_param_gather: the all-gather of `share` of chunk `chunk`'s own parameters
  // (issued on `stream` beside the dense bucket group of that share, `buckets` of the dense
  // buckets; the caller records the group's event after it).
  virtual void parameter_gather(program::ProgramWriter& w, int stream, int rank, int chunk, double share) = 0;
};

// Appends the ranks of `spec` to `builder`: rank r of the plan on GPU layout.gpu_of_rank(r),
// its groups named with `prefix`, `replica` in the ranks' info. Throws InputError for a plan the
// platform cannot run.
void add_training_programs(program::Builder& builder, const TrainingSpec& spec, const PlatformSpec& platform,
                           uint64_t seed, const std::string& prefix = "", int replica = -1,
                           const RankEdit& edit = {});

// The programs of a training job, with the accounting its summary needs (JobInfo "training").
program::ProgramSet training_programs(const TrainingSpec& spec, const PlatformSpec& platform, uint64_t seed);

// Per-GPU compute slowdown of the stragglers (1 = nominal), by global GPU index.
std::vector<double> straggler_factors(const StragglerSpec& stragglers, int gpus, uint64_t seed);

// Cluster (index into platform.clusters) of a global GPU index.
int cluster_of_gpu(const PlatformSpec& platform, int gpu);

}  // namespace trainsim
