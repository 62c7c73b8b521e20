// Memory of MoE models on one GPU by hand (docs/memory.md, "Mixture of experts").
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "workload/memory.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {
MemoryInput mixtral_stage0() {
  // Mixtral 8x7B, tp 1, pp 4 (8 layers per stage), dp 16, ep 8: expert data parallelism 2.
  MemoryInput in;
  in.model = *find_model_preset("mixtral-8x7b");
  in.tp = 1, in.pp = 4, in.dp = 16, in.ep = 8, in.expert_tp = 1;
  in.micro_batch = 1;
  in.layers_on_stage = 8;
  in.layer_indices = {0, 1, 2, 3, 4, 5, 6, 7};
  in.has_embedding = true;
  in.zero_stage = 1;
  in.micro_batches_in_flight = 4;
  return in;
}
}  // namespace

TEST_CASE("Mixtral 8x7B first stage by hand: dense states over dp, expert states over expert-DP") {
  const MemoryInput in = mixtral_stage0();
  const MemoryEstimate e = estimate_memory(in);
  const double dense_layer = 41947136.0 + 4096 * 8 + 4096;  // attention + RMSNorm, router, FFN norm
  const double expert_layer = 8.0 / 8 * 3 * 4096 * 14336;   // one expert per GPU
  const double dense = 8 * dense_layer + 32000.0 * 4096, expert = 8 * expert_layer;
  CHECK(e.parameters == dense + expert);
  CHECK(e.expert_parameters == expert);
  CHECK(e.weights == Approx(2 * (dense + expert)).epsilon(1e-12));
  CHECK(e.gradients == Approx(2 * (dense + expert)).epsilon(1e-12));
  CHECK(e.optimizer == Approx(12 * dense / 16 + 12 * expert / 2).epsilon(1e-12));
  // Activations per layer and micro-batch (T = 4096 tokens, h 4096, q 4096, kv 1024, 32 heads,
  // E 8, k 2, f 14336; R = N = 8192 rows).
  const double T = 4096, h = 4096, R = 8192, N = 8192, f = 14336;
  const double attention = 4 * T * h + 2 * T * (4096 + 2 * 1024) + 2 * T * 4096 + 4 * T * 32;
  const double route = 2 * T * h + 2 * T * h + 4 * T * 8 + 12 * T * 2;
  const double experts = 2 * N * h + 4 * N * f + 2 * N * f;
  const double unroute = 2 * R * h + 4 * R;
  const double layer = attention + route + experts + unroute;
  CHECK(e.activations == Approx(4 * 8 * layer).epsilon(1e-12));
  // Dispatch and combine buffers: (R + N) rows of h, 2 + 2 bytes; pipeline send and receive.
  CHECK(e.comm_buffers == Approx((R + N) * h * 4 + 2 * 2 * T * h).epsilon(1e-12));
  // Half the rows' worth more on the most loaded GPU (expert_load 1.5) grows the expert terms.
  MemoryInput hot = in;
  hot.expert_load = 1.5;
  const MemoryEstimate he = estimate_memory(hot);
  CHECK(he.activations - e.activations == Approx(4 * 8 * 0.5 * (experts)).epsilon(1e-12));
}

