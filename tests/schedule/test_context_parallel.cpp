// Context parallelism (issue 12): FLOPs, bytes, memory and the rank layout by hand, and the
// programs' ring and all-gather traffic against hand-computed iteration times on the reference
// executor.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/error.hpp"
#include "parallel/layout.hpp"
#include "parallel/plan.hpp"
#include "program/executor.hpp"
#include "support/platforms.hpp"
#include "support/programs.hpp"
#include "training/costs.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"
#include "workload/ops.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using schedule::ScheduleKind;

namespace {

// Llama-shaped: h 1024, 16 heads of 64, 4 KV heads, SwiGLU 4096, s 8192.
workload::ModelSpec long_model() {
  return {"long", workload::Family::Llama, 4, 1024, 16, 4, 4096, 8192, 128, false};
}

TrainingSpec cp_job(int cp, CpComm comm = CpComm::Ring) {
  TrainingSpec s;
  s.model = long_model();
  s.plan.cp = cp;
  s.plan.cp_comm = comm;
  s.plan.micro_batch = 1;
  s.plan.global_batch = 2;
  s.plan.schedule = ScheduleKind::OneFOneB;
  return s;
}

double op_flops(const std::vector<workload::Op>& ops, std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return op.flops;
  FAIL("no op " << name);
  return 0;
}

double op_bytes(const std::vector<workload::Op>& ops, std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return op.bytes;
  FAIL("no op " << name);
  return 0;
}

}  // namespace

TEST_CASE("context parallelism: attention FLOPs and bytes by hand", "[context-parallel]") {
  const auto m = long_model();
  const auto one = workload::layer_ops(m, {1, 1, false, true, false, 1});
  const auto four = workload::layer_ops(m, {1, 1, false, true, false, 4});
  // Causal flash attention, whole sequence: 0.5 x 4 b s^2 (a d) = 2 x 8192^2 x 1024
  // = 137,438,953,472; each of 4 load-balanced ranks (chunks i and 7-i of 8) runs a quarter.
  CHECK(op_flops(one, "attention") == 137438953472.0);
  CHECK(op_flops(four, "attention") == 34359738368.0);
  CHECK(op_flops(four, "attention.bwd") == 2.5 * 34359738368.0);
  // GEMMs see the rank's s/cp = 2048 tokens: qkv 2 x 2048 x (1024 + 2 x 256) x 1024.
  CHECK(op_flops(four, "qkv") == 2.0 * 2048 * 1536 * 1024);
  CHECK(op_flops(four, "qkv") == op_flops(one, "qkv") / 4);
  // Attention traffic: Q and O of 2048 tokens, K and V of the whole 8192 (bf16):
  // 2 x (2048 x 1024 + 8192 x 2 x 256) + 2 x 2048 x 1024 = 16,777,216 bytes.
  CHECK(op_bytes(four, "attention") == 16777216.0);
  // One KV block: K and V of 2048 tokens, 4 KV heads of 64, bf16 = 2 x 2 x 2048 x 256.
  auto s = cp_job(4);
  CHECK(kv_block_bytes(s.model, s.plan) == 2097152.0);
  s.plan.tp = 2;  // tp splits the KV heads: 2 per rank
  CHECK(kv_block_bytes(s.model, s.plan) == 1048576.0);
  // Pipeline and TP messages carry the rank's tokens only.
  CHECK(pipeline_message_bytes(s.model, s.plan) == 2.0 * 8192 * 1024 / 4 / 2);  // scatter/gather over tp 2
  CHECK(tp_message_bytes(s.model, s.plan) == 2.0 * 8192 * 1024 / 4);
}

