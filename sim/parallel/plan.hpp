#pragma once
// ParallelPlan: how one training job is laid out on the GPUs (the "execution" input, beside the
// model and the platform). Plain values; validated by validate_plan().
#include <string>
#include <vector>

#include "core/error.hpp"
#include "parallel/expert_plan.hpp"
#include "program/collective_kind.hpp"
#include "schedule/schedule.hpp"
#include "workload/compute_model.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {

enum class RankOrder {
  Megatron,  // Megatron-LM's default: tensor-parallel fastest, then data, then pipeline
  Explicit,  // rank r runs on GPU mapping[r]
};

// Fully sharded data parallelism at the granularity of wrapped units (ZeRO-3 / PyTorch FSDP /
// DeepSpeed stage 3; docs/training.md, "Sharded data parallelism"). Used when zero_stage = 3.
struct FsdpPlan {
  int unit_layers = 1;  // transformer layers per wrapped unit (its parameters gathered together)
  int prefetch = 1;     // units whose all-gather may be issued ahead of the one computing
  int shard_group = 0;  // data-parallel ranks a unit is sharded over (HSDP); 0 = all of dp
};

// How context-parallel ranks see the whole sequence's keys and values (docs/training.md,
// "Context parallelism").
enum class CpComm {
  Ring,       // ring attention: KV blocks passed around the CP group, overlapped with attention
  AllGather,  // KV all-gathered before attention, dKV reduce-scattered after it (Llama 3)
};

struct ParallelPlan {
  int tp = 1, pp = 1, dp = 1;
  // Context parallelism: each sequence split over cp ranks (2cp chunks, rank i holding chunks i
  // and 2cp-1-i for causal balance); their gradients are reduced over dp x cp.
  int cp = 1;
  CpComm cp_comm = CpComm::Ring;
  int micro_batch = 1;
  int global_batch = 1;
  int chunks = 1;  // model chunks (virtual stages) per GPU: > 1 for interleaved 1F1B, 2 for zb-v
  schedule::ScheduleKind schedule = schedule::ScheduleKind::OneFOneB;
  bool sequence_parallel = false;
  // Attention kernels: flash (fused) or Megatron-LM's unfused core attention of 2021-2022,
  // which the published Megatron and Korthikanti runs used (docs/model.md).
  bool flash_attention = true;
  // Megatron-LM's fused bias-dropout-add kernel (its default); off models eager PyTorch.
  bool fused_bias_dropout_add = false;
  workload::Recompute recompute = workload::Recompute::None;
  int zero_stage = 0;  // 1 = distributed optimizer (optimizer states sharded over dp)
  // Transformer layers per pipeline stage (size pp, summing to the layer count); empty: even.
  std::vector<int> layers_per_stage;
  // Transformer layers per virtual stage, in model order (pp x chunks entries; where each sits:
  // chunk_placement). Any split, e.g. Llama 3's
  // first and last virtual stages with one layer fewer; the first and last may hold 0 layers
  // (the embedding or the LM head alone). Empty: layers_per_stage, split evenly over chunks.
  std::vector<int> layers_per_virtual_stage;
  RankOrder order = RankOrder::Megatron;
  std::vector<int> mapping;  // Explicit order: global GPU of each rank
  // Data-parallel gradient reduction: bucketed, and overlapped with the backward pass when
  // `overlap_grad_reduce` (Megatron's --overlap-grad-reduce; off in the 2021 runs).
  bool overlap_grad_reduce = false;
  double bucket_bytes = 40e6 * 2;  // Megatron's default bucket: 40M bf16 gradients
  CollectiveAlgorithm dp_algorithm = CollectiveAlgorithm::Ring;
  // Bytes per gradient element in the data-parallel reduction and the gradient buffer: 2 (bf16,
  // Megatron's with --grad-reduce-in-bf16) or 4 (fp32: --accumulate-allreduce-grads-in-fp32).
  int grad_reduce_bytes = 2;
  // Distributed optimizer (zero_stage 1-2): the updated parameters' all-gather runs during the
  // next forward, each chunk's first forward waiting for its buckets (--overlap-param-gather).
  bool overlap_param_gather = false;
  // Tensor-parallel collectives pipelined with the GEMMs that produce or consume them
  // (Megatron-Core --tp-comm-overlap; needs sequence parallelism). docs/training.md.
  bool tp_comm_overlap = false;
  FsdpPlan fsdp;
  // Pipeline sends split across the tensor-parallel ranks and all-gathered after receipt
  // (Megatron's scatter/gather optimisation; implied by sequence parallelism).
  bool scatter_gather = true;
  int iterations = 1;
  // MoE models: expert parallelism, expert TP and DP, routing (expert_plan.hpp).
  ExpertPlan experts;
  // Operands of the linear layers' GEMMs (FP8: DeepSeek-V3, Transformer Engine; docs/model.md).
  workload::Precision gemm_precision = workload::Precision::Bf16;
  SourceLocation where;

