#pragma once
// Per-layer memory terms of MoE models on one GPU (docs/memory.md, "Mixture of experts"):
// parameters split into the dense part (sharded over the attention's data parallelism under
// ZeRO) and the routed experts (sharded over expert data parallelism), activations of one
// micro-batch, and the dispatch / combine token buffers. estimate_memory sums them.
#include "workload/compute_model.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::workload {

struct MoeMemoryShape {
  int micro_batch = 1;
  int tp = 1;         // attention tensor parallelism (with sequence parallelism when > 1)
  int ep = 1;         // expert parallelism
  int expert_tp = 1;  // expert tensor parallelism
  // Rows this GPU's experts compute per MoE layer and micro-batch, relative to the balanced
  // expert_tp x (b s / tp) x top_k: 1 for balanced routing, up to the capacity factor with one,
  // the routing's maximum over mean for a skewed dropless run.
  double expert_load = 1;
  double dispatch_bytes_per_element = 2;  // 1 with an FP8 dispatch (DeepSeek-V3)
  Recompute recompute = Recompute::None;
  bool flash_attention = true;
};

struct LayerParameters {
  double dense = 0;   // attention, norms, router, shared experts, dense FFN
  double expert = 0;  // this GPU's routed experts
};

// Parameters of layer `layer` held by one GPU: the attention and dense parts split over tp
// (MLA's down projections and latent norms replicated), the router replicated, the experts
// experts / ep of them with their width split over expert_tp.
LayerParameters moe_layer_parameters(const ModelSpec& model, int layer, const MoeMemoryShape& shape);

// Activation bytes layer `layer` keeps for one micro-batch on one GPU.
double moe_layer_activation_bytes(const ModelSpec& model, int layer, const MoeMemoryShape& shape);

// Dispatch and combine buffers of one MoE layer (live while it runs): send and receive buffers of
// the R = (b s / tp) top_k rows this GPU routes and the N rows its experts compute.
double moe_token_buffer_bytes(const ModelSpec& model, const MoeMemoryShape& shape);

}  // namespace trainsim::workload