TEST_CASE("context parallelism with MLA exchanges the per-head K and V, not the latent", "[context-parallel][mla]") {
  // DeepSeek-V3's attention: 128 heads, keys of 128 + 64 rotary dims per head, values of 128;
  // latent 512 + 64 rotary. Megatron-Core's MLA up-projects the latent before TransformerEngine's
  // attention, whose context parallelism moves per-head K and V.
  TrainingSpec s;
  s.model = *workload::find_model_preset("deepseek-v3");  // seq_len 4096
  s.plan.cp = 4;
  s.plan.micro_batch = 1;
  // One block: 4096 / 4 = 1024 tokens x 128 heads x (128 + 64 + 128) x 2 B = 83,886,080 B (the
  // latent, 1024 x (512 + 64) x 2 = 1,179,648 B, is 71 x smaller; the generic GQA rule gave
  // 2 x 2 x 1024 x 128 heads x 56 = 29,360,128 B from hidden / heads).
  CHECK(kv_block_bytes(s.model, s.plan) == 83886080.0);
  s.plan.tp = 8;  // tp splits the heads: 16 per rank
  CHECK(kv_block_bytes(s.model, s.plan) == 83886080.0 / 8);
  // The attention kernel reads the same K and V, of all 4096 tokens: Q (1024 x 16 x 192) and O
  // (1024 x 16 x 128) of the rank's tokens, K and V 4096 x 16 x 320, bf16, forward.
  const auto ops = workload::attention_ops(s.model, {1, 8, true, true, false, 4});
  CHECK(op_bytes(ops, "attention") == 2.0 * (1024 * 16 * 192 + 4096 * 16 * 320) + 2.0 * 1024 * 16 * 128);
  CHECK(op_bytes(ops, "attention") - 2.0 * 1024 * 16 * (192 + 128) == 4 * kv_block_bytes(s.model, s.plan));
}

TEST_CASE("context parallelism: activations divided by cp, optimizer sharded over dp x cp", "[context-parallel]") {
  auto one = cp_job(1), two = cp_job(2);
  one.plan.zero_stage = two.plan.zero_stage = 1;
  one.plan.dp = 2;  // the same gradient-reduction group size (2) as cp 2
  const auto a = estimate_stage_memory(one)[0], b = estimate_stage_memory(two)[0];
  CHECK(b.activations == Approx(a.activations / 2).epsilon(1e-12));
  CHECK(b.optimizer == Approx(a.optimizer).epsilon(1e-12));
  CHECK(b.weights == Approx(a.weights).epsilon(1e-12));
}

TEST_CASE("context parallelism: Megatron-Core rank order tp-cp-dp-pp and its groups", "[context-parallel]") {
  ParallelPlan p;
  p.tp = 2, p.cp = 2, p.dp = 2, p.pp = 2;
  const RankLayout l(p);
  CHECK(l.gpus() == 16);
  // rank = tp + 2 (cp + 2 (dp + 2 stage))
  CHECK(l.rank({1, 1, 1, 1}) == 15);
  CHECK(l.rank({0, 1, 0, 1}) == 6);
  const RankCoord c = l.coord(6);
  CHECK((c.stage == 0 && c.dp == 1 && c.tp == 0 && c.cp == 1));
  CHECK(l.cp_group(0, 0, 1) == std::vector<int>{1, 3});
  CHECK(l.tp_group(1, 0, 1) == std::vector<int>{10, 11});
  CHECK(l.dp_cp_group(0, 0) == std::vector<int>{0, 2, 4, 6});
  CHECK(l.pp_group(1, 1, 1) == std::vector<int>{7, 15});
}

TEST_CASE("context parallelism: bad plans are refused naming parallelism.cp", "[context-parallel]") {
  auto s = cp_job(3);  // 8192 tokens do not split into 6 chunks
  auto key = [&] {
    try {
      validate_plan(s.plan, s.model, 64);
    } catch (const InputError& e) {
      return e.key() + ": " + e.message();
    }
    return std::string();
  };
  CHECK_THAT(key(), Catch::StartsWith("parallelism.cp: cp = 3 needs the sequence length (8192) to divide into 2 x cp = 6"));
  s.plan.cp = 4;
  s.plan.flash_attention = false;
  CHECK_THAT(key(), Catch::StartsWith("parallelism.cp: context parallelism runs fused (flash) attention"));
  s.plan.flash_attention = true;
  s.plan.cp = 128;
  CHECK_THAT(key(), Catch::StartsWith("parallelism: tp x cp x pp x dp = 128 GPUs but the platform has 64"));
}

