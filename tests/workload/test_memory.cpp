#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "platform/gpu_catalog.hpp"
#include "workload/memory.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

TEST_CASE("Korthikanti activation formulas by hand (22B: s 2048, h 6144, a 64, b 4, t 8)") {
  const ModelSpec m = *find_model_preset("gpt-22b");
  const double s = 2048, b = 4, h = 6144, a = 64, t = 8, sbh = s * b * h;
  // No parallelism: sbh (34 + 5as/h) = 50331648 * (34 + 106.67).
  CHECK(activation_bytes_per_layer(m, 4, 1, false, Recompute::None) == Approx(sbh * (34 + 5 * a * s / h)));
  CHECK(activation_bytes_per_layer(m, 4, 1, false, Recompute::None) == Approx(7.08e9).epsilon(1e-3));
  // Tensor parallel: sbh (10 + 24/t + 5as/(ht)).
  CHECK(activation_bytes_per_layer(m, 4, 8, false, Recompute::None) ==
        Approx(sbh * (10 + 24 / t + 5 * a * s / (h * t))));
  // Tensor + sequence parallel: sbh/t (34 + 5as/h).
  CHECK(activation_bytes_per_layer(m, 4, 8, true, Recompute::None) == Approx(sbh / t * (34 + 5 * a * s / h)));
  // Selective recomputation drops the 5as/h term: 34 sbh / t.
  CHECK(activation_bytes_per_layer(m, 4, 8, true, Recompute::Selective) == Approx(34 * sbh / t));
  CHECK(activation_bytes_per_layer(m, 4, 8, false, Recompute::Selective) == Approx(sbh * (10 + 24 / t)));
  // Full recomputation keeps the layer input: 2 sbh (its t-th with sequence parallelism).
  CHECK(activation_bytes_per_layer(m, 4, 8, false, Recompute::Full) == Approx(2 * sbh));
  CHECK(activation_bytes_per_layer(m, 4, 8, true, Recompute::Full) == Approx(2 * sbh / t));
}

TEST_CASE("Llama activation derivation by hand (8B, s 8192, b 1)") {
  const ModelSpec m = *find_model_preset("llama3-8b");
  const double s = 8192, h = 4096, k = 1024, f = 14336, a = 32, sb = s;
  const double split = 2 * sb * (h + 2 * k) + 2 * sb * h + 4 * sb * a + 6 * sb * f;
  CHECK(activation_bytes_per_layer(m, 1, 1, false, Recompute::None) == Approx(8 * sb * h + split));
  CHECK(activation_bytes_per_layer(m, 1, 4, false, Recompute::None) == Approx(8 * sb * h + split / 4));
  CHECK(activation_bytes_per_layer(m, 1, 4, true, Recompute::None) == Approx((8 * sb * h + split) / 4));
  const double sel = 2 * sb * (h + 2 * k) + 6 * sb * f;
  CHECK(activation_bytes_per_layer(m, 1, 4, true, Recompute::Selective) == Approx((8 * sb * h + sel) / 4));
}

TEST_CASE("Weights, gradients, optimizer states and ZeRO sharding by hand") {
  MemoryInput in;
  in.model = *find_model_preset("gpt-22b");
  in.tp = 8, in.pp = 1, in.dp = 4;
  in.micro_batch = 1;
  in.layers_on_stage = 48;
  in.has_embedding = in.has_lm_head = true;
  const double h = 6144;
  const double params = 48 * (12 * h * h + 13 * h) / 8 + (51200 * h + 2048 * h) / 8 + 2 * h;
  MemoryEstimate e = estimate_memory(in);
  CHECK(e.parameters == Approx(params));
  CHECK(e.weights == Approx(2 * params));
  CHECK(e.gradients == Approx(2 * params));
  CHECK(e.optimizer == Approx(12 * params));
  in.zero_stage = 1;
  e = estimate_memory(in);
  CHECK(e.optimizer == Approx(12 * params / 4));
  CHECK(e.gradients == Approx(2 * params));
  in.zero_stage = 2;
  CHECK(estimate_memory(in).gradients == Approx(2 * params / 4));
  in.zero_stage = 3;
  e = estimate_memory(in);
  CHECK(e.weights == Approx(2 * params / 4));
  CHECK(e.weights + e.gradients + e.optimizer == Approx(16 * params / 4));
  in.zero_stage = 4;
  CHECK_THROWS_AS(estimate_memory(in), InputError);
}

TEST_CASE("Activations of the in-flight micro-batches, first and last stage extras") {
  MemoryInput in;
  in.model = *find_model_preset("gpt-530b");  // s 2048, h 20480, a 128, V 51200
  in.tp = 8, in.pp = 35, in.dp = 1;
  in.micro_batch = 1;
  in.layers_on_stage = 3;
  in.seq_parallel = true;
  in.recompute = Recompute::Selective;
  in.micro_batches_in_flight = 35;
  const double s = 2048, h = 20480, t = 8, sbh = s * h;
  MemoryEstimate middle = estimate_memory(in);
  CHECK(middle.activations == Approx(35 * 3 * 34 * sbh / t));
  in.has_embedding = true;  // embedding dropout mask sbh/t per micro-batch
  CHECK(estimate_memory(in).activations == Approx(35 * (3 * 34 * sbh / t + sbh / t)));
  in.has_embedding = false;
  in.has_lm_head = true;  // final-norm + logits inputs 4 sbh/t, fp32 logits 4 s V / t
  CHECK(estimate_memory(in).activations == Approx(35 * (3 * 34 * sbh / t + 4 * sbh / t + 4 * s * 51200 / t)));
  // Pipeline send+receive buffers and the sequence-parallel all-gather buffer.
  CHECK(middle.comm_buffers == Approx(2 * 2 * sbh / t + 2 * sbh));
  CHECK(middle.overhead == Approx(kFrameworkFixedBytes + kFragmentationFraction * middle.activations));
  CHECK(middle.total() == Approx(middle.weights + middle.gradients + middle.optimizer + middle.activations +
                                 middle.comm_buffers + middle.overhead));
}

TEST_CASE("fits() separates a feasible from an infeasible configuration") {
  const GpuModel a100 = *find_gpu_model("A100-80GB");
  MemoryInput in;
  in.model = *find_model_preset("gpt-22b");
  in.tp = 8, in.pp = 1, in.dp = 1;
  in.micro_batch = 4;
  in.layers_on_stage = 48;
  in.has_embedding = in.has_lm_head = true;
  in.seq_parallel = true;
  in.recompute = Recompute::Selective;
  // Korthikanti ran this (TP 8, micro-batch 4, SP + selective) on 80 GB A100s.
  CHECK(estimate_memory(in).fits(a100));
  in.tp = 1;  // 22B unsharded: 16 B/param alone is 350 GB
  in.seq_parallel = false;
  CHECK_FALSE(estimate_memory(in).fits(a100));
}
