// DualPipe in training jobs (docs/schedules.md, "DualPipe in training jobs"; docs/moe.md,
// "DualPipe"): two weight copies per rank, the pair x DP gradient groups, and the F&B pairs'
// all-to-alls beside the other micro-batch's compute, against hand computations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "engine/isolated.hpp"
#include "engine/player.hpp"
#include "engine/simulation.hpp"
#include "collective/network_costs.hpp"
#include "network/network.hpp"
#include "parallel/layout.hpp"
#include "program/executor.hpp"
#include "program/validate.hpp"
#include "schedule/executor.hpp"
#include "support/platforms.hpp"
#include "support/play_both.hpp"
#include "training/costs.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"
#include "workload/compute_model.hpp"
#include "workload/memory.hpp"
#include "workload/moe_memory.hpp"

using namespace trainsim;
using program::Collective;
using program::OpKind;
using schedule::ScheduleKind;

namespace {

// A small GPT of 8 layers: 2 per stage at pp 4.
TrainingSpec dense(int pp, int dp, int m, ScheduleKind kind) {
  TrainingSpec s;
  s.model = {"tiny", workload::Family::Gpt, 8, 1024, 16, 16, 4096, 1024, 1024, false};
  s.plan.pp = pp, s.plan.dp = dp;
  s.plan.micro_batch = 1, s.plan.global_batch = m * dp;
  s.plan.schedule = kind;
  s.plan.chunks = kind == ScheduleKind::DualPipe ? 2 : 1;
  return s;
}

// A small Llama-style MoE, 2 layers per stage (layer 0 dense), 4 experts each taking every token
// (top-4 of 4: every EP rank computes the same rows, so no member waits for another).
TrainingSpec moe(int pp, int dp, int ep, int m) {
  TrainingSpec s;
  auto& x = s.model;
  x.name = "tiny-moe", x.family = workload::Family::Llama;
  x.layers = 2 * pp, x.hidden = 256, x.heads = 4, x.kv_heads = 4, x.ffn_hidden = 512, x.seq_len = 128, x.vocab = 1024;
  x.tied_embeddings = false;
  x.moe.experts = 4, x.moe.top_k = 4, x.moe.expert_ffn_hidden = 128, x.moe.dense_layers = 1;
  s.plan.pp = pp, s.plan.dp = dp, s.plan.experts.ep = ep;
  s.plan.micro_batch = 1, s.plan.global_batch = m * dp;
  s.plan.schedule = ScheduleKind::DualPipe, s.plan.chunks = 2;
  return s;
}

const PlatformSpec kPlatform = testing::uniform_cluster(2, 4, 100e9, 25e9, 1e-6);

// Every all-to-all takes `a2a` seconds, every other transfer or collective none.
class AllToAllCosts final : public program::CostModel {
 public:
  explicit AllToAllCosts(double a2a) : a2a_(a2a) {}
  double transfer(int, int, double) const override { return 0; }
  double collective(int, int, const Collective& c, const double*) const override {
    return c.kind == CollectiveKind::AllToAll ? a2a_ : 0;
  }

 private:
  double a2a_;
};

}  // namespace

