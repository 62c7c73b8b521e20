#include "workload/moe_memory.hpp"

#include "core/error.hpp"

namespace trainsim::workload {

namespace {

// Tokens of a micro-batch (T) and of this rank's sequence shard (T / tp).
struct Tokens {
  double all, local;
};
Tokens tokens(const ModelSpec& m, const MoeMemoryShape& s) {
  const double T = double(s.micro_batch) * m.seq_len;
  return {T, T / s.tp};
}

// Rows sent (R, the local tokens' k choices) and computed (N) per MoE layer.
double rows_sent(const ModelSpec& m, const MoeMemoryShape& s) { return tokens(m, s).local * m.moe.top_k; }
double rows_computed(const ModelSpec& m, const MoeMemoryShape& s) {
  return s.expert_load * s.expert_tp * tokens(m, s).local * m.moe.top_k;
}

double attention_parameters_per_rank(const ModelSpec& m, int tp) {
  if (!m.mla.enabled()) return attention_parameters(m) / tp;
  // MLA: the down projections (and their latent norms) are replicated on every tp rank.
  const MlaSpec& a = m.mla;
  const double h = m.hidden;
  const double replicated = (a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank : 0.0) +
                            h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank;
  return replicated + (attention_parameters(m) - replicated) / tp;
}

// Attention block (16-bit, sequence parallel: every token-sized tensor over tp).
double attention_activations(const ModelSpec& m, const MoeMemoryShape& s) {
  const auto [T, Tl] = tokens(m, s);
  const double h = m.hidden, a = m.heads, t = s.tp;
  const bool selective = s.recompute == Recompute::Selective;
  if (m.family == Family::Gpt) {
    // Korthikanti 2022: LayerNorm input 2, QKV input 2, Q and K 4, V 2, projection input 2,
    // dropout mask 1 (x s b h), the s x s scores 5 a s b s unless flash (fp32 log-sum-exp
    // 4 s b a) or selective recomputation.
    const double core = selective ? 0.0 : s.flash_attention ? 4 * T * a : 5 * a * double(m.seq_len) * T;
    return (13 * T * h + core) / t;
  }
  if (!m.mla.enabled()) {
    // Llama: norm and QKV inputs (4 T h), Q, K, V (2 T (q + 2 kv)); the core's output (2 T q)
    // and log-sum-exp (4 T a) unless selective.
    const double q = m.q_dim(), kv = m.kv_dim();
    const double core = selective ? 0.0 : 2 * T * q + 4 * T * a;
    return (4 * T * h + 2 * T * (q + 2 * kv) + core) / t;
  }
  // MLA: norm and down-projection inputs (sequence shards); the latents on every rank (replicated
  // projections): q latent before and after its norm, kv latent likewise, the shared rotary key;
  // per local head Q and K (d_qk + d_rope), V (d_v); core output and log-sum-exp unless selective.
  const MlaSpec& l = m.mla;
  const double latents = 2 * T * (2.0 * l.q_lora_rank + 2.0 * l.kv_lora_rank + l.qk_rope_head_dim);
  const double heads = 2 * T * a * (2.0 * (l.qk_head_dim + l.qk_rope_head_dim) + l.v_head_dim);
  const double core = selective ? 0.0 : 2 * T * a * l.v_head_dim + 4 * T * a;
  return 4 * Tl * h + latents + (heads + core) / t;
}

double dense_ffn_activations(const ModelSpec& m, const MoeMemoryShape& s) {
  const double T = tokens(m, s).all, h = m.hidden, f = m.ffn_hidden;
  // GPT: LayerNorm input 2, MLP input 2, GELU input and output 4 f / h, dropout mask 1 (Korthikanti,
  // 19 + 2 at f = 4h); Llama: norm and MLP inputs 4, gate and up 4 f / h, SwiGLU output 2 f / h.
  if (m.family == Family::Gpt) return (5 * T * h + 4 * T * f) / s.tp;
  return (4 * T * h + 6 * T * f) / s.tp;
}

double moe_ffn_activations(const ModelSpec& m, const MoeMemoryShape& s) {
  const auto [T, Tl] = tokens(m, s);
  const double h = m.hidden, E = m.moe.experts, k = m.moe.top_k;
  const double f = double(m.moe.expert_ffn_hidden) / s.expert_tp, fs = m.moe.shared_ffn_hidden;
  const bool gpt = m.family == Family::Gpt;
  const double R = rows_sent(m, s), N = rows_computed(m, s);
  // Route: norm input, router input (the norm's output), fp32 scores, k fp32 probabilities and
  // int64 indices per token.
  const double route = 2 * Tl * h + 2 * Tl * h + 4 * Tl * E + 12 * Tl * k;
  // Experts: their input rows, the up GEMM's output (gate and up for SwiGLU), the activation's
  // output (the down GEMM's input).
  const double experts = 2 * N * h + (gpt ? 2 : 4) * N * f + 2 * N * f;
  // Unroute: the returned rows and their probabilities (for the probabilities' gradients);
  // GPT's residual dropout mask.
  const double unroute = 2 * R * h + 4 * R + (gpt ? Tl * h : 0.0);
  // Shared experts: up output and activation output over tp (their input is the norm output).
  const double shared = ((gpt ? 2 : 4) * T * fs + 2 * T * fs) / s.tp;
  return route + experts + unroute + shared;
}

}  // namespace

LayerParameters moe_layer_parameters(const ModelSpec& m, int layer, const MoeMemoryShape& s) {
  LayerParameters p;
  p.dense = attention_parameters_per_rank(m, s.tp);
  if (!m.is_moe_layer(layer)) {
    p.dense += ffn_parameters(m, layer) / s.tp;
    return p;
  }
  const double h = m.hidden;
  const double norm = m.family == Family::Gpt ? 2 * h : h;
  p.dense += router_parameters(m) + (ffn_matrices(m) * h * m.moe.shared_ffn_hidden + norm) / s.tp;
  p.expert = double(m.moe.experts) / s.ep * expert_parameters(m) / s.expert_tp;
  return p;
}

double moe_layer_activation_bytes(const ModelSpec& m, int layer, const MoeMemoryShape& s) {
  if (s.recompute == Recompute::Full) return 2 * tokens(m, s).local * m.hidden;  // the layer input
  return attention_activations(m, s) + (m.is_moe_layer(layer) ? moe_ffn_activations(m, s) : dense_ffn_activations(m, s));
}

double moe_token_buffer_bytes(const ModelSpec& m, const MoeMemoryShape& s) {
  // Dispatch: send R rows, receive N (in the dispatch format); combine: send N, receive R (bf16).
  const double rows = rows_sent(m, s) + rows_computed(m, s);
  return rows * m.hidden * (s.dispatch_bytes_per_element + 2);
}

}  // namespace trainsim::workload
