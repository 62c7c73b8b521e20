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
  // receive and send (the chunk's kernels and their communication). When `at_layer` is given it
  // is called with a layer's index in the chunk, after the kernels so far have been written, so
  // that the caller may insert ops there: in a forward (whose parameters are still being
  // gathered) before each layer's kernels (0 also before the embedding); in a backward or
  // weight backward (the chunk's last, releasing its gradient buckets) after each layer's
  // kernels, walking back (the LM head's before the last layer's, the embedding's after layer 0).
  virtual void pass(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& op,
                    const std::function<void(int)>& at_layer) = 0;
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
  // With overlap_grad_reduce, from the chunk's last backward op once layer `layer` of chunk
  // `chunk` is done (walking back, after event `issued` of the compute stream): its gradient
  // reductions (`kind`) of the buckets that layer completes, on `stream`; collectives() is then
  // not called with a reduction kind.
  virtual void release_gradients(program::ProgramWriter& w, int stream, int rank, int issued, CollectiveKind kind,
                                 int chunk, int layer) = 0;
  // ZeRO-3 units of layers [first, first + count) of chunk `chunk` (indices in the chunk; the
  // chunk's embedding in its first unit, its LM head in its last): the dense parameters one GPU
  // holds before sharding (gathered and reduce-scattered over "dp" by the caller), and the
  // generator's own collective of the unit (kind AllGather: bf16 parameters; ReduceScatter:
  // gradients) on `stream`, after the caller's dense one.
  virtual double unit_params(int rank, int chunk, int first, int count) const = 0;
  virtual void unit_collective(program::ProgramWriter& w, int stream, int rank, CollectiveKind kind, int chunk, int first,
                               int count) = 0;
  // With overlap_param_gather: the all-gather of `share` of chunk `chunk`'s own parameters
  // (issued on `stream` beside the dense bucket group of that share, `buckets` of the dense
  // buckets; the caller records the group's event after it).
  virtual void parameter_gather(program::ProgramWriter& w, int stream, int rank, int chunk, double share) = 0;
};

// Where a pass's tensor-parallel collectives run: the compute stream, the "tp-comm" stream with
// tp_comm_overlap (else -1), the TP group's slot and size.
struct TpStreams {
  int compute = 0, tp_comm = -1, slot = -1, tp = 1;
};

// Writes `share` of a pass: its kernels (`compute` seconds, `gemm` of them in GEMMs) and its
// tensor-parallel collectives `tp` (none when tp.count is 0). Without overlap the collectives
// follow the kernels on the compute stream. With it (Megatron-Core's tp-comm overlap: each
// collective pipelined with the GEMM that produces or consumes it, in tp chunks) the GEMMs'
// first 1/tp runs before the collectives can start and the rest beside them on the tp-comm
// stream: other kernels + G/tp + max(G (tp-1)/tp, C) (docs/training.md). The one rule for the
// dense generator and the generators layered on it.
void write_tp_pass(program::ProgramWriter& w, const TpStreams& s, double compute, double gemm, double share,
                   const program::Collective& tp, program::Role role);

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