TEST_CASE("dualpipe: with nearly free links a training iteration is the schedule executor's makespan plus the step",
          "[training][dualpipe]") {
  const auto spec = dense(4, 1, 8, ScheduleKind::DualPipe);
  const PlatformSpec platform = testing::uniform_cluster(4, 1, 1e15, 1e15, 0);
  const auto set = training_programs(spec, platform, 0);
  program::validate(set, platform.total_gpus());
  workload::ComputeModel cm(platform.clusters[0].gpu);
  const auto costs = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0});
  // Rank r holds stage r as chunk 0 and stage 3-r as chunk 1: the same costs.
  for (int r = 0; r < 4; ++r) {
    CHECK(costs[r].chunks[0].first_layer == 2 * r);
    CHECK(costs[r].chunks[1].first_layer == 2 * (3 - r));
    CHECK(costs[r].chunks[1].fwd_compute == costs[3 - r].chunks[0].fwd_compute);
    CHECK(costs[r].chunks[1].params == costs[3 - r].chunks[0].params);
  }
  CHECK(costs[0].chunks[0].embedding);
  CHECK(costs[0].chunks[1].lm_head);
  CHECK(costs[3].chunks[0].lm_head);
  CHECK(costs[3].chunks[1].embedding);
  schedule::ExecutorParams ep;
  ep.chunks = 2, ep.layout = schedule::ChunkLayout::Bidirectional;
  for (int s = 0; s < 4; ++s) {
    const auto& c = costs[s].chunks[0];
    ep.durations.push_back({c.fwd, c.bwd(), c.bwd_input, c.bwd_weight, 0});
  }
  // Without experts there is no all-to-all to hide: the programs run an F&B pair's two ops back
  // to back (the forward's send is eager, so the pipeline transfer overlaps the backward).
  auto sched = schedule::make_schedule({ScheduleKind::DualPipe, 4, 8, 2});
  for (auto& ops : sched)
    for (auto& op : ops) op.overlapped_with_next = false;
  const auto ref = schedule::execute(sched, ep);
  // The pair's gradient all-reduce (free here) waits for both ranks; then each steps both copies.
  double expect = 0;
  for (int s = 0; s < 4; ++s)
    expect = std::max(expect, std::max(ref.timeline[s].back().end, ref.timeline[3 - s].back().end) +
                                  cm.optimizer_step(costs[s].params()));
  const auto [played, reference] = testing::played_and_executed(set, 4, 1);
  CHECK(played == Approx(expect).epsilon(1e-8));
  CHECK(reference == Approx(expect).epsilon(1e-8));
}

TEST_CASE("dualpipe: each rank holds two stages' weights, their gradients reduced over both ranks' DP groups",
          "[training][dualpipe]") {
  auto spec = dense(4, 2, 8, ScheduleKind::DualPipe);
  spec.plan.zero_stage = 1;
  const auto set = training_programs(spec, kPlatform, 0);
  program::validate(set, kPlatform.total_gpus());
  const RankLayout layout(spec.plan);
  const int dp = set.slot_index("dp");
  // By hand: a layer has 12 h^2 + 13 h parameters (GPT), the embedding (v + s) h, the head the
  // final norm 2h (untied: + the output layer v h).
  const double h = 1024, v = 1024, s = 1024;
  const double layer = 12 * h * h + 13 * h, embedding = (v + s) * h, head = 2 * h + v * h;
  const double end_rank = 4 * layer + embedding + head, middle_rank = 4 * layer;  // stages {0,3} / {1,2}
  for (int stage = 0; stage < 4; ++stage) {
    const int rank = layout.rank({stage, 0, 0});
    const auto& group = set.groups[set.ranks[rank].groups[dp]];
    // Stages s and 3-s over both ranks' data-parallel replicas: 2 x dp members.
    std::vector<int> expect;
    for (int st : {std::min(stage, 3 - stage), std::max(stage, 3 - stage)})
      for (int d = 0; d < 2; ++d) expect.push_back(layout.gpu({st, d, 0}));
    CHECK(group.gpus == std::vector<int32_t>(expect.begin(), expect.end()));
    // Reduce-scattered in bf16 (ZeRO-1), then the updated bf16 parameters all-gathered.
    double scattered = 0, gathered = 0;
    for (const auto& op : set.programs[set.ranks[rank].program].ops) {
      if (op.kind() != OpKind::Collective || op.slot != dp) continue;
      const auto& c = op.as<Collective>();
      (c.kind == CollectiveKind::ReduceScatter ? scattered : gathered) += c.bytes;
    }
    const double params = stage == 0 || stage == 3 ? end_rank : middle_rank;
    CHECK(scattered == Approx(2 * params).epsilon(1e-12));
    CHECK(gathered == Approx(2 * params).epsilon(1e-12));
    // Memory: both copies' bf16 weights and gradients; the optimizer states sharded over the
    // 2 x dp ranks holding them (so one copy's worth per data-parallel rank: not duplicated).
    const auto mem = estimate_stage_memory(spec)[stage];
    CHECK(mem.weights == Approx(2 * params).epsilon(1e-12));
    CHECK(mem.gradients == Approx(2 * params).epsilon(1e-12));
    CHECK(mem.optimizer == Approx(12 * params / 4).epsilon(1e-12));
  }
}

