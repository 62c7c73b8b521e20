// Per-op FLOPs and bytes of MLA attention, FP8 linear layers and MoE FFN blocks, each against a
// hand computation (docs/model.md, "Mixture of experts", "Multi-head latent attention", "FP8").
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "workload/moe_ops.hpp"
#include "workload/ops.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {
ModelSpec preset(const char* name) { return *find_model_preset(name); }

const Op& find(const std::vector<Op>& ops, std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return op;
  FAIL("no op " << name);
  return ops.front();
}
int count(const std::vector<Op>& ops, std::string_view name) {
  int n = 0;
  for (const auto& op : ops) n += op.name == name;
  return n;
}
double sum_flops(const std::vector<Op>& ops, Pass pass, OpKind kind) {
  double s = 0;
  for (const auto& op : ops)
    if (op.pass == pass && op.kind == kind) s += op.flops;
  return s;
}
void check_gemm(const Op& op, double m, double n, double k) {
  CHECK(op.gemm.m == std::int64_t(m));
  CHECK(op.gemm.n == std::int64_t(n));
  CHECK(op.gemm.k == std::int64_t(k));
}
}  // namespace

TEST_CASE("MLA (DeepSeek-V3) GEMM shapes, FLOPs and attention core by hand, tp 1") {
  const ModelSpec m = preset("deepseek-v3");
  const auto ops = attention_ops(m, {1, 1, false});
  const double T = 4096, h = 7168, s = 4096;
  check_gemm(find(ops, "mla.q_down"), T, 1536, h);
  check_gemm(find(ops, "mla.q_up"), T, 128 * 192, 1536);
  check_gemm(find(ops, "mla.kv_down"), T, 512 + 64, h);
  check_gemm(find(ops, "mla.kv_up"), T, 128 * 256, 512);
  check_gemm(find(ops, "proj"), T, h, 128 * 128);
  check_gemm(find(ops, "mla.kv_up.wgrad"), 512, 128 * 256, T);
  // Forward GEMM FLOPs are 2 x tokens x the attention's matrix parameters.
  CHECK(sum_flops(ops, Pass::Forward, OpKind::Gemm) == 2 * T * 187105280.0);
  CHECK(total_flops(ops, Pass::BackwardWeight) == 2 * T * 187105280.0);
  // Flash attention, causal half: QK^T over 192 wide heads, PV over 128.
  const Op& attn = find(ops, "attention");
  CHECK(attn.flops == 0.5 * 2 * 1 * s * s * 128 * (192 + 128));
  CHECK(attn.bytes == 2 * T * 128 * (192 + 192 + 128) + 2 * T * 128 * 128);
  CHECK(find(ops, "attention.bwd").flops == 2.5 * attn.flops);
  CHECK(find(ops, "mla.q_norm").bytes == 4 * T * 1536);
  CHECK(find(ops, "mla.kv_norm.bwd").bytes == 6 * T * 512);
  CHECK(find(ops, "mla.k_assemble").bytes == 2 * T * (128 * 128 + 64) + 2 * T * 128 * 192);
}

TEST_CASE("MLA under tp 8: heads split, the down projections replicated on all tokens") {
  const ModelSpec m = preset("deepseek-v3");
  const auto ops = attention_ops(m, {2, 8, true});
  const double T = 2 * 4096;
  check_gemm(find(ops, "mla.q_down"), T, 1536, 7168);
  check_gemm(find(ops, "mla.kv_down"), T, 576, 7168);
  check_gemm(find(ops, "mla.q_up"), T, 16 * 192, 1536);
  check_gemm(find(ops, "mla.kv_up"), T, 16 * 256, 512);
  check_gemm(find(ops, "proj"), T, 7168, 16 * 128);
  CHECK(find(ops, "input_norm").bytes == 4 * (T / 8) * 7168);  // sequence parallel
  CHECK_THROWS_AS(attention_ops(m, {1, 3, false}), InputError);  // 128 heads / 3
  LayerShard unfused{1, 1, false};
  unfused.flash_attention = false;
  CHECK_THROWS_AS(attention_ops(m, unfused), InputError);
}

TEST_CASE("A decoupled head width sets the query, key and value widths (Qwen3-30B-A3B)") {
  const ModelSpec m = preset("qwen3-30b-a3b");
  const auto ops = attention_ops(m, {1, 2, true});
  const double T = 4096;
  check_gemm(find(ops, "qkv"), T, (4096 + 2 * 512) / 2, 2048);
  check_gemm(find(ops, "proj"), T, 2048, 4096 / 2);
  CHECK(find(ops, "attention").flops == 0.5 * 4 * 4096.0 * 4096 * 4096 / 2);
}