TEST_CASE("DeepSeek-V3 first stage by hand: MLA, dense layers, shared expert, FP8 dispatch") {
  MemoryInput in;
  in.model = *find_model_preset("deepseek-v3");
  in.tp = 1, in.pp = 16, in.dp = 128, in.ep = 64, in.expert_tp = 1;  // expert-DP 2
  in.micro_batch = 1;
  in.layers_on_stage = 4;
  in.layer_indices = {0, 1, 2, 3};  // three dense layers, one MoE layer
  in.has_embedding = true;
  in.zero_stage = 1;
  in.dispatch_bytes_per_element = 1;
  in.micro_batches_in_flight = 16;
  const MemoryEstimate e = estimate_memory(in);
  const double h = 7168, attention = 187114496, dense_ffn = 3 * h * 18432 + h;
  const double moe_dense = h * 256 + 3 * h * 2048 + h, expert = 4 * 3 * h * 2048;
  const double dense = 4 * attention + 3 * dense_ffn + moe_dense + 129280 * h;
  CHECK(e.parameters == dense + expert);
  CHECK(e.optimizer == Approx(12 * dense / 128 + 12 * expert / 2).epsilon(1e-12));
  const double T = 4096, a = 128;
  const double mla = 4 * T * h + 2 * T * (2 * 1536 + 2 * 512 + 64) + 2 * T * a * (2 * 192 + 128) + 2 * T * a * 128 +
                     4 * T * a;
  const double ffn = 4 * T * h + 6 * T * 18432;
  const double R = 8 * T, N = 8 * T;
  const double moe = 2 * T * h + 2 * T * h + 4 * T * 256 + 12 * T * 8 + 2 * N * h + 4 * N * 2048 + 2 * N * 2048 +
                     2 * R * h + 4 * R + 4 * T * 2048 + 2 * T * 2048;
  CHECK(e.activations == Approx(16 * (4 * mla + 3 * ffn + moe)).epsilon(1e-12));
  CHECK(e.comm_buffers == Approx((R + N) * h * (1 + 2) + 2 * 2 * T * h).epsilon(1e-12));
  // Every activation kept in 16-bit for 16 micro-batches in flight does not fit an 80 GiB H800
  // (about 6.5 GB per micro-batch); DeepSeek recomputes and caches in FP8 (docs/memory.md).
  // With full recomputation it fits.
  CHECK(e.total() > 80.0 * 1024 * 1024 * 1024);
  in.recompute = Recompute::Full;
  CHECK(estimate_memory(in).total() < 80.0 * 1024 * 1024 * 1024);
}

TEST_CASE("MoE memory under tensor, expert-tensor parallelism, ZeRO-3 and recomputation") {
  MemoryInput in = mixtral_stage0();
  in.tp = 2, in.dp = 8, in.ep = 4, in.expert_tp = 2, in.seq_parallel = true;  // expert-DP 2
  in.zero_stage = 3;
  const MemoryEstimate e = estimate_memory(in);
  const double dense_layer = 41947136.0 / 2 + 4096 * 8 + 4096 / 2.0;  // router replicated
  const double expert_layer = 2 * 3 * 4096 * 14336 / 2.0;            // 2 experts, width / 2
  const double dense = 8 * dense_layer + 32000.0 * 4096 / 2, expert = 8 * expert_layer;
  CHECK(e.parameters == Approx(dense + expert).epsilon(1e-12));
  CHECK(e.weights == Approx(2 * dense / 8 + 2 * expert / 2).epsilon(1e-12));
  // Expert TP gathers the rows of its 2 ranks: N = 2 x (T / 2) x k on each.
  const double Tl = 2048, h = 4096, f = 14336 / 2.0, R = Tl * 2, N = 2 * Tl * 2;
  const double T = 4096;
  const double attention = (4 * T * h + 2 * T * (4096 + 2 * 1024) + 2 * T * 4096 + 4 * T * 32) / 2;
  const double moe = 4 * Tl * h + 4 * Tl * 8 + 12 * Tl * 2 + 2 * N * h + 6 * N * f + 2 * R * h + 4 * R;
  CHECK(e.activations == Approx(4 * 8 * (attention + moe)).epsilon(1e-12));
  in.recompute = Recompute::Full;
  CHECK(estimate_memory(in).activations == Approx(4 * 8 * 2 * Tl * h).epsilon(1e-12));
}

TEST_CASE("MoE memory input errors") {
  MemoryInput in = mixtral_stage0();
  in.layer_indices = {0, 1};
  CHECK_THROWS_AS(estimate_memory(in), InputError);
  in = mixtral_stage0();
  in.ep = 3;
  CHECK_THROWS_AS(estimate_memory(in), InputError);
  in = mixtral_stage0();
  in.tp = 2, in.dp = 8;
  CHECK_THROWS_AS(estimate_memory(in), InputError);  // tp 2 without sequence parallelism
}
