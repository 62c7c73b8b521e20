#include "workload/moe_ops.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "workload/op_builders.hpp"

namespace trainsim::workload {

namespace {
using build::kBf16;
using build::memory;

std::string str(long long v) { return std::to_string(v); }

void check_shard(const ModelSpec& m, const MoeShard& sh) {
  validate(m);
  if (!m.is_moe()) throw InternalError("moe_ffn_ops on dense model '" + m.name + "'");
  const LayerShard& l = sh.layer;
  if (l.micro_batch <= 0) throw InputError({}, "micro_batch", "must be positive");
  if (l.tp <= 0) throw InputError({}, "tp", "must be positive");
  if (sh.expert_tp <= 0) throw InputError({}, "expert_tp", "must be positive");
  if (l.tp > 1 && !l.seq_parallel)
    throw InputError({}, "sequence_parallel", "MoE layers with tp > 1 need sequence parallelism (as Megatron-Core)");
  if (l.cp < 1 || m.seq_len % l.cp != 0 || (m.seq_len / l.cp) % l.tp != 0)
    throw InputError({}, "seq_len", "seq_len " + str(m.seq_len) + " is not divisible by context-parallel size " + str(l.cp) +
                                        " times tensor-parallel size " + str(l.tp));
  if (m.moe.expert_ffn_hidden % sh.expert_tp != 0)
    throw InputError({}, "expert_ffn_hidden", "expert_ffn_hidden " + str(m.moe.expert_ffn_hidden) +
                                                  " is not divisible by expert_tp " + str(sh.expert_tp));
}

struct ExpertNames {
  std::string_view fwd, dgrad, wgrad, cast, dgrad_cast;
};
constexpr ExpertNames kExpertUp{"experts.mlp_up", "experts.mlp_up.dgrad", "experts.mlp_up.wgrad",
                                "experts.mlp_up.fp8_cast", "experts.mlp_up.dgrad.fp8_cast"};
constexpr ExpertNames kExpertDown{"experts.mlp_down", "experts.mlp_down.dgrad", "experts.mlp_down.wgrad",
                                  "experts.mlp_down.fp8_cast", "experts.mlp_down.dgrad.fp8_cast"};

constexpr double kCastBytesPerElement = kBf16 + 1.0;  // read bf16, write fp8 (op_builders.cpp)

// The three grouped GEMMs of one expert linear y_e = x_e W_e ([rows_e, k] x [k, n]) over the
// local experts with rows. Forward and activation gradient: one GEMM of the padded rows
// (sum of ceil(rows_e / tile) tiles) by n by k; weight gradient: G outputs of k x n stacked,
// reduced over the mean rows per expert, i.e. (G k, n, rows / G). Bytes: every row in and out,
// each non-empty expert's weights (a kernel reads only the weights of experts with rows).
struct GroupedLinear {
  ExpertNames names;
  const std::vector<std::int64_t>* rows;
  double n = 0, k = 0;
  Precision precision = Precision::Bf16;
};

struct RowStats {
  double rows = 0, padded = 0, experts = 0;  // total rows, rows padded to tiles, non-empty experts
};
RowStats row_stats(const std::vector<std::int64_t>& rows) {
  RowStats s;
  for (std::int64_t r : rows) {
    if (r <= 0) continue;
    s.rows += double(r);
    s.padded += double((r + kGroupedGemmTileRows - 1) / kGroupedGemmTileRows * kGroupedGemmTileRows);
    s.experts += 1;
  }
  return s;
}

Op grouped(std::string_view name, Pass pass, double useful_flops, double bytes, double m, double n, double k, Precision p) {
  Op op;
  op.name = name;
  op.kind = OpKind::GroupedGemm;
  op.pass = pass;
  op.flops = useful_flops;
  op.bytes = bytes;
  op.gemm = {std::int64_t(m), std::int64_t(n), std::int64_t(k)};
  op.precision = p;
  return op;
}

void push_grouped_forward(std::vector<Op>& ops, const GroupedLinear& g) {
  const RowStats s = row_stats(*g.rows);
  const double pb = operand_bytes(g.precision);
  if (g.precision == Precision::Fp8) ops.push_back(memory(g.names.cast, Pass::Forward, kCastBytesPerElement * s.rows * g.k));
  ops.push_back(grouped(g.names.fwd, Pass::Forward, 2 * s.rows * g.n * g.k,
                        pb * (s.rows * g.k + s.experts * g.k * g.n) + kBf16 * s.rows * g.n, s.padded, g.n, g.k,
                        g.precision));
}

void push_grouped_backward(std::vector<Op>& ops, const GroupedLinear& g) {
  const RowStats s = row_stats(*g.rows);
  const double pb = operand_bytes(g.precision);
  if (g.precision == Precision::Fp8)
    ops.push_back(memory(g.names.dgrad_cast, Pass::BackwardInput, kCastBytesPerElement * s.rows * g.n));
  ops.push_back(grouped(g.names.dgrad, Pass::BackwardInput, 2 * s.rows * g.k * g.n,
                        pb * (s.rows * g.n + s.experts * g.n * g.k) + kBf16 * s.rows * g.k, s.padded, g.k, g.n,
                        g.precision));
  const double mean_rows = std::ceil(s.rows / s.experts);
  ops.push_back(grouped(g.names.wgrad, Pass::BackwardWeight, 2 * g.k * g.n * s.rows,
                        pb * (s.rows * g.k + s.rows * g.n) + kBf16 * s.experts * g.k * g.n, s.experts * g.k, g.n,
                        mean_rows, g.precision));
}

// GELU: read x, write y (4 B/element), backward 6; SwiGLU: read gate and up, write y (6),
// backward 10 (as the dense MLP, ops.cpp).
double act_bytes(const ModelSpec& m, double rows, double width, Pass pass) {
  const bool gpt = m.family == Family::Gpt;
  return (pass == Pass::Forward ? (gpt ? 4 : 6) : (gpt ? 6 : 10)) * rows * width;
}

std::vector<Op> expert_ops(const ModelSpec& m, const MoeShard& sh, const std::vector<std::int64_t>& rows) {
  const bool gpt = m.family == Family::Gpt;
  const double h = m.hidden, f = double(m.moe.expert_ffn_hidden) / sh.expert_tp;
  const double up_n = gpt ? f : 2 * f;  // SwiGLU: gate and up in one GEMM
  const Precision p = sh.layer.gemm_precision;
  const std::string_view act = gpt ? "experts.gelu" : "experts.swiglu";
  const std::string_view act_bwd = gpt ? "experts.gelu.bwd" : "experts.swiglu.bwd";
  std::vector<Op> ops;
  if (row_stats(rows).rows == 0) return ops;
  if (sh.grouped_gemm) {
    const GroupedLinear up{kExpertUp, &rows, up_n, h, p}, down{kExpertDown, &rows, h, f, p};
    const double n = row_stats(rows).rows;
    push_grouped_forward(ops, up);
    ops.push_back(memory(act, Pass::Forward, act_bytes(m, n, f, Pass::Forward)));
    push_grouped_forward(ops, down);
    push_grouped_backward(ops, down);
    ops.push_back(memory(act_bwd, Pass::BackwardInput, act_bytes(m, n, f, Pass::BackwardInput)));
    push_grouped_backward(ops, up);
    return ops;
  }
  // SequentialMLP: each expert with rows is an ordinary MLP over its rows.
  for (Pass pass : {Pass::Forward, Pass::BackwardInput}) {
    for (std::int64_t r : rows) {
      if (r <= 0) continue;
      const double n = double(r);
      const build::Linear up{{kExpertUp.fwd, kExpertUp.dgrad, kExpertUp.wgrad, kExpertUp.cast, kExpertUp.dgrad_cast},
                             n, up_n, h, 0, p};
      const build::Linear down{
          {kExpertDown.fwd, kExpertDown.dgrad, kExpertDown.wgrad, kExpertDown.cast, kExpertDown.dgrad_cast}, n, h, f, 0, p};
      if (pass == Pass::Forward) {
        build::push_forward(ops, up);
        ops.push_back(memory(act, Pass::Forward, act_bytes(m, n, f, Pass::Forward)));
        build::push_forward(ops, down);
      } else {
        build::push_backward(ops, down);
        ops.push_back(memory(act_bwd, Pass::BackwardInput, act_bytes(m, n, f, Pass::BackwardInput)));
        build::push_backward(ops, up);
      }
    }
  }
  return ops;
}

}  // namespace

std::int64_t routed_tokens(const ModelSpec& m, const MoeShard& sh) {
  return std::int64_t(sh.layer.micro_batch) * (m.seq_len / sh.layer.cp) / sh.layer.tp;
}

MoeFfnOps moe_ffn_ops(const ModelSpec& m, const MoeShard& sh, std::int64_t rows_sent,
                      const std::vector<std::int64_t>& rows_per_local_expert) {
  check_shard(m, sh);
  const double T = double(routed_tokens(m, sh)), h = m.hidden, E = m.moe.experts, k = m.moe.top_k;
  if (rows_sent < 0 || double(rows_sent) > T * k)
    throw InputError({}, "rows_sent", "must be between 0 and tokens x top_k = " + str(std::int64_t(T * k)) +
                                          ", got " + str(rows_sent));
  for (std::int64_t r : rows_per_local_expert)
    if (r < 0) throw InputError({}, "rows_per_local_expert", "must not be negative, got " + str(r));
  const double R = double(rows_sent);

  MoeFfnOps out;
  // Route. Scores and top-k: read the bf16 logits (2 T E), write fp32 scores (4 T E), top-k reads
  // them (4 T E) and writes k fp32 probabilities and int64 indices (12 T k); backward reads the
  // probabilities' gradients (4 T k) and the saved scores (4 T E), writes bf16 logit gradients
  // (2 T E). Permutation gathers each routed row (read and write R rows); backward scatters the
  // rows' gradients back to their tokens, summing a token's k rows (read R, write T rows).
  auto& route = out.route;
  route.push_back(memory("post_norm", Pass::Forward, build::norm_fwd_bytes(T, h)));
  route.push_back(build::gemm("router", Pass::Forward, T, E, h));
  route.push_back(memory("router.topk", Pass::Forward, 10 * T * E + 12 * T * k));
  route.push_back(memory("permute", Pass::Forward, 2 * kBf16 * R * h));
  route.push_back(memory("permute.bwd", Pass::BackwardInput, kBf16 * R * h + kBf16 * T * h));
  route.push_back(memory("router.topk.bwd", Pass::BackwardInput, 6 * T * E + 4 * T * k));
  route.push_back(build::gemm("router.dgrad", Pass::BackwardInput, T, h, E));
  route.push_back(build::gemm("router.wgrad", Pass::BackwardWeight, h, E, T));
  route.push_back(memory("post_norm.bwd", Pass::BackwardInput, build::norm_bwd_bytes(T, h)));

  out.experts = expert_ops(m, sh, rows_per_local_expert);
  if (m.moe.shared_ffn_hidden > 0) out.shared = ffn_ops(m, sh.layer, m.moe.shared_ffn_hidden, true);

  // Unroute: read the R returned rows and their fp32 probabilities, write the T weighted sums;
  // backward reads dY (T rows) and the saved returned rows (for the probabilities' gradients),
  // writes the rows' gradients and the probabilities' gradients.
  auto& unroute = out.unroute;
  const char* residual = m.family == Family::Gpt ? "mlp_dropout_residual" : "mlp_residual";
  const char* residual_bwd = m.family == Family::Gpt ? "mlp_dropout_residual.bwd" : "mlp_residual.bwd";
  unroute.push_back(memory("unpermute", Pass::Forward, kBf16 * R * h + 4 * R + kBf16 * T * h));
  unroute.push_back(memory(residual, Pass::Forward, build::residual_bytes(m, sh.layer, T, Pass::Forward)));
  unroute.push_back(memory(residual_bwd, Pass::BackwardInput, build::residual_bytes(m, sh.layer, T, Pass::BackwardInput)));
  unroute.push_back(memory("unpermute.bwd", Pass::BackwardInput, kBf16 * T * h + 2 * kBf16 * R * h + 4 * R));
  return out;
}

double moe_layer_forward_model_flops(const ModelSpec& m, int layer, int micro_batch) {
  validate(m);
  const double b = micro_batch, s = m.seq_len, tokens = b * s, h = m.hidden;
  double ffn = 0;
  if (m.is_moe_layer(layer)) {
    ffn = router_parameters(m) + ffn_matrices(m) * h * m.moe.shared_ffn_hidden + m.moe.top_k * expert_parameters(m);
  } else {
    ffn = ffn_matrices(m) * h * m.ffn_hidden;
  }
  // Dense attention core (Megatron's convention, no causal halving): QK^T and PV over every head.
  const double d_qk = m.mla.enabled() ? m.mla.qk_head_dim + m.mla.qk_rope_head_dim : m.head_dim();
  const double d_v = m.mla.enabled() ? m.mla.v_head_dim : m.head_dim();
  const double core = 2.0 * b * s * s * m.heads * (d_qk + d_v);
  return 2.0 * (attention_matrix_parameters(m) + ffn) * tokens + core;
}

double model_flops_per_iteration(const ModelSpec& m, std::int64_t global_batch, bool recompute_counted) {
  if (!m.is_moe()) return megatron_flops_per_iteration(m, global_batch, recompute_counted);
  validate(m);
  const double B = double(global_batch), tokens = B * m.seq_len;
  const double layer_passes = recompute_counted ? 4.0 : 3.0;
  double layers = 0;
  for (int l = 0; l < m.layers; ++l) layers += moe_layer_forward_model_flops(m, l, 1);
  const double head = 2.0 * tokens * m.hidden * double(m.vocab);
  return layer_passes * layers * B + 3.0 * head;
}

}  // namespace trainsim::workload