TEST_CASE("dualpipe: activations of p+1 whole stages in flight, the programs' peak equal to the estimate",
          "[training][dualpipe]") {
  const auto spec = dense(4, 1, 8, ScheduleKind::DualPipe);
  const auto one = dense(4, 1, 8, ScheduleKind::OneFOneB);
  const auto d = estimate_stage_memory(spec), o = estimate_stage_memory(one);
  // Middle ranks (no embedding or head): DualPipe holds p + 1 = 5 micro-batches of a stage's 2
  // layers; 1F1B's stage 1 holds p - 1 = 3.
  CHECK(d[1].activations == Approx(o[1].activations * 5 / 3).epsilon(1e-12));
  const PlatformSpec platform = testing::uniform_cluster(4, 1, 100e9, 25e9, 1e-6);
  const auto r = run_isolated([&] {
    Simulation sim(platform, 0);
    const auto res = simulate_training(sim, spec, 0, nullptr);
    std::ostringstream os;
    os.precision(17);
    for (const auto& m : res.stage_memory) os << m.activations << " " << m.total() << " ";
    return os.str();
  });
  std::istringstream is(r);
  for (int s = 0; s < 4; ++s) {
    double act = 0, total = 0;
    is >> act >> total;
    CHECK(act == Approx(d[s].activations).epsilon(1e-9));
    CHECK(total == Approx(d[s].total()).epsilon(1e-9));
  }
}

