#pragma once
// The FFN of a MoE layer on one GPU, op by op (FLOPs and HBM bytes; formulas and sources in
// docs/model.md, "Mixture of experts"). The ops are grouped by the phase they run in, because
// the expert-parallel all-to-alls sit between the groups:
//   forward:  route -> dispatch -> experts (shared alongside) -> combine -> unroute
//   backward: unroute -> combine^T -> experts (shared alongside) -> dispatch^T -> route
// What a GPU's experts compute depends on the rows routed to them (routing.hpp): the caller
// passes the row counts; nothing here draws them.
#include <cstdint>
#include <vector>

#include "workload/model_spec.hpp"
#include "workload/ops.hpp"

namespace trainsim::workload {

// Rows of a grouped GEMM's row tiles: each expert's rows are computed in tiles of this height
// (CUTLASS's Hopper grouped-GEMM tile); a partly filled tile costs a full one.
inline constexpr std::int64_t kGroupedGemmTileRows = 128;

struct MoeShard {
  // Micro-batch, attention tensor-parallel size, kernels and GEMM precision. A MoE block routes
  // the b s / tp tokens of its rank: with tp > 1 it needs sequence parallelism (Megatron-Core
  // requires it for MoE with tensor parallelism).
  LayerShard layer;
  int expert_tp = 1;  // each expert's FFN width split over the expert-tensor-parallel group
  // One grouped-GEMM kernel per expert GEMM (Megatron-Core --moe-grouped-gemm), or one GEMM per
  // expert (SequentialMLP).
  bool grouped_gemm = true;
};

struct MoeFfnOps {
  // The FFN norm, router GEMM (b s / tp tokens x h x E, 16-bit), scores and top-k, permutation
  // of the routed rows into expert order; backward: un-permuting the rows' gradients, top-k and
  // router backward, norm backward.
  std::vector<Op> route;
  // The local experts' GEMMs and activations on the rows they received.
  std::vector<Op> experts;
  // The shared experts (a dense FFN of width shared_ffn_hidden over tp); empty without.
  std::vector<Op> shared;
  // Un-permutation and the probability-weighted sum of each token's k expert outputs, the
  // residual; backward: residual, gradients of the rows and of the probabilities.
  std::vector<Op> unroute;
};

// `rows_sent`: rows this GPU routes (its b s / tp tokens x top_k, less those dropped by the
// capacity); `rows_per_local_expert`: rows each expert of this GPU computes (after any gather over
// the expert-tensor-parallel group). InputError on shapes tp / expert_tp do not divide or counts
// out of range.
MoeFfnOps moe_ffn_ops(const ModelSpec& model, const MoeShard& shard, std::int64_t rows_sent,
                      const std::vector<std::int64_t>& rows_per_local_expert);

// Tokens a MoE block of this rank routes per micro-batch: b (s / cp) / tp.
std::int64_t routed_tokens(const ModelSpec& model, const MoeShard& shard);

// Forward model FLOPs of one layer for b sequences, all ranks together (Megatron's convention as
// layer_forward_model_flops, applied to the parameters a token passes through): 2 x (attention
// matrices + dense FFN, or router + shared + top_k experts) x tokens + dense causal-free
// attention 2 b s^2 a (d_qk + d_v).
double moe_layer_forward_model_flops(const ModelSpec& model, int layer, int micro_batch);
// Model FLOPs of one iteration (3 forwards, 4 with recomputation counted, for the layers; 3 for
// the LM head), as megatron_flops_per_iteration for a dense model.
double model_flops_per_iteration(const ModelSpec& model, std::int64_t global_batch, bool recompute_counted);

}  // namespace trainsim::workload