  int gpus() const { return tp * cp * pp * dp; }
  int expert_tp() const { return experts.expert_tp > 0 ? experts.expert_tp : tp; }
  // Expert-data-parallel size: the tp x cp x dp ranks of a stage hold ep x expert_tp x expert_dp
  // (Megatron-Core folds the experts over context parallelism too).
  int expert_dp() const { return tp * cp * dp / (experts.ep * expert_tp()); }
  int micro_batches() const { return global_batch / (micro_batch * dp); }  // per pipeline
  // Data-parallel ranks the sharded states are split over: dp, or the HSDP shard group.
  int shard_ranks() const { return zero_stage >= 3 && fsdp.shard_group > 0 ? fsdp.shard_group : dp; }
};

// Per-GPU compute slowdown: factor per GPU (1 = nominal), from explicit entries and/or a
// seeded lognormal spread. A tensor-parallel group runs at its slowest member's pace.
struct StragglerSpec {
  std::vector<std::pair<int, double>> gpus;  // (global GPU, factor >= 1 slower)
  double sigma = 0;                          // lognormal spread of factors (median 1)
};

// Checks divisibility and ranges; throws InputError located at plan.where naming the key.
void validate_plan(const ParallelPlan& plan, const workload::ModelSpec& model, int platform_gpus);

// Layers of each pipeline stage: layers_per_virtual_stage summed per stage, else
// layers_per_stage, else an even split with the remainder on the first stages.
std::vector<int> stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

// Where the plan's model chunks sit (schedule::Placement of its schedule, pp, chunks and
// micro-batches per pipeline): the one placement rule every generator and estimate reads.
schedule::Placement chunk_placement(const ParallelPlan& plan);
// The GPU (pipeline stage) holding the embedding (first virtual stage) and the one holding the
// LM head (last virtual stage): stages 0 and pp-1 under the looped layout, both stage 0 under
// the V layout (zb-v). Tied embeddings need a second copy and a gradient all-reduce only when
// they differ.
int embedding_stage(const ParallelPlan& plan);
int lm_head_stage(const ParallelPlan& plan);
// Ranks of one pipeline holding each stage's parameters: 2 under DualPipe (rank r holds stages r
// and pp-1-r, so stages r and pp-1-r live on ranks r and pp-1-r both; their gradients are
// reduced over both ranks' data-parallel groups together), else 1. docs/schedules.md.
int weight_copies(const ParallelPlan& plan);
// Whether tied embeddings need the LM head's stage to keep its own copy of the word embeddings
// (kept equal by an all-reduce of their gradients): embedding and head on different GPUs, and
// not DualPipe, whose end ranks hold both (their pair reduction keeps the copies equal).
bool tied_embedding_copy(const ParallelPlan& plan, const workload::ModelSpec& model);
// The transformer layers (model indices, ascending) GPU stage `stage` holds over its chunks.
std::vector<int> layers_of_stage(const ParallelPlan& plan, const workload::ModelSpec& model, int stage);

// Transformer layers of each virtual stage, in virtual-stage order (pp x chunks entries): the
// plan's layers_per_virtual_stage when given, else stage s's layers (stage_layers) split over its
// chunks, the first ones taking the remainder; chunk c
// of stage s is virtual stage chunk_placement(plan).virtual_stage(s, c).
std::vector<int> virtual_stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

}  // namespace trainsim