TEST_CASE("FP8 linear layers: 1-byte operands, bf16 outputs, a cast of the activation operand") {
  const ModelSpec m = preset("llama3-8b");
  LayerShard fp8{1, 1, false};
  fp8.gemm_precision = Precision::Fp8;
  const auto bf = layer_ops(m, {1, 1, false});
  const auto f8 = layer_ops(m, fp8);
  const double T = 8192, h = 4096, n = 2 * 14336;
  const Op& up = find(f8, "mlp_up");
  CHECK(up.precision == Precision::Fp8);
  CHECK(up.flops == find(bf, "mlp_up").flops);
  CHECK(up.bytes == 1 * (T * h + h * n) + 2 * T * n);
  CHECK(find(bf, "mlp_up").bytes == 2 * (T * h + h * n + T * n));
  CHECK(find(f8, "mlp_up.fp8_cast").bytes == 3 * T * h);
  CHECK(find(f8, "mlp_up.dgrad.fp8_cast").bytes == 3 * T * n);
  CHECK(find(f8, "mlp_up.wgrad").bytes == 1 * (h * T + T * n) + 2 * h * n);
  // Four linear layers, a cast each way: 8 more kernels; the attention core stays 16-bit.
  CHECK(f8.size() == bf.size() + 8);
  CHECK(find(f8, "attention").precision == Precision::Bf16);
  // The LM head's logits stay 16-bit whatever the shard says.
  for (const auto& op : lm_head_ops(m, fp8)) CHECK(op.precision == Precision::Bf16);
}

TEST_CASE("MoE FFN block by hand: Mixtral, one expert per GPU, balanced rows") {
  const ModelSpec m = preset("mixtral-8x7b");
  MoeShard sh;
  sh.layer = {1, 1, false};
  const double T = 4096, h = 4096, f = 14336, E = 8, k = 2, R = T * k, N = 8192;
  const MoeFfnOps ops = moe_ffn_ops(m, sh, std::int64_t(R), {std::int64_t(N)});
  CHECK(routed_tokens(m, sh) == 4096);
  // Route.
  check_gemm(find(ops.route, "router"), T, E, h);
  CHECK(find(ops.route, "router").precision == Precision::Bf16);
  CHECK(find(ops.route, "router.topk").bytes == 10 * T * E + 12 * T * k);
  CHECK(find(ops.route, "router.topk.bwd").bytes == 6 * T * E + 4 * T * k);
  CHECK(find(ops.route, "permute").bytes == 4 * R * h);
  CHECK(find(ops.route, "permute.bwd").bytes == 2 * R * h + 2 * T * h);
  check_gemm(find(ops.route, "router.wgrad"), h, E, T);
  CHECK(find(ops.route, "post_norm").bytes == 4 * T * h);
  // Experts: one grouped GEMM of 8192 rows (64 full tiles).
  const Op& up = find(ops.experts, "experts.mlp_up");
  CHECK(up.kind == OpKind::GroupedGemm);
  check_gemm(up, N, 2 * f, h);
  CHECK(up.flops == 2 * N * 2 * f * h);
  CHECK(up.bytes == 2 * (N * h + h * 2 * f) + 2 * N * 2 * f);
  CHECK(find(ops.experts, "experts.swiglu").bytes == 6 * N * f);
  CHECK(find(ops.experts, "experts.swiglu.bwd").bytes == 10 * N * f);
  check_gemm(find(ops.experts, "experts.mlp_down.dgrad"), N, f, h);
  const Op& wgrad = find(ops.experts, "experts.mlp_down.wgrad");
  check_gemm(wgrad, f, h, N);  // one expert: (1 x f, h, N / 1)
  CHECK(wgrad.flops == 2 * f * h * N);
  CHECK(wgrad.bytes == 2 * (N * f + N * h) + 2 * f * h);
  CHECK(ops.shared.empty());
  // Unroute.
  CHECK(find(ops.unroute, "unpermute").bytes == 2 * R * h + 4 * R + 2 * T * h);
  CHECK(find(ops.unroute, "unpermute.bwd").bytes == 2 * T * h + 4 * R * h + 4 * R);
  CHECK(find(ops.unroute, "mlp_residual").bytes == 6 * T * h);
  // The experts' GEMM FLOPs are 3 x 2 x rows x expert parameters (forward, dgrad, wgrad).
  double gemm = 0;
  for (const auto& op : ops.experts) gemm += op.flops;
  CHECK(gemm == 3 * 2 * N * expert_parameters(m));
}