TEST_CASE("dualpipe with experts: expert gradients over the pair x expert-DP group, player and executor agree",
          "[training][dualpipe][moe]") {
  auto spec = moe(2, 4, 4, 8);
  spec.plan.zero_stage = 1;
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  const int edp = set.slot_index("edp");
  REQUIRE(edp >= 0);
  // EP 4 = the 4 data-parallel ranks of a stage (expert-DP 1): the pair makes the group of 2.
  const auto& g = set.groups[set.ranks[0].groups[edp]];
  CHECK(g.gpus.size() == 2);
  // Expert parameters per GPU: the MoE layers of stages 0 and 1 (3 of them), 4 experts / ep 4,
  // 3 h f_e each (SwiGLU); reduce-scattered in bf16.
  const double experts = 3 * 3.0 * 256 * 128;
  double scattered = 0;
  for (const auto& op : set.programs[set.ranks[0].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == edp && op.as<Collective>().kind == CollectiveKind::ReduceScatter)
      scattered += op.as<Collective>().bytes;
  CHECK(scattered == Approx(2 * experts).epsilon(1e-12));
  const auto [played, reference] = testing::played_and_executed(set, 2, 4);
  CHECK(played > 0);
  CHECK(played == Approx(reference).epsilon(1e-8));
}

TEST_CASE("dualpipe F&B: each pair's all-to-alls hide under the other micro-batch's compute except the unmatched ones",
          "[training][dualpipe][moe]") {
  const auto spec = moe(2, 4, 4, 8);
  const auto set = training_programs(spec, kPlatform, 3);
  const int es = set.stream_index(program::kEpStream), ep = set.slot_index("ep");
  REQUIRE(es >= 0);
  // The shortest compute op: every compute segment lasts at least that long.
  double shortest = 1e30;
  for (const auto& p : set.programs)
    for (const auto& op : p.ops)
      if (op.kind() == OpKind::Compute && op.as<program::Compute>().seconds > 0)
        shortest = std::min(shortest, op.as<program::Compute>().seconds);
  // All-to-alls shorter than any compute segment: in a pair F&B the compute stream runs
  // f_0 b_0 f_1 b_1 ..., F's all-to-all a_i runs during b_{i-1} and B's a'_i during f_i. With
  // k_F and k_B all-to-alls, F's a_i is exposed when B has no segment i-1 (i >= k_B + 2) and
  // B's a'_i when F has no segment i (i > k_F): max(0, k_F - k_B - 1) + max(0, k_B - k_F) of
  // them. An op outside a pair exposes all of its k. k = 2 per MoE layer of the op's chunk for
  // F, B and BI (dispatch and combine or their transposes), 0 for W.
  const double a2a = shortest / 4;
  const auto sched = schedule::make_schedule({ScheduleKind::DualPipe, 2, 8, 2});
  auto k_of = [&](int stage, const schedule::PipelineOp& op) {
    if (op.type == schedule::OpType::BackwardWeight) return 0;
    // Stage 0 holds layers 0 (dense) and 1; stage 1 layers 2 and 3: rank r's chunk c is stage
    // r (c = 0) or 1 - r (c = 1).
    const int model_stage = op.chunk == 0 ? stage : 1 - stage;
    return 2 * (model_stage == 0 ? 1 : 2);
  };
  double exposed = 0, sequential = 0;
  int pairs = 0;
  for (int stage = 0; stage < 2; ++stage) {
    const auto& ops = sched[stage];
    for (size_t i = 0; i < ops.size(); ++i) {
      const int k = k_of(stage, ops[i]);
      sequential += k;
      if (!ops[i].overlapped_with_next) {
        exposed += k;
        continue;
      }
      const int kb = k_of(stage, ops[i + 1]);
      sequential += kb;
      exposed += std::max(0, k - kb - 1) + std::max(0, kb - k);
      ++pairs, ++i;
    }
  }
  REQUIRE(pairs == 10);  // 5 per rank at p = 2, m = 8
  // Averaged over the 8 ranks (4 per stage): seconds per GPU.
  exposed *= a2a / 2, sequential *= a2a / 2;
  TrainingMeter meter(set);
  program::execute(set, AllToAllCosts(a2a), &meter);
  const auto r = meter.result(80e9);
  CHECK(r.exposed_ep == Approx(exposed).epsilon(1e-9));
  CHECK(r.exposed_ep < 0.6 * sequential);
  // Every all-to-all runs on the ep-comm stream (one stream per slot).
  int on_ep_stream = 0, elsewhere = 0;
  for (const auto& op : set.programs[set.ranks[0].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == ep) ++(op.stream == es ? on_ep_stream : elsewhere);
  // 4 micro-batches each way, F and B (or BI) each: 2 all-to-alls per MoE layer of 1 (chunk 0)
  // and 2 (chunk 1).
  CHECK(on_ep_stream == 4 * 2 * (2 + 4));
  CHECK(elsewhere == 0);
}

TEST_CASE("dualpipe with overlap_grad_reduce and overlap_param_gather: the pair's members move the same stage's "
          "buckets in the same order",
          "[training][dualpipe]") {
  // Rank r runs chunk c as rank pp-1-r runs chunk 1-c (the schedule is its own mirror), and
  // chunk c of rank r holds the stage that chunk 1-c of rank pp-1-r holds: both release a stage's
  // gradient buckets at the same point, and both gather the lower stage's parameters first, so the
  // pair x DP group's members issue the same collectives in the same order (validate checks it)
  // and each bucket starts at its last member's entry.
  for (const bool gather : {false, true})
    for (const bool experts : {false, true}) {
      INFO("overlap_param_gather " << gather << ", experts " << experts);
      auto spec = experts ? moe(2, 4, 4, 8) : dense(4, 2, 8, ScheduleKind::DualPipe);
      spec.plan.zero_stage = 1;
      const auto after = training_programs(spec, kPlatform, 3);
      (gather ? spec.plan.overlap_param_gather : spec.plan.overlap_grad_reduce) = true;
      const auto overlapped = training_programs(spec, kPlatform, 3);
      program::validate(overlapped, kPlatform.total_gpus());
      const CollectiveKind kind = gather ? CollectiveKind::AllGather : CollectiveKind::ReduceScatter;
      // The same bytes moved over the same groups, in buckets during the backward (gradients) or
      // the next forward (parameters).
      auto moved = [&](const program::ProgramSet& set) {
        double bytes = 0;
        for (const auto& rank : set.ranks)
          for (const auto& op : set.programs[rank.program].ops)
            if (op.kind() == OpKind::Collective && op.as<Collective>().kind == kind) bytes += op.as<Collective>().bytes;
        return bytes;
      };
      CHECK(moved(overlapped) == Approx(moved(after)).epsilon(1e-12));
      const auto [played, reference] = testing::played_and_executed(overlapped, 2, 4);
      CHECK(played == Approx(reference).epsilon(1e-8));
      // Collectives of 2 ms each on the reference executor: overlapped they hide under compute,
      // after the backward (or the step) they add to the iteration.
      class DpCosts final : public program::CostModel {
       public:
        DpCosts(const program::ProgramSet& set, CollectiveKind kind) : set_(set), kind_(kind) {}
        double transfer(int, int, double) const override { return 0; }
        double collective(int g, int, const Collective& c, const double*) const override {
          return c.kind == kind_ && set_.groups[g].name.rfind("dp", 0) == 0 ? 2e-3 : 0;
        }

       private:
        const program::ProgramSet& set_;
        CollectiveKind kind_;
      };
      CHECK(program::execute(overlapped, DpCosts(overlapped, kind)) < program::execute(after, DpCosts(after, kind)));
    }
}
