#pragma once
// Peak memory of one GPU of a training job: weights, gradients, optimizer states, activations
// of the micro-batches in flight, communication buffers and framework overhead. Formulas,
// sources and constants: docs/memory.md.
#include <vector>

#include "platform/gpu_catalog.hpp"
#include "workload/compute_model.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::workload {

struct MemoryInput {
  ModelSpec model;
  int tp = 1, pp = 1, dp = 1;  // dp: the data-parallel ranks ZeRO shards over (HSDP: the shard group)
  int virtual_stages = 1;      // model chunks per GPU (interleaved schedules)
  int micro_batch = 1;
  int cp = 1;                  // context parallelism: each GPU holds seq_len / cp tokens' activations
  int layers_on_stage = 0;     // transformer layers held by this GPU (all its chunks together)
  bool has_embedding = false;  // first stage
  bool has_lm_head = false;    // last stage
  bool seq_parallel = false;
  Recompute recompute = Recompute::None;
  // Bytes per gradient element of the gradient buffer: 2 (bf16) or 4 (fp32 main gradients,
  // when gradients are reduced in fp32).
  double grad_bytes_per_param = 2;
  int zero_stage = 0;          // 0 none; 1 optimizer states sharded over dp (distributed optimizer);
                               // 2 + gradients; 3 + weights
  // Micro-batches whose activations this GPU holds at its peak, per layer (the schedule knows:
  // 1F1B first stage holds pp; interleaving multiplies by 1 + (pp-1)/(pp*m)). Fractions allowed.
  double micro_batches_in_flight = 1;
  // Micro-batches whose embedding (first stage) and LM-head (last stage) activations are alive at
  // the peak: only the chunk holding them counts (interleaved 1F1B's last chunk on the last stage
  // holds one micro-batch while its other chunks hold many). Negative: micro_batches_in_flight.
  double embedding_micro_batches_in_flight = -1, lm_head_micro_batches_in_flight = -1;
  // GPT only: flash attention stores no score matrices (Korthikanti's formulas assume it does).
  bool flash_attention = false;
  // MoE models (docs/memory.md, "Mixture of experts"); sequence parallelism when tp > 1.
  std::vector<int> layer_indices;  // the layers this GPU holds (layers_on_stage of them)
  int ep = 1, expert_tp = 1;       // expert data parallelism: tp x dp / (ep x expert_tp)
  double expert_load = 1;          // rows its experts compute, relative to balanced (moe_memory.hpp)
  double dispatch_bytes_per_element = 2;
};

struct MemoryEstimate {
  double parameters = 0;  // parameters held by this GPU before ZeRO sharding
  double expert_parameters = 0;  // of which routed experts (MoE: sharded over expert data parallelism)
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, comm_buffers = 0, overhead = 0;  // bytes
  double total() const { return weights + gradients + optimizer + activations + comm_buffers + overhead; }
  bool fits(const GpuModel& gpu) const { return total() <= gpu.memory_bytes; }
};

// Mixed precision: bf16 weights (2 B) + bf16 gradients (2 B) + fp32 master, m, v (12 B).
inline constexpr double kWeightBytesPerParam = 2, kGradBytesPerParam = 2, kOptimizerBytesPerParam = 12;
// CUDA context, cuBLAS/NCCL workspaces: a fixed estimate (docs/memory.md).
inline constexpr double kFrameworkFixedBytes = 1.5 * 1024.0 * 1024.0 * 1024.0;
// Caching-allocator fragmentation, as a fraction of activation bytes (docs/memory.md).
inline constexpr double kFragmentationFraction = 0.10;

// Activation bytes of one layer for one micro-batch of b sequences (Korthikanti et al. 2022 for
// GPT; docs/memory.md for the Llama derivation).
double activation_bytes_per_layer(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel,
                                  Recompute mode, bool flash_attention = false);
// Parameters of one layer held by one tp rank.
double layer_parameters_per_rank(const ModelSpec& model, int tp);

// Throws InputError on inconsistent input (non-positive sizes, zero_stage outside 0..3).
MemoryEstimate estimate_memory(const MemoryInput& in);

}  // namespace trainsim::workload
