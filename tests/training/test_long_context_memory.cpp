// Memory of the Llama 3 405B long-context run (docs/validation.md, "Llama 3 405B at 131,072
// tokens"), checked by hand, and the LM head's activations counted for the micro-batches of its
// own chunk only.
#include <catch2/catch.hpp>

#include "training/simulator.hpp"
#include "workload/memory.hpp"
#include "workload/presets.hpp"

using namespace trainsim;

TEST_CASE("Llama 3 405B at 131,072 tokens, tp 8, cp 16, sequence parallel: 533,200,896 B per layer and micro-batch",
          "[training][memory]") {
  workload::ModelSpec m = *workload::find_model_preset("llama3-405b");
  m.seq_len = 131072;
  // By hand (docs/memory.md, the Llama derivation of Korthikanti's Sec. 4): per token and layer
  // 8h + 2(h + 2k) + 2h + 4a + 6f = 131,072 + 36,864 + 32,768 + 512 + 319,488 = 520,704 B with
  // h 16,384, k = 8 KV heads x 128 = 1,024, a 128, f 53,248; split over tp 8 (sequence
  // parallelism) and held for the rank's 131,072 / 16 = 8,192 tokens: 65,088 x 8,192 B.
  // (Korthikanti's GPT formula, 34 s b h / t, would give 570,425,344 B: MHA, GeLU MLP of 4h,
  // dropout masks.)
  const double per_layer = workload::activation_bytes_per_layer(m, 1, 8, true, workload::Recompute::None, true) / 16;
  CHECK(per_layer == Approx(533200896.0).epsilon(1e-12));
}

TEST_CASE("interleaved 1F1B holds the LM head's activations of one micro-batch, not of the stage's average",
          "[training][memory]") {
  // Llama-style model, pp 2, 2 chunks, 4 micro-batches, 8 layers (2 per chunk). Megatron's
  // interleaved schedule: stage r runs 2 (p - r - 1) + (v - 1) p warm-up forwards, then one more
  // before its first backward; on the last stage 2 + 1 = 3 (micro-batch, chunk) pairs of 2
  // layers each are alive at the peak: 1.5 micro-batches per layer. Its chunk 1 (the last virtual stage, with the LM head)
  // runs each micro-batch's forward right before its backward: 1 micro-batch of logits.
  TrainingSpec spec;
  spec.model = {"tiny-llama", workload::Family::Llama, 8, 1024, 8, 2, 2816, 2048, 32000, false};
  spec.plan.pp = 2;
  spec.plan.chunks = 2;
  spec.plan.schedule = schedule::ScheduleKind::Interleaved1F1B;
  spec.plan.micro_batch = 1;
  spec.plan.global_batch = 4;
  const auto mem = estimate_stage_memory(spec);
  REQUIRE(mem.size() == 2);
  const double s = 2048, h = 1024, V = 32000;
  const double layer = workload::activation_bytes_per_layer(spec.model, 1, 1, false, workload::Recompute::None, true);
  // Final norm input and logits GEMM input 4 s h, fp32 logits 4 s V (Korthikanti Sec. 4.3).
  const double head = 4 * s * h + 4 * s * V;
  CHECK(mem[1].activations == Approx(4 * layer * 1.5 + head * 1).epsilon(1e-12));
  // Before the fix the head counted for 1.5 micro-batches, like the layers.
  CHECK(mem[1].activations < 4 * layer * 1.5 + head * 1.5);
  // The first stage (no Llama embedding activations): 4 + 1 pairs, (4 + 1) x 2 layers over its
  // 4 layers = 2.5 per layer.
  CHECK(mem[0].activations == Approx(4 * layer * 2.5).epsilon(1e-12));
}
