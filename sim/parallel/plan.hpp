#pragma once
// ParallelPlan: how one training job is laid out on the GPUs (the "execution" input, beside the
// model and the platform). Plain values; validated by validate_plan().
#include <string>
#include <vector>

#include "collective/spec.hpp"
#include "core/error.hpp"
#include "parallel/expert_plan.hpp"
#include "schedule/schedule.hpp"
#include "workload/compute_model.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {

enum class RankOrder {
  Megatron,  // Megatron-LM's default: tensor-parallel fastest, then data, then pipeline
  Explicit,  // rank r runs on GPU mapping[r]
};

struct ParallelPlan {
  int tp = 1, pp = 1, dp = 1;
  int micro_batch = 1;
  int global_batch = 1;
  int chunks = 1;  // model chunks (virtual stages) per GPU; > 1 means interleaved 1F1B
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
  RankOrder order = RankOrder::Megatron;
  std::vector<int> mapping;  // Explicit order: global GPU of each rank
  // Data-parallel gradient reduction: bucketed, and overlapped with the backward pass when
  // `overlap_grad_reduce` (Megatron's --overlap-grad-reduce; off in the 2021 runs).
  bool overlap_grad_reduce = false;
  double bucket_bytes = 40e6 * 2;  // Megatron's default bucket: 40M bf16 gradients
  CollectiveAlgorithm dp_algorithm = CollectiveAlgorithm::Ring;
  // Pipeline sends split across the tensor-parallel ranks and all-gathered after receipt
  // (Megatron's scatter/gather optimisation; implied by sequence parallelism).
  bool scatter_gather = true;
  int iterations = 1;
  // MoE models: expert parallelism, expert TP and DP, routing (expert_plan.hpp).
  ExpertPlan experts;
  // Operands of the linear layers' GEMMs (FP8: DeepSeek-V3, Transformer Engine; docs/model.md).
  workload::Precision gemm_precision = workload::Precision::Bf16;
  SourceLocation where;

  int gpus() const { return tp * pp * dp; }
  int expert_tp() const { return experts.expert_tp > 0 ? experts.expert_tp : tp; }
  // Expert-data-parallel size: the tp x dp ranks of a stage hold ep x expert_tp x expert_dp.
  int expert_dp() const { return tp * dp / (experts.ep * expert_tp()); }
  int micro_batches() const { return global_batch / (micro_batch * dp); }  // per pipeline
};

// Per-GPU compute slowdown: factor per GPU (1 = nominal), from explicit entries and/or a
// seeded lognormal spread. A tensor-parallel group runs at its slowest member's pace.
struct StragglerSpec {
  std::vector<std::pair<int, double>> gpus;  // (global GPU, factor >= 1 slower)
  double sigma = 0;                          // lognormal spread of factors (median 1)
};

// Checks divisibility and ranges; throws InputError located at plan.where naming the key.
void validate_plan(const ParallelPlan& plan, const workload::ModelSpec& model, int platform_gpus);

// Layers of each pipeline stage (even split, remainder to the middle stages... see .cpp).
std::vector<int> stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

}  // namespace trainsim
