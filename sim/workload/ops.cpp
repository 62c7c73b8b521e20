#include "workload/ops.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace trainsim::workload {

namespace {

constexpr double kBf16 = 2.0;  // bytes per activation / weight element

Op gemm(std::string_view name, Pass pass, double m, double n, double k) {
  Op op;
  op.name = name;
  op.kind = OpKind::Gemm;
  op.pass = pass;
  op.flops = 2.0 * m * n * k;
  op.bytes = kBf16 * (m * k + k * n + m * n);
  op.gemm = {std::int64_t(m), std::int64_t(n), std::int64_t(k)};
  return op;
}

Op memory(std::string_view name, Pass pass, double bytes) {
  Op op;
  op.name = name;
  op.kind = OpKind::Memory;
  op.pass = pass;
  op.bytes = bytes;
  return op;
}

// The three GEMMs of a linear layer y = x W (x: [T, k], W: [k, n]): forward, activation
// gradient dx = dy W^T ([T, n] x [n, k]) and weight gradient dW = x^T dy ([k, T] x [T, n]).
struct Linear {
  std::string_view fwd, dgrad, wgrad;
  double tokens, n, k;
  double bias_bytes;  // GPT biases: the weight-gradient epilogue also reduces dy over tokens
};

void check_divides(int tp, int value, const char* key) {
  if (tp <= 0) throw InputError({}, "tp", "must be positive");
  if (value % tp != 0)
    throw InputError({}, key, std::string(key) + " " + std::to_string(value) +
                                  " is not divisible by tensor-parallel size " + std::to_string(tp));
}

}  // namespace