namespace {

struct Played {
  double iteration = 0;
  double fwd_rest = 0, bwd_rest = 0, attn_fwd = 0, attn_bwd = 0, optimizer = 0, layers = 0;
  double exposed_cp = 0;
  bool context_parallel = false;
};

// The job played on the reference executor with messages taking `transfer` seconds and every
// collective `collective` seconds per count.
Played play(const TrainingSpec& spec, double transfer, double collective) {
  const auto platform = testing::uniform_cluster(1, 8, 1e15, 1e15, 0);
  const auto set = training_programs(spec, platform, 0);
  TrainingMeter meter(set);
  program::execute(set, testing::FixedCosts(transfer, collective), &meter);
  workload::ComputeModel cm(platform.clusters[0].gpu);
  const auto costs = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0});
  const auto& c = costs[0].chunks[0];
  Played p;
  const auto result = meter.result(1e15);
  p.iteration = result.iteration_time;
  p.exposed_cp = result.exposed_cp, p.context_parallel = result.context_parallel;
  p.attn_fwd = c.attention_fwd, p.attn_bwd = c.attention_bwd;
  p.fwd_rest = c.fwd_compute - c.attention_fwd;
  p.bwd_rest = c.bwd_input_compute + c.bwd_weight - c.attention_bwd;
  p.optimizer = cm.optimizer_step(costs[0].params());
  p.layers = c.layers;
  return p;
}

}  // namespace

TEST_CASE("ring attention overlaps the KV transfers with the attention kernels", "[context-parallel]") {
  // pp 1, cp 2, two micro-batches: each forward is rest + max(attention, transfer), each
  // backward the same with its own attention (the ring's send and receive take `transfer`
  // each way at once). Gradients are reduced over cp (collectives free here).
  const auto spec = cp_job(2);
  const auto fast = play(spec, 0, 0);
  REQUIRE(fast.attn_fwd > 0);
  CHECK(fast.iteration == Approx(2 * (fast.fwd_rest + fast.attn_fwd + fast.bwd_rest + fast.attn_bwd) + fast.optimizer)
                              .epsilon(1e-9));
  // A transfer between the forward and the backward attention: hidden forward, exposed forward
  // no more than its excess... here it exceeds the forward kernel but not the backward one.
  const double x = 0.5 * (fast.attn_fwd + fast.attn_bwd);
  REQUIRE(x > fast.attn_fwd);
  REQUIRE(x < fast.attn_bwd);
  const auto mid = play(spec, x, 0);
  CHECK(mid.iteration == Approx(2 * (fast.fwd_rest + x + fast.bwd_rest + fast.attn_bwd) + fast.optimizer).epsilon(1e-9));
}

TEST_CASE("all-gather context parallelism: KV gathered per layer forward and backward, dKV reduce-scattered", "[context-parallel]") {
  // With free messages, the all-gather variant costs 3 collectives per layer per micro-batch
  // more than the ring (forward all-gather; backward all-gather and reduce-scatter).
  const double y = 1e-3;
  const auto ring = play(cp_job(2, CpComm::Ring), 0, y);
  const auto gather = play(cp_job(2, CpComm::AllGather), 0, y);
  CHECK(gather.iteration - ring.iteration == Approx(2 * 3 * ring.layers * y).epsilon(1e-9));
}

