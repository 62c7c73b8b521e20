#include "workload/ops.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "workload/op_builders.hpp"

namespace trainsim::workload {

namespace {

void check_divides(int tp, int value, const char* key) {
  if (tp <= 0) throw InputError({}, "tp", "must be positive");
  if (value % tp != 0)
    throw InputError({}, key, std::string(key) + " " + std::to_string(value) +
                                  " is not divisible by tensor-parallel size " + std::to_string(tp));
}

void check_shard(const ModelSpec& m, const LayerShard& sh) {
  validate(m);
  check_divides(sh.tp, m.heads, "heads");
  if (sh.seq_parallel) check_divides(sh.tp, m.seq_len, "seq_len");
  if (sh.micro_batch <= 0) throw InputError({}, "micro_batch", "must be positive");
  if (sh.cp < 1) throw InputError({}, "cp", "must be positive");
  if (m.seq_len % (2 * sh.cp) != 0 && sh.cp > 1)
    throw InputError({}, "seq_len", "seq_len " + std::to_string(m.seq_len) + " does not split into 2 x cp = " +
                                        std::to_string(2 * sh.cp) + " context-parallel chunks");
  if (sh.cp > 1 && !sh.flash_attention)
    throw InputError({}, "cp", "context parallelism is modelled with fused (flash) attention only");
}

// Forward ops of `first`, forward ops of `second`, backward ops of `second`, backward ops of
// `first`: a layer runs its attention block then its FFN, and backward the other way round.
std::vector<Op> nest(const std::vector<Op>& first, const std::vector<Op>& second) {
  std::vector<Op> out;
  out.reserve(first.size() + second.size());
  auto take = [&](const std::vector<Op>& ops, bool forward) {
    for (const auto& op : ops)
      if ((op.pass == Pass::Forward) == forward) out.push_back(op);
  };
  take(first, true);
  take(second, true);
  take(second, false);
  take(first, false);
  return out;
}

}  // namespace

double operand_bytes(Precision p) { return p == Precision::Fp8 ? 1.0 : build::kBf16; }

namespace {
using build::kBf16;
using build::Linear;
using build::LinearNames;
using build::memory;
using build::norm_bwd_bytes;
using build::norm_fwd_bytes;
using build::residual_bytes;
using build::push_backward;
using build::push_forward;

constexpr LinearNames kQkv{"qkv", "qkv.dgrad", "qkv.wgrad", "qkv.fp8_cast", "qkv.dgrad.fp8_cast"};
constexpr LinearNames kProj{"proj", "proj.dgrad", "proj.wgrad", "proj.fp8_cast", "proj.dgrad.fp8_cast"};
constexpr LinearNames kUp{"mlp_up", "mlp_up.dgrad", "mlp_up.wgrad", "mlp_up.fp8_cast", "mlp_up.dgrad.fp8_cast"};
constexpr LinearNames kDown{"mlp_down", "mlp_down.dgrad", "mlp_down.wgrad", "mlp_down.fp8_cast", "mlp_down.dgrad.fp8_cast"};
constexpr LinearNames kSharedUp{"shared.mlp_up", "shared.mlp_up.dgrad", "shared.mlp_up.wgrad", "shared.mlp_up.fp8_cast",
                                "shared.mlp_up.dgrad.fp8_cast"};
constexpr LinearNames kSharedDown{"shared.mlp_down", "shared.mlp_down.dgrad", "shared.mlp_down.wgrad",
                                  "shared.mlp_down.fp8_cast", "shared.mlp_down.dgrad.fp8_cast"};
constexpr LinearNames kQDown{"mla.q_down", "mla.q_down.dgrad", "mla.q_down.wgrad", "mla.q_down.fp8_cast",
                             "mla.q_down.dgrad.fp8_cast"};
constexpr LinearNames kQUp{"mla.q_up", "mla.q_up.dgrad", "mla.q_up.wgrad", "mla.q_up.fp8_cast", "mla.q_up.dgrad.fp8_cast"};
constexpr LinearNames kKvDown{"mla.kv_down", "mla.kv_down.dgrad", "mla.kv_down.wgrad", "mla.kv_down.fp8_cast",
                              "mla.kv_down.dgrad.fp8_cast"};
constexpr LinearNames kKvUp{"mla.kv_up", "mla.kv_up.dgrad", "mla.kv_up.wgrad", "mla.kv_up.fp8_cast",
                            "mla.kv_up.dgrad.fp8_cast"};

// The fused flash-attention kernel (Dao 2022), causal: it computes half of the s x s score
// matrix. Forward QK^T (per-head width d_qk) and PV (d_v) for the local heads; backward
// recomputes QK^T and does dV, dP, dQ, dK: 2.5 x forward. Reads Q, K, V (widths q_w, k_w, v_w
// per token: K and V are narrower under GQA), writes O (o_w); backward reads Q, K, V, O, dO and
// writes dQ, dK, dV.
// Context parallelism (cp > 1): this rank's s/cp queries attend to all s keys; with the causal
// mask and the load-balanced chunks (i, 2cp-1-i) every rank computes 1/cp of the causal half,
// so the executed FLOPs are the whole sequence's divided by cp. K and V of the whole sequence
// pass through the kernel (every block of the ring, or the all-gathered tensor).
struct FlashShape {
  double b, s, heads_local, d_qk, d_v;
  double q_w, k_w, v_w, o_w;
  double cp = 1;
};
Op flash_attention(const FlashShape& f, Pass pass) {
  const double T = f.b * f.s / f.cp;  // this rank's queries
  const double fwd_flops = 0.5 * 2.0 * f.b * f.s * f.s * f.heads_local * (f.d_qk + f.d_v) / f.cp;
  const double qkv_bytes = kBf16 * (T * f.q_w + f.b * f.s * (f.k_w + f.v_w)), o_bytes = kBf16 * T * f.o_w;
  Op op;
  op.kind = OpKind::Attention;
  op.pass = pass;
  if (pass == Pass::Forward) {
    op.name = "attention";
    op.flops = fwd_flops;
    op.bytes = qkv_bytes + o_bytes;
    op.core_attention = true;
  } else {
    op.name = "attention.bwd";
    op.flops = 2.5 * fwd_flops;
    op.bytes = 2 * qkv_bytes + 2 * o_bytes;
    op.core_attention = false;  // the backward itself is not re-run by recomputation
  }
  return op;
}

// Multi-head latent attention (DeepSeek-V2/V3) by its GEMMs, with flash attention over heads of
// width d_qk + d_rope (keys) and d_v (values). Under tp the heads split; the two down
// projections are replicated (Megatron-Core's MLA), on all T tokens.
std::vector<Op> mla_attention_ops(const ModelSpec& m, const LayerShard& sh) {
  const MlaSpec& a = m.mla;
  const int t = sh.tp;
  const double b = sh.micro_batch, s = m.seq_len, h = m.hidden, T = b * s / sh.cp, Tn = sh.seq_parallel ? T / t : T;
  const double heads = double(m.heads) / t, dn = a.qk_head_dim, dr = a.qk_rope_head_dim, dv = a.v_head_dim;
  const double qr = a.q_lora_rank, kvr = a.kv_lora_rank;
  const Precision p = sh.gemm_precision;
  const Linear q_down{kQDown, T, qr, h, 0, p}, q_up{kQUp, T, heads * (dn + dr), qr > 0 ? qr : h, 0, p};
  const Linear kv_down{kKvDown, T, kvr + dr, h, 0, p}, kv_up{kKvUp, T, heads * (dn + dv), kvr, 0, p};
  const Linear proj{kProj, T, h, heads * dv, 0, p};
  // K per head is [k_nope | k_rope]: read the per-head non-rotary part and the shared rotary
  // part, write the assembled K; backward splits (and sums over heads) the gradient.
  const double k_assemble = kBf16 * T * (heads * dn + dr) + kBf16 * T * heads * (dn + dr);

  std::vector<Op> ops;
  ops.push_back(memory("input_norm", Pass::Forward, norm_fwd_bytes(Tn, h)));
  if (qr > 0) {
    push_forward(ops, q_down);
    ops.push_back(memory("mla.q_norm", Pass::Forward, norm_fwd_bytes(T, qr)));
  }
  push_forward(ops, q_up);
  push_forward(ops, kv_down);
  ops.push_back(memory("mla.kv_norm", Pass::Forward, norm_fwd_bytes(T, kvr)));
  push_forward(ops, kv_up);
  ops.push_back(memory("mla.k_assemble", Pass::Forward, k_assemble));
  const KvWidths kv = kv_widths_per_rank(m, t);
  const FlashShape flash{b, s, heads, dn + dr, dv, heads * (dn + dr), kv.k, kv.v, heads * dv, double(sh.cp)};
  ops.push_back(flash_attention(flash, Pass::Forward));
  push_forward(ops, proj);
  ops.push_back(memory("attn_residual", Pass::Forward, residual_bytes(m, sh, Tn, Pass::Forward)));

  ops.push_back(memory("attn_residual.bwd", Pass::BackwardInput, residual_bytes(m, sh, Tn, Pass::BackwardInput)));
  push_backward(ops, proj);
  ops.push_back(flash_attention(flash, Pass::BackwardInput));
  ops.push_back(memory("mla.k_assemble.bwd", Pass::BackwardInput, k_assemble));
  push_backward(ops, kv_up);
  ops.push_back(memory("mla.kv_norm.bwd", Pass::BackwardInput, norm_bwd_bytes(T, kvr)));
  push_backward(ops, kv_down);
  push_backward(ops, q_up);
  if (qr > 0) {
    ops.push_back(memory("mla.q_norm.bwd", Pass::BackwardInput, norm_bwd_bytes(T, qr)));
    push_backward(ops, q_down);
  }
  ops.push_back(memory("input_norm.bwd", Pass::BackwardInput, norm_bwd_bytes(Tn, h)));
  return ops;
}

}  // namespace

std::vector<Op> attention_ops(const ModelSpec& m, const LayerShard& sh) {
  check_shard(m, sh);
  if (m.mla.enabled()) {
    if (!sh.flash_attention) throw InputError({}, "attention", "multi-head latent attention is modelled with flash attention only");
    return mla_attention_ops(m, sh);
  }
  const int t = sh.tp;
  const bool gpt = m.family == Family::Gpt;
  const double b = sh.micro_batch, s = m.seq_len, h = m.hidden, d = m.head_dim();
  const double T = b * s / sh.cp;                  // tokens through every GEMM (this CP rank's)
  const double Tn = sh.seq_parallel ? T / t : T;   // tokens of norms, dropout, residuals
  const double q_local = double(m.heads) / t * d;  // query width on this rank
  const double kv_local = kv_widths_per_rank(m, t).k;
  const Precision p = sh.gemm_precision;
  const FlashShape flash{b, s, double(m.heads) / t, d, d, q_local, kv_local, kv_local, q_local, double(sh.cp)};

  const double bias = gpt ? 1.0 : 0.0;
  const Linear qkv{kQkv, T, q_local + 2 * kv_local, h, bias * kBf16 * T * (q_local + 2 * kv_local), p};
  const Linear proj{kProj, T, h, q_local, bias * kBf16 * T * h, p};

  std::vector<Op> ops;
  ops.reserve(20);
  // Unfused core attention (Megatron-LM 2021): E score elements per rank, every one of them
  // written and read in bf16 by each kernel; full (masked, not skipped) causal scores.
  const double a_local = double(m.heads) / t, E = b * a_local * s * s;
  const double core_gemm_flops = 2.0 * b * a_local * s * s * d;
  auto batched = [&](std::string_view name, Pass pass, double bytes, double mm, double nn, double kk) {
    Op op;
    op.name = name;
    op.kind = OpKind::BatchedGemm;
    op.pass = pass;
    op.flops = core_gemm_flops;
    op.bytes = bytes;
    op.gemm = {std::int64_t(mm), std::int64_t(nn), std::int64_t(kk)};
    op.core_attention = true;
    return op;
  };
  auto core = [&](std::string_view name, Pass pass, double bytes) {
    Op op = memory(name, pass, bytes);
    op.core_attention = true;
    return op;
  };

  // Forward.
  ops.push_back(memory("input_norm", Pass::Forward, norm_fwd_bytes(Tn, h)));
  push_forward(ops, qkv);
  if (sh.flash_attention) {
    ops.push_back(flash_attention(flash, Pass::Forward));
  } else {
    // QK^T: read Q and K, write the scores; softmax: read and write; dropout: read, write, mask;
    // PV: read probabilities and V, write the context.
    ops.push_back(batched("attn.scores", Pass::Forward, kBf16 * (2 * T * q_local + E), b * a_local * s, s, d));
    ops.push_back(core("attn.softmax", Pass::Forward, 4 * E));
    if (gpt) ops.push_back(core("attn.dropout", Pass::Forward, 5 * E));
    ops.push_back(batched("attn.context", Pass::Forward, kBf16 * (E + 2 * T * q_local), b * a_local * s, d, s));
  }
  push_forward(ops, proj);
  ops.push_back(memory(gpt ? "attn_dropout_residual" : "attn_residual", Pass::Forward,
                       residual_bytes(m, sh, Tn, Pass::Forward)));

  // Backward, reverse order; weight gradients listed after the activation gradient they pair with.
  ops.push_back(memory(gpt ? "attn_dropout_residual.bwd" : "attn_residual.bwd", Pass::BackwardInput,
                       residual_bytes(m, sh, Tn, Pass::BackwardInput)));
  push_backward(ops, proj);
  if (sh.flash_attention) {
    ops.push_back(flash_attention(flash, Pass::BackwardInput));
  } else {
    // dP = dO V^T (write dP) and dV = P^T dO (read P); dropout and softmax backward; dQ = dS K
    // and dK = dS^T Q (read dS twice).
    Op dp = batched("attn.context.dgrad", Pass::BackwardInput, kBf16 * (E + 2 * T * q_local), b * a_local * s, s, d);
    Op dv = batched("attn.context.vgrad", Pass::BackwardInput, kBf16 * (E + 2 * T * q_local), s, d, b * a_local * s);
    dp.core_attention = dv.core_attention = false;
    ops.push_back(dp);
    ops.push_back(dv);
    if (gpt) ops.push_back(memory("attn.dropout.bwd", Pass::BackwardInput, 5 * E));
    ops.push_back(memory("attn.softmax.bwd", Pass::BackwardInput, 6 * E));
    Op dq = batched("attn.scores.qgrad", Pass::BackwardInput, kBf16 * (E + 2 * T * q_local), b * a_local * s, d, s);
    Op dk = batched("attn.scores.kgrad", Pass::BackwardInput, kBf16 * (E + 2 * T * q_local), s, d, b * a_local * s);
    dq.core_attention = dk.core_attention = false;
    ops.push_back(dq);
    ops.push_back(dk);
  }
  push_backward(ops, qkv);
  ops.push_back(memory("input_norm.bwd", Pass::BackwardInput, norm_bwd_bytes(Tn, h)));
  return ops;
}

std::vector<Op> ffn_ops(const ModelSpec& m, const LayerShard& sh, int width, bool shared_experts) {
  check_shard(m, sh);
  const int t = sh.tp;
  check_divides(t, width, shared_experts ? "shared_expert_ffn_hidden" : "ffn_hidden");
  const bool gpt = m.family == Family::Gpt;
  const double b = sh.micro_batch, s = m.seq_len, h = m.hidden;
  const double T = b * s / sh.cp, Tn = sh.seq_parallel ? T / t : T;
  const double f_local = double(width) / t;
  // GELU: read x, write y (4 per element); backward reads x and dy, writes dx (6).
  // SwiGLU: read gate and up, write y (6); backward reads gate, up, dy, writes both grads (10).
  const double act_fwd = (gpt ? 4 : 6) * T * f_local, act_bwd = (gpt ? 6 : 10) * T * f_local;
  // Experts have no biases (Megatron-Core's grouped MLP); a dense GPT MLP has them.
  const double bias = gpt && !shared_experts ? 1.0 : 0.0;
  const double up_n = gpt ? f_local : 2 * f_local;  // SwiGLU: gate and up in one GEMM
  const Precision p = sh.gemm_precision;
  const Linear up{shared_experts ? kSharedUp : kUp, T, up_n, h, bias * kBf16 * T * up_n, p};
  const Linear down{shared_experts ? kSharedDown : kDown, T, h, f_local, bias * kBf16 * T * h, p};
  const std::string_view act = shared_experts ? (gpt ? "shared.gelu" : "shared.swiglu") : (gpt ? "gelu" : "swiglu");
  const std::string_view act_bwd_name =
      shared_experts ? (gpt ? "shared.gelu.bwd" : "shared.swiglu.bwd") : (gpt ? "gelu.bwd" : "swiglu.bwd");

  std::vector<Op> ops;
  ops.reserve(12);
  if (!shared_experts) ops.push_back(memory("post_norm", Pass::Forward, norm_fwd_bytes(Tn, h)));
  push_forward(ops, up);
  ops.push_back(memory(act, Pass::Forward, act_fwd));
  push_forward(ops, down);
  if (!shared_experts) {
    ops.push_back(memory(gpt ? "mlp_dropout_residual" : "mlp_residual", Pass::Forward,
                         residual_bytes(m, sh, Tn, Pass::Forward)));
    ops.push_back(memory(gpt ? "mlp_dropout_residual.bwd" : "mlp_residual.bwd", Pass::BackwardInput,
                         residual_bytes(m, sh, Tn, Pass::BackwardInput)));
  }
  push_backward(ops, down);
  ops.push_back(memory(act_bwd_name, Pass::BackwardInput, act_bwd));
  push_backward(ops, up);
  if (!shared_experts) ops.push_back(memory("post_norm.bwd", Pass::BackwardInput, norm_bwd_bytes(Tn, h)));
  return ops;
}

std::vector<Op> layer_ops(const ModelSpec& m, const LayerShard& sh) {
  validate(m);
  check_divides(sh.tp, m.heads, "heads");
  check_divides(sh.tp, m.ffn_hidden, "ffn_hidden");
  return nest(attention_ops(m, sh), ffn_ops(m, sh, m.ffn_hidden));
}

std::vector<Op> embedding_ops(const ModelSpec& m, const LayerShard& sh) {
  validate(m);
  check_divides(sh.tp, m.vocab, "vocab");
  const double T = double(sh.micro_batch) * m.seq_len / sh.cp, h = m.hidden;
  // Forward: gather token rows (read + write T h bf16); GPT adds position rows (read 2, write 1).
  // Every rank writes the full [T, h] (rows of other vocabulary shards as zeros) before the
  // all-reduce, so tp does not shrink the traffic.
  const double fwd = kBf16 * T * h * (m.family == Family::Gpt ? 5 : 2);
  // Backward: read dY, read-modify-write fp32 gradient rows (scatter-add): 2 + 8 bytes per element.
  const double bwd = (kBf16 + 8.0) * T * h;
  return {memory("embedding", Pass::Forward, fwd), memory("embedding.wgrad", Pass::BackwardWeight, bwd)};
}

std::vector<Op> lm_head_ops(const ModelSpec& m, const LayerShard& sh) {
  validate(m);
  check_divides(sh.tp, m.vocab, "vocab");
  const double T = double(sh.micro_batch) * m.seq_len / sh.cp, h = m.hidden, v = double(m.vocab) / sh.tp;
  const double Tn = sh.seq_parallel ? T / sh.tp : T;
  std::vector<Op> ops;
  ops.push_back(memory("final_norm", Pass::Forward, 4 * Tn * h));
  ops.push_back(build::gemm("logits", Pass::Forward, T, v, h));
  // Cross entropy on bf16 logits: read logits, write fp32 log-probabilities (2 + 4 B/element);
  // backward reads them and writes bf16 gradient logits (4 + 2).
  ops.push_back(memory("cross_entropy", Pass::Forward, 6 * T * v));
  ops.push_back(memory("cross_entropy.bwd", Pass::BackwardInput, 6 * T * v));
  ops.push_back(build::gemm("logits.dgrad", Pass::BackwardInput, T, h, v));
  ops.push_back(build::gemm("logits.wgrad", Pass::BackwardWeight, h, v, T));
  ops.push_back(memory("final_norm.bwd", Pass::BackwardInput, 6 * Tn * h));
  return ops;
}

double total_flops(const std::vector<Op>& ops, Pass pass) {
  double sum = 0;
  for (const auto& op : ops)
    if (op.pass == pass) sum += op.flops;
  return sum;
}

double total_bytes(const std::vector<Op>& ops, Pass pass) {
  double sum = 0;
  for (const auto& op : ops)
    if (op.pass == pass) sum += op.bytes;
  return sum;
}

KvWidths kv_widths_per_rank(const ModelSpec& m, int tp) {
  if (m.mla.enabled()) {
    const double heads = double(m.heads) / tp;
    return {heads * (m.mla.qk_head_dim + m.mla.qk_rope_head_dim), heads * m.mla.v_head_dim};
  }
  // KV heads are split over tp while they divide; beyond that each rank keeps one (replicated).
  const double kv = std::max(1.0, double(m.kv_heads) / tp) * m.head_dim();
  return {kv, kv};
}

double layer_forward_model_flops(const ModelSpec& m, int micro_batch) {
  const double tokens = double(micro_batch) * m.seq_len;
  return 2.0 * layer_matrix_parameters(m) * tokens + 4.0 * micro_batch * double(m.seq_len) * m.seq_len * m.hidden;
}

double megatron_flops_per_iteration(const ModelSpec& m, std::int64_t global_batch, bool recompute_counted) {
  validate(m);
  const double B = double(global_batch), tokens = B * m.seq_len;
  // Forward + backward = 3 forwards; full recomputation adds one forward of the layers only.
  const double layer_passes = recompute_counted ? 4.0 : 3.0;
  const double layers = m.layers * layer_forward_model_flops(m, 1) * B;
  const double head = 2.0 * tokens * m.hidden * double(m.vocab);
  return layer_passes * layers + 3.0 * head;
}

}  // namespace trainsim::workload
