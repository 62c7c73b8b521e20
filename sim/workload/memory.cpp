#include "workload/memory.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "workload/moe_memory.hpp"

namespace trainsim::workload {

double activation_bytes_per_layer(const ModelSpec& m, int micro_batch, int tp, bool sp, Recompute mode,
                                  bool flash_attention) {
  const double s = m.seq_len, b = micro_batch, h = m.hidden, a = m.heads, t = tp;
  const double sbh = s * b * h;
  if (mode == Recompute::Full) return sp ? 2 * sbh / t : 2 * sbh;  // the layer input only
  if (m.family == Family::Gpt) {
    // Korthikanti et al. 2022, Sections 4.1-4.2 (bytes, 16-bit activations, 1-byte masks).
    // Flash attention keeps no s x s matrices (like selective recomputation) but its fp32
    // softmax log-sum-exp per head and token (4 s b a bytes, split over tp).
    const double attn = mode == Recompute::Selective || flash_attention ? 0.0 : 5 * a * s / h;
    const double lse = flash_attention ? 4 * s * b * a / t : 0.0;
    if (sp) return sbh / t * (34 + attn) + lse;
    return sbh * (10 + 24 / t + attn / t) + lse;
  }
  // Llama (RMSNorm, GQA, SwiGLU, flash attention, no dropout), docs/memory.md:
  // replicated under TP without SP: both norm inputs and both GEMM inputs (8 sbh);
  // split: Q, K, V (2 sb(h + 2k)), attention output (2 sbh), softmax log-sum-exp (4 sba, fp32),
  // gate and up outputs (4 sbf), SwiGLU output (2 sbf).
  const double k = m.kv_dim(), f = m.ffn_hidden;
  double split = 2 * s * b * (h + 2 * k) + 6 * s * b * f;
  if (mode != Recompute::Selective) split += 2 * sbh + 4 * s * b * a;  // recomputed core's outputs
  const double replicated = 8 * sbh;
  return sp ? (replicated + split) / t : replicated + split / t;
}

double layer_parameters_per_rank(const ModelSpec& m, int tp) { return layer_parameters(m) / tp; }

namespace {
MoeMemoryShape moe_shape(const MemoryInput& in) {
  MoeMemoryShape s;
  s.micro_batch = in.micro_batch;
  s.tp = in.tp;
  s.ep = in.ep;
  s.expert_tp = in.expert_tp;
  s.expert_load = in.expert_load;
  s.dispatch_bytes_per_element = in.dispatch_bytes_per_element;
  s.recompute = in.recompute;
  s.flash_attention = in.flash_attention;
  return s;
}

void check_moe(const MemoryInput& in) {
  const ModelSpec& m = in.model;
  if (!m.is_moe()) return;
  if (int(in.layer_indices.size()) != in.layers_on_stage)
    throw InputError({}, "layer_indices", "a MoE model needs the index of each of the " +
                                              std::to_string(in.layers_on_stage) + " layers on the GPU");
  for (int l : in.layer_indices)
    if (l < 0 || l >= m.layers) throw InputError({}, "layer_indices", "layer " + std::to_string(l) + " is not in the model");
  if (in.tp > 1 && !in.seq_parallel)
    throw InputError({}, "seq_parallel", "MoE memory is modelled with sequence parallelism when tp > 1");
  if (in.ep < 1 || in.expert_tp < 1 || (in.tp * in.dp) % (in.ep * in.expert_tp) != 0)
    throw InputError({}, "ep", "ep x expert_tp must divide tp x dp");
  if (!(in.expert_load > 0)) throw InputError({}, "expert_load", "must be positive");
}
}  // namespace

MemoryEstimate estimate_memory(const MemoryInput& in) {
  const ModelSpec& m = in.model;
  validate(m);
  auto positive = [](int v, const char* key) {
    if (v <= 0) throw InputError({}, key, std::string(key) + " must be positive, got " + std::to_string(v));
  };
  positive(in.tp, "tp"), positive(in.pp, "pp"), positive(in.dp, "dp");
  positive(in.virtual_stages, "virtual_stages"), positive(in.micro_batch, "micro_batch"), positive(in.cp, "cp");
  if (in.layers_on_stage < 0) throw InputError({}, "layers_on_stage", "must not be negative");
  if (in.zero_stage < 0 || in.zero_stage > 3)
    throw InputError({}, "zero_stage", "must be 0, 1, 2 or 3, got " + std::to_string(in.zero_stage));
  if (in.micro_batches_in_flight < 0) throw InputError({}, "micro_batches_in_flight", "must not be negative");
  check_moe(in);

  const double t = in.tp, s = m.seq_len, b = in.micro_batch, h = m.hidden;
  MemoryEstimate e;
  const MoeMemoryShape moe = moe_shape(in);
  // Parameters. The embedding matrix is vocabulary-split over tp; a tied LM head on a different
  // stage keeps its own copy (Megatron synchronises the two with an all-reduce).
  double params = 0, expert_params = 0;
  if (!m.is_moe()) {
    params = in.layers_on_stage * layer_parameters_per_rank(m, in.tp);
  } else {
    for (int l : in.layer_indices) {
      const LayerParameters p = moe_layer_parameters(m, l, moe);
      params += p.dense, expert_params += p.expert;
    }
  }
  if (in.has_embedding) params += embedding_parameters(m) / t;
  if (in.has_lm_head) {
    params += m.family == Family::Gpt ? 2.0 * h : h;  // final norm
    if (!m.tied_embeddings || !in.has_embedding) params += double(m.vocab) * h / t;
  }
  e.parameters = params + expert_params;
  e.expert_parameters = expert_params;
  // ZeRO shards the dense parameters' states over dp, the experts' over expert data parallelism.
  const double dp = in.dp, edp = double(in.tp) * in.dp / (double(in.ep) * in.expert_tp);
  auto states = [&](double per_param, int from_stage) {
    const bool sharded = in.zero_stage >= from_stage;
    return params * per_param / (sharded ? dp : 1) + expert_params * per_param / (sharded ? edp : 1);
  };
  e.weights = states(kWeightBytesPerParam, 3);
  e.gradients = states(in.grad_bytes_per_param, 2);
  e.optimizer = states(kOptimizerBytesPerParam, 1);

  // Activations of the micro-batches in flight.
  double per_micro_batch = 0;
  if (!m.is_moe()) {
    per_micro_batch = in.layers_on_stage * activation_bytes_per_layer(m, in.micro_batch, in.tp, in.seq_parallel,
                                                                       in.recompute, in.flash_attention);
  } else {
    for (int l : in.layer_indices) per_micro_batch += moe_layer_activation_bytes(m, l, moe);
  }
  // The embedding's and the LM head's activations live as long as their own chunk's micro-batches
  // (the sum of the separate peaks: an upper bound, exact when they coincide).
  auto in_flight = [&](double given) { return given < 0 ? in.micro_batches_in_flight : given; };
  double stage_extras = 0;
  const double tok_h = s * b * h / (in.seq_parallel ? t : 1);
  if (in.has_embedding && m.family == Family::Gpt)  // embedding dropout mask
    stage_extras += tok_h * in_flight(in.embedding_micro_batches_in_flight);
  if (in.has_lm_head) {
    // Korthikanti Sec. 4.3: final norm input and logits GEMM input (2 + 2 sbh), fp32 logits 4 sbV/t.
    stage_extras += (4 * tok_h + 4 * s * b * double(m.vocab) / t) * in_flight(in.lm_head_micro_batches_in_flight);
  }
  // Context parallelism: every term above is per token (flash attention keeps no s x s
  // matrix), so a rank holding s/cp tokens holds 1/cp of them.
  e.activations = (per_micro_batch * in.micro_batches_in_flight + stage_extras) / in.cp;

  // Communication buffers: sequence-parallel all-gather of a full [s, b, h] bf16 activation,
  // pipeline send + receive buffers of one stage boundary activation, NCCL is in the fixed part.
  double comm = 0;
  if (in.tp > 1 && in.seq_parallel) comm += 2 * s * b * h;
  if (in.pp > 1) comm += 2 * (2 * s * b * h / (in.seq_parallel ? t : 1));
  // MoE: one layer's dispatch and combine buffers at a time.
  if (std::any_of(in.layer_indices.begin(), in.layer_indices.end(), [&](int l) { return m.is_moe_layer(l); }))
    comm += moe_token_buffer_bytes(m, moe);
  e.comm_buffers = comm / in.cp;  // per-token tensors too

  e.overhead = kFrameworkFixedBytes + kFragmentationFraction * e.activations;
  return e;
}

}  // namespace trainsim::workload