TEST_CASE("Grouped GEMM over uneven experts: row tiles padded, empty experts skipped") {
  const ModelSpec m = preset("qwen3-30b-a3b");  // h 2048, f_e 768
  MoeShard sh;
  sh.layer = {1, 1, false};
  const std::vector<std::int64_t> rows = {100, 0, 300, 129};
  const MoeFfnOps ops = moe_ffn_ops(m, sh, 4096 * 8, rows);
  const double h = 2048, f = 768, N = 529, padded = 128 + 384 + 256, G = 3;
  const Op& up = find(ops.experts, "experts.mlp_up");
  check_gemm(up, padded, 2 * f, h);
  CHECK(up.flops == 2 * N * 2 * f * h);                            // useful FLOPs
  CHECK(up.bytes == 2 * (N * h + G * h * 2 * f) + 2 * N * 2 * f);  // three experts' weights
  const Op& wgrad = find(ops.experts, "experts.mlp_up.wgrad");
  check_gemm(wgrad, G * h, 2 * f, 177);  // ceil(529 / 3)
  CHECK(wgrad.flops == 2 * h * 2 * f * N);
  // Without grouped GEMMs, one ordinary GEMM per expert with rows.
  sh.grouped_gemm = false;
  const MoeFfnOps seq = moe_ffn_ops(m, sh, 4096 * 8, rows);
  CHECK(count(seq.experts, "experts.mlp_up") == 3);
  check_gemm(seq.experts[0], 100, 2 * f, h);
  CHECK(seq.experts[0].kind == OpKind::Gemm);
  double grouped_flops = 0, seq_flops = 0;
  for (const auto& op : ops.experts) grouped_flops += op.flops;
  for (const auto& op : seq.experts) seq_flops += op.flops;
  CHECK(seq_flops == Approx(grouped_flops).epsilon(1e-12));
  // No rows: no expert ops at all.
  CHECK(moe_ffn_ops(m, sh, 0, {0, 0}).experts.empty());
}

TEST_CASE("MoE FFN with expert tensor parallelism, shared experts and FP8 (DeepSeek-V3 shapes)") {
  const ModelSpec m = preset("deepseek-v3");
  MoeShard sh;
  sh.layer = {1, 2, true};
  sh.layer.gemm_precision = Precision::Fp8;
  sh.expert_tp = 2;
  const double T = 2048, h = 7168, f = 1024, N = 4096;
  const MoeFfnOps ops = moe_ffn_ops(m, sh, std::int64_t(T * 8), {2048, 2048});
  const Op& up = find(ops.experts, "experts.mlp_up");
  check_gemm(up, N, 2 * f, h);
  CHECK(up.precision == Precision::Fp8);
  CHECK(up.bytes == 1 * (N * h + 2 * h * 2 * f) + 2 * N * 2 * f);
  CHECK(find(ops.experts, "experts.mlp_up.fp8_cast").bytes == 3 * N * h);
  CHECK(find(ops.experts, "experts.mlp_down.dgrad.fp8_cast").bytes == 3 * N * h);
  // Shared expert: a dense SwiGLU of width 2048 over tp 2 on all b s tokens (sequence-gathered).
  check_gemm(find(ops.shared, "shared.mlp_up"), 4096, 2 * 1024, h);
  check_gemm(find(ops.shared, "shared.mlp_down.wgrad"), 1024, h, 4096);
  CHECK(count(ops.shared, "post_norm") == 0);
  // The router stays 16-bit and works on the rank's b s / tp tokens.
  check_gemm(find(ops.route, "router"), T, 256, h);
  CHECK(find(ops.route, "router").precision == Precision::Bf16);
}

TEST_CASE("MoE FFN inputs out of range are refused") {
  const ModelSpec m = preset("mixtral-8x7b");
  MoeShard sh;
  sh.layer = {1, 2, false};
  CHECK_THROWS_AS(moe_ffn_ops(m, sh, 0, {0}), InputError);  // tp 2 without sequence parallelism
  sh.layer = {1, 1, false};
  CHECK_THROWS_AS(moe_ffn_ops(m, sh, 4096 * 2 + 1, {0}), InputError);  // more rows than T k
  CHECK_THROWS_AS(moe_ffn_ops(m, sh, 1, {-1}), InputError);
  sh.expert_tp = 3;  // 14336 / 3
  CHECK_THROWS_AS(moe_ffn_ops(m, sh, 1, {1}), InputError);
  CHECK_THROWS_AS(moe_ffn_ops(preset("llama3-8b"), MoeShard{}, 1, {1}), InternalError);
}

TEST_CASE("Model FLOPs of a MoE iteration count the parameters a token passes through") {
  const ModelSpec m = preset("deepseek-v3");
  const double s = 4096, h = 7168, B = 15360, tokens = B * s;
  const double core = 2 * s * s * 128 * (192 + 128);  // per sequence, dense (not causal-halved)
  const double dense_layer = 2 * (187105280.0 + 3 * h * 18432) * s + core;
  const double moe_layer = 2 * (187105280.0 + h * 256 + 3 * h * 2048 + 8 * 3 * h * 2048) * s + core;
  CHECK(moe_layer_forward_model_flops(m, 2, 1) == dense_layer);
  CHECK(moe_layer_forward_model_flops(m, 3, 1) == moe_layer);
  const double expected = 3 * (3 * dense_layer + 58 * moe_layer) * B + 3 * 2 * tokens * h * 129280;
  CHECK(model_flops_per_iteration(m, 15360, false) == Approx(expected).epsilon(1e-12));
  // Dense models: Megatron's count.
  const ModelSpec g = preset("gpt-1.7b");
  CHECK(model_flops_per_iteration(g, 512, true) == megatron_flops_per_iteration(g, 512, true));
}
