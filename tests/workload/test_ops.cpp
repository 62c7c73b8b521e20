#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "workload/ops.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {
const Op& find(const std::vector<Op>& ops, std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return op;
  FAIL("no op " << name);
  return ops.front();
}
}  // namespace

TEST_CASE("GPT layer GEMM shapes and FLOPs under tensor parallelism") {
  const ModelSpec m = *find_model_preset("gpt-22b");  // h 6144, a 64, s 2048
  const auto ops = layer_ops(m, {4, 8, false});
  const std::int64_t T = 4 * 2048;
  const Op& qkv = find(ops, "qkv");
  CHECK(qkv.gemm.m == T);
  CHECK(qkv.gemm.n == 3 * 6144 / 8);
  CHECK(qkv.gemm.k == 6144);
  CHECK(qkv.flops == 2.0 * T * (3 * 6144 / 8) * 6144);
  CHECK(qkv.bytes == 2.0 * (T * 6144.0 + 6144.0 * 2304 + T * 2304.0));
  const Op& dgrad = find(ops, "mlp_down.dgrad");  // dx = dy W^T: [T, h] x [h, 4h/t]
  CHECK(dgrad.pass == Pass::BackwardInput);
  CHECK((dgrad.gemm.m == T && dgrad.gemm.n == 3072 && dgrad.gemm.k == 6144));
  const Op& wgrad = find(ops, "mlp_down.wgrad");  // dW = x^T dy: [4h/t, T] x [T, h]
  CHECK(wgrad.pass == Pass::BackwardWeight);
  CHECK((wgrad.gemm.m == 3072 && wgrad.gemm.n == 6144 && wgrad.gemm.k == T));
  // Weight-gradient bytes include the bias-gradient reduction of dy (2 T h).
  CHECK(wgrad.bytes == 2.0 * (3072.0 * T + T * 6144.0 + 3072.0 * 6144) + 2.0 * T * 6144);
}

TEST_CASE("Layer GEMM FLOPs sum to 24 b s h^2 / t and attention to half of 4 b s^2 h / t") {
  const ModelSpec m = *find_model_preset("gpt-39.1b");
  const double b = 2, s = 2048, h = 8192, t = 4;
  const auto ops = layer_ops(m, {2, 4, true});
  double gemm_fwd = 0, attn_fwd = 0;
  for (const auto& op : ops) {
    if (op.pass != Pass::Forward) continue;
    if (op.kind == OpKind::Gemm) gemm_fwd += op.flops;
    if (op.kind == OpKind::Attention) attn_fwd += op.flops;
  }
  CHECK(gemm_fwd == Approx(24 * b * s * h * h / t).epsilon(1e-12));
  CHECK(attn_fwd == Approx(0.5 * 4 * b * s * s * h / t).epsilon(1e-12));
  // Backward: each GEMM twice (dgrad, wgrad); attention 2.5 x forward.
  CHECK(total_flops(ops, Pass::BackwardWeight) == Approx(gemm_fwd).epsilon(1e-12));
  CHECK(total_flops(ops, Pass::BackwardInput) == Approx(gemm_fwd + 2.5 * attn_fwd).epsilon(1e-12));
}

TEST_CASE("Sequence parallelism divides the elementwise traffic by tp") {
  const ModelSpec m = *find_model_preset("gpt-22b");
  const auto plain = layer_ops(m, {1, 8, false});
  const auto sp = layer_ops(m, {1, 8, true});
  const double sbh = 2048.0 * 6144;
  CHECK(find(plain, "input_norm").bytes == 4 * sbh);
  CHECK(find(sp, "input_norm").bytes == 4 * sbh / 8);
  CHECK(find(plain, "attn_dropout_residual").bytes == 11 * sbh);
  CHECK(find(sp, "mlp_dropout_residual").bytes == 11 * sbh / 8);
  CHECK(find(sp, "gelu").bytes == find(plain, "gelu").bytes);  // GELU is on the tp-split width
  CHECK(find(sp, "qkv").flops == find(plain, "qkv").flops);
}

TEST_CASE("Llama layer: GQA QKV width, fused gate+up GEMM, SwiGLU traffic") {
  const ModelSpec m = *find_model_preset("llama3-70b");  // h 8192, 64 heads, 8 KV, f 28672
  const auto ops = layer_ops(m, {1, 4, false});
  const double T = 8192;
  CHECK(find(ops, "qkv").gemm.n == (8192 + 2 * 1024) / 4);
  CHECK(find(ops, "mlp_up").gemm.n == 2 * 28672 / 4);
  CHECK(find(ops, "mlp_down").gemm.k == 28672 / 4);
  CHECK(find(ops, "swiglu").bytes == 6 * T * 28672 / 4);
  CHECK(find(ops, "attn_residual").bytes == 6 * T * 8192);
  // More tp ranks than KV heads: each rank keeps one KV head.
  const auto wide = layer_ops(m, {1, 16, false});
  CHECK(find(wide, "qkv").gemm.n == 8192 / 16 + 2 * 128);
}

TEST_CASE("tp must divide heads") {
  const ModelSpec m = *find_model_preset("gpt-1.7b");  // 24 heads
  CHECK_THROWS_AS(layer_ops(m, {1, 16, false}), InputError);
  CHECK_NOTHROW(layer_ops(m, {1, 8, false}));
}

TEST_CASE("LM head: logits GEMM over V/t and cross-entropy traffic") {
  const ModelSpec m = *find_model_preset("gpt-22b");
  const auto ops = lm_head_ops(m, {2, 8, false});
  const double T = 4096, v = 51200 / 8;
  const Op& logits = find(ops, "logits");
  CHECK((logits.gemm.m == 4096 && logits.gemm.n == 6400 && logits.gemm.k == 6144));
  CHECK(find(ops, "cross_entropy").bytes == 6 * T * v);
  CHECK(total_flops(ops, Pass::BackwardInput) == 2 * T * v * 6144);
  CHECK(total_flops(ops, Pass::BackwardWeight) == 2 * T * v * 6144);
  const auto emb = embedding_ops(m, {2, 8, false});
  CHECK(emb.size() == 2);
  CHECK(emb[0].bytes == 2 * T * 6144 * 5);
}

TEST_CASE("Megatron FLOPs per iteration equals the SC21 closed form") {
  for (const char* name : {"gpt-1.7b", "gpt-145.6b", "gpt-1t"}) {
    const ModelSpec m = *find_model_preset(name);
    const double B = 1536, s = m.seq_len, l = m.layers, h = m.hidden, V = m.vocab;
    const double with = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    const double without = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
    CHECK(megatron_flops_per_iteration(m, 1536, true) == Approx(with).epsilon(1e-12));
    CHECK(megatron_flops_per_iteration(m, 1536, false) == Approx(without).epsilon(1e-12));
  }
  // Hand number: 1.7B row, B = 512: 96*512*2048*24*2304^2*(1 + 2048/13824 + 51200/884736).
  const double hand = 96.0 * 512 * 2048 * 24 * 2304.0 * 2304 * (1 + 2048.0 / 13824 + 51200.0 / 884736);
  CHECK(megatron_flops_per_iteration(*find_model_preset("gpt-1.7b"), 512, true) == Approx(hand));
  CHECK(hand == Approx(1.5467e16).epsilon(1e-3));  // 3.53 s per iteration at 137 TFLOP/s x 32
}