TEST_CASE("full recomputation repeats the ring's forward round inside each backward", "[context-parallel][recompute]") {
  // Each backward re-runs the forward (its attention and the KV round it needs: a transfer
  // overlapping the recomputed attention) before the backward attention with its KV + dKV
  // round. With a transfer x between the two kernels' times, per micro-batch:
  //   forward  fwd_rest + max(attn_fwd, x)
  //   backward (bwd_rest - attn_fwd) + max(attn_fwd, x) + max(attn_bwd, x)
  // (bwd_rest includes the recomputed forward's kernels).
  auto spec = cp_job(2);
  spec.plan.recompute = workload::Recompute::Full;
  const auto fast = play(spec, 0, 0);
  const double x = 0.5 * (fast.attn_fwd + fast.attn_bwd);
  REQUIRE(x > fast.attn_fwd);
  REQUIRE(x < fast.attn_bwd);
  const auto mid = play(spec, x, 0);
  CHECK(mid.iteration == Approx(2 * (fast.fwd_rest + x + (fast.bwd_rest - fast.attn_fwd) + x + fast.attn_bwd) +
                                fast.optimizer)
                             .epsilon(1e-9));
  // All-gather variant: one more KV all-gather per layer in each backward (4 collectives per
  // layer per micro-batch instead of 3).
  const double y = 1e-3;
  auto ring = cp_job(2, CpComm::Ring), gather = cp_job(2, CpComm::AllGather);
  ring.plan.recompute = gather.plan.recompute = workload::Recompute::Full;
  CHECK(play(gather, 0, y).iteration - play(ring, 0, y).iteration == Approx(2 * 4 * fast.layers * y).epsilon(1e-9));
}

TEST_CASE("exposed CP communication: the ring's excess over the attention, the all-gathers whole", "[context-parallel]") {
  const auto spec = cp_job(2);
  const auto fast = play(spec, 0, 0);
  CHECK(fast.context_parallel);
  CHECK(fast.exposed_cp == 0);
  // Transfer x longer than the forward attention, shorter than the backward one: each of the
  // two forwards waits x - attn_fwd for its KV round, the backwards hide theirs.
  const double x = 0.5 * (fast.attn_fwd + fast.attn_bwd);
  CHECK(play(spec, x, 0).exposed_cp == Approx(2 * (x - fast.attn_fwd)).epsilon(1e-9));
  // All-gather: 3 collectives per layer per micro-batch on the compute stream, all exposed.
  const double y = 1e-3;
  CHECK(play(cp_job(2, CpComm::AllGather), 0, y).exposed_cp == Approx(2 * 3 * fast.layers * y).epsilon(1e-9));
  // Without context parallelism there is no such metric.
  CHECK_FALSE(play(cp_job(1), 0, 0).context_parallel);
}

TEST_CASE("context parallelism with ZeRO-3 units: each unit's attention brings its own KV round", "[context-parallel][zero3]") {
  // cp 2, dp 1, ZeRO-3 with one layer per unit (4 units of a layer): each unit's forward runs
  // its layer's attention beside that layer's ring round, so a transfer x (per round) longer
  // than one layer's attention is exposed per layer: forward 4 (x - attn_fwd/4) per
  // micro-batch, backward 4 (x - attn_bwd/4) when x exceeds that too.
  auto spec = cp_job(2);
  spec.plan.zero_stage = 3;
  spec.plan.fsdp.unit_layers = 1;
  const auto fast = play(spec, 0, 0);
  REQUIRE(fast.layers == 4);
  // Free communication: the same time as the distributed optimizer without units (both shard
  // the optimizer step over dp x cp = 2).
  auto zero1 = cp_job(2);
  zero1.plan.zero_stage = 1;
  CHECK(fast.iteration == Approx(play(zero1, 0, 0).iteration).epsilon(1e-9));
  const double x = fast.attn_bwd;  // longer than one layer's forward and backward attention
  REQUIRE(x > fast.attn_fwd / 4);
  const auto slow = play(spec, x, 0);
  CHECK(slow.exposed_cp == Approx(2 * ((4 * x - fast.attn_fwd) + (4 * x - fast.attn_bwd))).epsilon(1e-9));
  // HSDP shard groups with cp stay refused.
  auto hsdp = cp_job(2);
  hsdp.plan.zero_stage = 3, hsdp.plan.dp = 2, hsdp.plan.global_batch = 4, hsdp.plan.fsdp.shard_group = 1;
  CHECK_THROWS_WITH(validate_plan(hsdp.plan, hsdp.model, 64), Catch::Contains("HSDP shard groups"));
}