std::vector<Op> layer_ops(const ModelSpec& m, const LayerShard& sh) {
  validate(m);
  const int t = sh.tp;
  check_divides(t, m.heads, "heads");
  check_divides(t, m.ffn_hidden, "ffn_hidden");
  if (sh.seq_parallel) check_divides(t, m.seq_len, "seq_len");
  if (sh.micro_batch <= 0) throw InputError({}, "micro_batch", "must be positive");
  if (sh.cp < 1) throw InputError({}, "cp", "must be positive");
  if (m.seq_len % (2 * sh.cp) != 0 && sh.cp > 1)
    throw InputError({}, "seq_len", "seq_len " + std::to_string(m.seq_len) + " does not split into 2 x cp = " +
                                        std::to_string(2 * sh.cp) + " context-parallel chunks");
  if (sh.cp > 1 && !sh.flash_attention)
    throw InputError({}, "cp", "context parallelism is modelled with fused (flash) attention only");

  const bool gpt = m.family == Family::Gpt;
  const double b = sh.micro_batch, s = m.seq_len, h = m.hidden, d = m.head_dim();
  const double cp = sh.cp;
  const double T = b * s / cp;                     // tokens through every GEMM (this CP rank's)
  const double Tn = sh.seq_parallel ? T / t : T;   // tokens of norms, dropout, residuals
  const double q_local = double(m.heads) / t * d;  // query width on this rank
  // KV heads are split over tp while they divide; beyond that each rank keeps one (replicated).
  const double kv_local = std::max(1.0, double(m.kv_heads) / t) * d;
  const double f_local = double(m.ffn_hidden) / t;

  // Elementwise traffic in bf16 (eager kernels, one read/write per tensor; docs/model.md):
  const double norm_fwd = 4 * Tn * h, norm_bwd = 6 * Tn * h;
  // GPT: dropout (read x, write y and a 1-byte mask) then residual add (read 2, write 1) = 11.
  // Llama: residual add only (read 2, write 1) = 6; its backward adds the two gradients: 6.
  double resid_fwd = (gpt ? 11 : 6) * Tn * h, resid_bwd = (gpt ? 11 : 6) * Tn * h;
  if (gpt && sh.fused_bias_dropout_add) resid_fwd = 7 * Tn * h, resid_bwd = 5 * Tn * h;
  // GELU: read x, write y (4 per element); backward reads x and dy, writes dx (6).
  // SwiGLU: read gate and up, write y (6); backward reads gate, up, dy, writes both grads (10).
  const double act_fwd = (gpt ? 4 : 6) * T * f_local, act_bwd = (gpt ? 6 : 10) * T * f_local;

  const double bias = gpt ? 1.0 : 0.0;
  const Linear qkv{"qkv", "qkv.dgrad", "qkv.wgrad", T, q_local + 2 * kv_local, h,
                   bias * kBf16 * T * (q_local + 2 * kv_local)};
  const Linear proj{"proj", "proj.dgrad", "proj.wgrad", T, h, q_local, bias * kBf16 * T * h};
  const double up_n = gpt ? f_local : 2 * f_local;  // SwiGLU: gate and up in one GEMM
  const Linear up{"mlp_up", "mlp_up.dgrad", "mlp_up.wgrad", T, up_n, h, bias * kBf16 * T * up_n};
  const Linear down{"mlp_down", "mlp_down.dgrad", "mlp_down.wgrad", T, h, f_local, bias * kBf16 * T * h};

  // Flash attention, causal: the kernel computes half of the s x s score matrix.
  // Forward: QK^T and PV, 2 x 2 b s^2 d per local head, halved. Backward recomputes QK^T and
  // does four more GEMMs of the same size (dV, dP, dQ, dK): 2.5 x forward (Dao 2022).
  // Context parallelism: this rank's s/cp queries attend to all s keys; with the causal mask
  // and the load-balanced chunks (i, 2cp-1-i) every rank computes 1/cp of the causal half,
  // so the executed FLOPs are the whole sequence's divided by cp. K and V of the whole
  // sequence pass through the kernel (every block of the ring, or the all-gathered tensor).
  const double attn_fwd_flops = 0.5 * 4.0 * b * s * s * q_local / cp;
  const double qkv_bytes = kBf16 * (T * q_local + b * s * 2 * kv_local), o_bytes = kBf16 * T * q_local;

  std::vector<Op> ops;
  ops.reserve(32);
  auto fwd_linear = [&](const Linear& l) { ops.push_back(gemm(l.fwd, Pass::Forward, l.tokens, l.n, l.k)); };
  auto bwd_linear = [&](const Linear& l) {
    ops.push_back(gemm(l.dgrad, Pass::BackwardInput, l.tokens, l.k, l.n));
    Op w = gemm(l.wgrad, Pass::BackwardWeight, l.k, l.n, l.tokens);
    w.bytes += l.bias_bytes;
    ops.push_back(w);
  };
  Op attn;
  attn.name = "attention";
  attn.kind = OpKind::Attention;
  attn.pass = Pass::Forward;
  attn.flops = attn_fwd_flops;
  attn.bytes = qkv_bytes + o_bytes;

  attn.core_attention = true;
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
  auto push_core_forward = [&]() {
    if (sh.flash_attention) {
      ops.push_back(attn);
      return;
    }
    // QK^T: read Q and K, write the scores; softmax: read and write; dropout: read, write, mask;
    // PV: read probabilities and V, write the context.
    ops.push_back(batched("attn.scores", Pass::Forward, kBf16 * (2 * T * q_local + E), b * a_local * s, s, d));
    ops.push_back(core("attn.softmax", Pass::Forward, 4 * E));
    if (gpt) ops.push_back(core("attn.dropout", Pass::Forward, 5 * E));
    ops.push_back(batched("attn.context", Pass::Forward, kBf16 * (E + 2 * T * q_local), b * a_local * s, d, s));
  };

  // Forward.
  ops.push_back(memory("input_norm", Pass::Forward, norm_fwd));
  fwd_linear(qkv);
  push_core_forward();
  fwd_linear(proj);
  ops.push_back(memory(gpt ? "attn_dropout_residual" : "attn_residual", Pass::Forward, resid_fwd));
  ops.push_back(memory("post_norm", Pass::Forward, norm_fwd));
  fwd_linear(up);
  ops.push_back(memory(gpt ? "gelu" : "swiglu", Pass::Forward, act_fwd));
  fwd_linear(down);
  ops.push_back(memory(gpt ? "mlp_dropout_residual" : "mlp_residual", Pass::Forward, resid_fwd));

  // Backward, reverse order; weight gradients listed after the activation gradient they pair with.
  ops.push_back(memory(gpt ? "mlp_dropout_residual.bwd" : "mlp_residual.bwd", Pass::BackwardInput, resid_bwd));
  bwd_linear(down);
  ops.push_back(memory(gpt ? "gelu.bwd" : "swiglu.bwd", Pass::BackwardInput, act_bwd));
  bwd_linear(up);
  ops.push_back(memory("post_norm.bwd", Pass::BackwardInput, norm_bwd));
  ops.push_back(memory(gpt ? "attn_dropout_residual.bwd" : "attn_residual.bwd", Pass::BackwardInput, resid_bwd));
  bwd_linear(proj);
  if (sh.flash_attention) {
    Op attn_bwd = attn;
    attn_bwd.name = "attention.bwd";
    attn_bwd.pass = Pass::BackwardInput;
    attn_bwd.flops = 2.5 * attn_fwd_flops;
    attn_bwd.bytes = 2 * qkv_bytes + 2 * o_bytes;  // read Q,K,V,O,dO; write dQ,dK,dV
    attn_bwd.core_attention = false;  // the backward itself is not re-run by recomputation
    ops.push_back(attn_bwd);
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
  bwd_linear(qkv);
  ops.push_back(memory("input_norm.bwd", Pass::BackwardInput, norm_bwd));
  return ops;
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
  ops.push_back(gemm("logits", Pass::Forward, T, v, h));
  // Cross entropy on bf16 logits: read logits, write fp32 log-probabilities (2 + 4 B/element);
  // backward reads them and writes bf16 gradient logits (4 + 2).
  ops.push_back(memory("cross_entropy", Pass::Forward, 6 * T * v));
  ops.push_back(memory("cross_entropy.bwd", Pass::BackwardInput, 6 * T * v));
  ops.push_back(gemm("logits.dgrad", Pass::BackwardInput, T, h, v));
  ops.push_back(gemm("logits.wgrad", Pass::BackwardWeight, h, v, T));
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
