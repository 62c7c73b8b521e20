// Expert-parallel programs (training/moe_programs.hpp, docs/moe.md "Programs") against hand
// computations from the routing they were drawn from.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include <sstream>

#include "collective/network_costs.hpp"
#include "engine/isolated.hpp"
#include "engine/player.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "parallel/expert_layout.hpp"
#include "program/executor.hpp"
#include "program/validate.hpp"
#include "support/platforms.hpp"
#include "support/play_both.hpp"
#include "support/programs.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"
#include "workload/compute_model.hpp"
#include "workload/memory.hpp"
#include "workload/moe_memory.hpp"
#include "workload/moe_ops.hpp"
#include "workload/routing.hpp"

using namespace trainsim;
using program::Collective;
using program::OpKind;
using program::Role;

namespace {

// A small Llama-style MoE: 2 layers (the first dense), 8 experts, top-2, on 2 nodes of 4 GPUs.
TrainingSpec small_moe(int pp, int dp, int ep) {
  TrainingSpec s;
  auto& m = s.model;
  m.name = "tiny-moe", m.family = workload::Family::Llama;
  m.layers = 2 * pp, m.hidden = 256, m.heads = 4, m.kv_heads = 4, m.ffn_hidden = 512, m.seq_len = 128, m.vocab = 1024;
  m.tied_embeddings = false;
  m.moe.experts = 8, m.moe.top_k = 2, m.moe.expert_ffn_hidden = 128, m.moe.dense_layers = 1;
  s.plan.pp = pp, s.plan.dp = dp, s.plan.experts.ep = ep;
  s.plan.micro_batch = 1, s.plan.global_batch = 2 * dp;
  return s;
}

const PlatformSpec kPlatform = testing::uniform_cluster(2, 4, 100e9, 25e9, 1e-6);

// Dense (non-expert) parameters of small_moe's stage 0 on an EP group of `ep`: embedding, head
// and both layers' attention, norms, router and the dense layer's FFN.
double small_moe_dense_params(const TrainingSpec& spec, int ep) {
  workload::MoeMemoryShape shape;
  shape.ep = ep;
  double dense = workload::embedding_parameters(spec.model) + workload::lm_head_parameters(spec.model);
  for (int l = 0; l < 2; ++l) dense += workload::moe_layer_parameters(spec.model, l, shape).dense;
  return dense;
}

// The all-to-alls of a rank's program on the "ep" slot, in program order.
std::vector<Collective> all_to_alls(const program::ProgramSet& set, int rank) {
  const int ep = set.slot_index("ep");
  std::vector<Collective> out;
  for (const auto& op : set.programs[set.ranks[rank].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == ep && op.as<Collective>().kind == CollectiveKind::AllToAll)
      out.push_back(op.as<Collective>());
  return out;
}

}  // namespace

TEST_CASE("all-to-all bytes per peer are the routed rows of the layer's draw", "[moe]") {
  const TrainingSpec spec = small_moe(1, 8, 4);  // EP 4 inside DP 8: expert-DP 2
  const auto set = training_programs(spec, kPlatform, 7);
  program::validate(set, kPlatform.total_gpus());
  const ExpertLayout layout(spec.plan);
  const int h = spec.model.hidden;
  for (int rank : {0, 5}) {
    const ExpertCoord co = layout.coord(rank);
    const auto& values = set.programs[set.ranks[rank].program].values;
    const auto a2a = all_to_alls(set, rank);
    // One MoE layer, 2 micro-batches: dispatch, combine, combine^T, dispatch^T each.
    REQUIRE(a2a.size() == 8);
    const auto placement = expert_placement(layout.ep_group(0, co.edp, 0), 8, kPlatform);
    int i = 0;
    for (int mb = 0; mb < 2; ++mb) {
      const std::vector<int64_t> tokens(4, 128);
      const auto s = workload::route_tokens({}, spec.model.moe, placement, tokens, 7, {0, 1, mb, co.edp});
      // Forward micro-batch mb (1F1B with one stage: F0 B0 F1 B1).
      for (int kind = 0; kind < 4; ++kind, ++i) {
        const bool outgoing = kind == 0 || kind == 2;  // dispatch and combine^T send this GPU's rows
        for (int p = 0; p < 4; ++p) {
          const double rows = p == co.ep ? 0 : double(outgoing ? s.rows(co.ep, p) : s.rows(p, co.ep));
          CHECK(values[a2a[i].per_peer + p] == Approx(rows * h * 2).epsilon(1e-12));
        }
      }
      int64_t sent = 0;
      for (int p = 0; p < 4; ++p) sent += s.rows(co.ep, p);
      CHECK(sent == 128 * 2);  // dropless: every token's two rows
    }
  }
}

TEST_CASE("the expert phase of a MoE layer takes the grouped GEMMs of the rows the GPU received", "[moe]") {
  TrainingSpec spec = small_moe(1, 4, 4);
  spec.plan.experts.routing.distribution = workload::RoutingDistribution::Zipf;
  spec.plan.experts.routing.zipf_exponent = 1.5;  // a hot expert: unequal loads
  const auto set = training_programs(spec, kPlatform, 3);
  const ExpertLayout layout(spec.plan);
  const workload::ComputeModel cm(kPlatform.clusters[0].gpu);
  const auto placement = expert_placement(layout.ep_group(0, 0, 0), 8, kPlatform);
  const auto s = workload::route_tokens(spec.plan.experts.routing, spec.model.moe, placement, std::vector<int64_t>(4, 128),
                                        3, {0, 1, 0, 0});
  workload::MoeShard shard;
  std::vector<double> expert_seconds;
  for (int e = 0; e < 4; ++e) {
    const auto ops = workload::moe_ffn_ops(spec.model, shard, s.rows_sent(e), s.local_expert_rows(e));
    const double expect = cm.pass_times(ops.experts).fwd;
    // The forward's compute op between the dispatch and the combine of micro-batch 0.
    const auto& prog = set.programs[set.ranks[layout.rank({0, 0, e, 0})].program];
    int seen = 0;
    double got = -1;
    for (const auto& op : prog.ops) {
      if (op.kind() == OpKind::Collective && op.as<Collective>().kind == CollectiveKind::AllToAll) ++seen;
      else if (op.kind() == OpKind::Compute && seen == 1 && got < 0) got = op.as<program::Compute>().seconds;
    }
    CHECK(got == Approx(expect).epsilon(1e-12));
    expert_seconds.push_back(got);
  }
  // The GPU with the most rows computes longest.
  std::vector<int64_t> received;
  for (int e = 0; e < 4; ++e) received.push_back(s.rows_received(e));
  const auto busiest = std::max_element(received.begin(), received.end()) - received.begin();
  CHECK(std::max_element(expert_seconds.begin(), expert_seconds.end()) - expert_seconds.begin() == busiest);
  CHECK(*std::max_element(received.begin(), received.end()) > *std::min_element(received.begin(), received.end()));
}

TEST_CASE("expert gradients are reduced over the expert-data-parallel group, dense ones over dp", "[moe]") {
  TrainingSpec spec = small_moe(1, 8, 4);
  spec.plan.zero_stage = 1;
  const auto set = training_programs(spec, kPlatform, 1);
  const int edp = set.slot_index("edp"), dp = set.slot_index("dp");
  REQUIRE(edp >= 0);
  // Expert parameters per GPU: the MoE layer's 8 experts / ep 4, 3 h f_e each (SwiGLU).
  const double expert_params = 2.0 * 3 * 256 * 128;
  const auto& g = set.groups[set.ranks[0].groups[edp]];
  CHECK(g.gpus.size() == 2);
  CHECK(g.gpus[0] == 0);
  CHECK(g.gpus[1] == 4);  // EP ranks consecutive (etp-ep-edp): expert-DP strided by ep
  int reduce_scatters = 0, gathers = 0;
  double dense_bytes = 0;
  for (const auto& op : set.programs[set.ranks[0].program].ops) {
    if (op.kind() != OpKind::Collective) continue;
    const auto& c = op.as<Collective>();
    if (op.slot == edp) {
      CHECK(c.bytes == Approx(expert_params * 2));
      reduce_scatters += c.kind == CollectiveKind::ReduceScatter, gathers += c.kind == CollectiveKind::AllGather;
    }
    if (op.slot == dp && c.kind == CollectiveKind::ReduceScatter) dense_bytes += c.bytes;
  }
  CHECK(reduce_scatters == 1);
  CHECK(gathers == 1);
  // Dense gradients: everything but the routed experts, 2 bytes each.
  CHECK(dense_bytes == Approx(2 * small_moe_dense_params(spec, 4)).epsilon(1e-12));
}

TEST_CASE("MoE programs are a pure function of the seed and play the same on the player and the executor", "[moe]") {
  const TrainingSpec spec = small_moe(2, 4, 4);
  const auto a = training_programs(spec, kPlatform, 5), b = training_programs(spec, kPlatform, 5);
  const auto c = training_programs(spec, kPlatform, 6);
  CHECK(a.programs == b.programs);
  CHECK_FALSE(a.programs == c.programs);
  program::validate(a, kPlatform.total_gpus());
  // With nearly free links the player matches the executor's list scheduling.
  const auto [played, reference] = testing::played_and_executed(a);
  CHECK(played > 0);
  CHECK(played == Approx(reference).epsilon(1e-8));
}

TEST_CASE("closed-form all-to-alls wait for the EP group's last member", "[moe]") {
  TrainingSpec spec = small_moe(1, 4, 4);
  spec.plan.experts.all_to_all = Granularity::ClosedForm;
  const auto set = training_programs(spec, kPlatform, 2);
  program::validate(set, kPlatform.total_gpus());
  const int ep = set.slot_index("ep");
  int barriers = 0, a2a = 0;
  for (const auto& op : set.programs[set.ranks[0].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == ep) {
      const auto& c = op.as<Collective>();
      barriers += c.kind == CollectiveKind::Barrier;
      a2a += c.kind == CollectiveKind::AllToAll && c.granularity == Granularity::ClosedForm;
    }
  CHECK(a2a == 8);
  CHECK(barriers == a2a);
  // The first all-to-all (layer 1, micro-batch 0): the symmetric all-to-all whose members send
  // what the drawn one's busiest member sends or receives: n / (n - 1) x its rows (one node).
  const ExpertLayout layout(spec.plan);
  const auto s = workload::route_tokens({}, spec.model.moe, expert_placement(layout.ep_group(0, 0, 0), 8, kPlatform),
                                        std::vector<int64_t>(4, 128), 2, {0, 1, 0, 0});
  double busiest = 0;
  for (int r = 0; r < 4; ++r) {
    double out = 0, in = 0;
    for (int p = 0; p < 4; ++p)
      if (p != r) out += double(s.rows(r, p)), in += double(s.rows(p, r));
    busiest = std::max({busiest, out, in});
  }
  for (const auto& op : set.programs[set.ranks[0].program].ops)
    if (op.kind() == OpKind::Collective && op.as<Collective>().kind == CollectiveKind::AllToAll) {
      CHECK(op.as<Collective>().bytes == Approx(busiest * 4 / 3 * 256 * 2).epsilon(1e-12));
      break;
    }
  // Played (a closed-form all-to-all with per-peer bytes once crashed the player: its group's
  // closed forms were never prepared), it gives the executor's time on nearly free links.
  const auto [played, reference] = testing::played_and_executed(set);
  CHECK(played > 0);
  // Each barrier resumes its members at SimGrid's clock, whose events are resolved to about
  // 1e-9 s (tests/golden's tolerance note): 16 of them here.
  CHECK(std::abs(played - reference) < 16e-9);
}

namespace {

// Ops of `slot` on a rank's program, in program order.
std::vector<std::pair<program::Op, Collective>> collectives_of(const program::ProgramSet& set, int rank, const char* slot) {
  const int s = set.slot_index(slot);
  std::vector<std::pair<program::Op, Collective>> out;
  for (const auto& op : set.programs[set.ranks[rank].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == s) out.emplace_back(op, op.as<Collective>());
  return out;
}

// The compute op right after the n-th (1-based) collective of `slot` in a rank's program.
double compute_after(const program::ProgramSet& set, int rank, const char* slot, int n) {
  const int s = set.slot_index(slot);
  int seen = 0;
  for (const auto& op : set.programs[set.ranks[rank].program].ops) {
    if (op.kind() == OpKind::Collective && op.slot == s) ++seen;
    else if (op.kind() == OpKind::Compute && seen == n) return op.as<program::Compute>().seconds;
  }
  return -1;
}

}  // namespace

TEST_CASE("attention TP 2 with experts at expert_tp 1: each rank routes its sequence shard over an EP group across TP groups",
          "[moe][tp]") {
  TrainingSpec spec = small_moe(1, 4, 8);  // tp 2 x dp 4 = ep 8 (parallel folding: expert-DP 1)
  spec.plan.tp = 2, spec.plan.sequence_parallel = true, spec.plan.experts.expert_tp = 1;
  const auto set = training_programs(spec, kPlatform, 4);
  program::validate(set, kPlatform.total_gpus());
  const ExpertLayout layout(spec.plan);
  const int h = spec.model.hidden;
  // The EP group is all 8 GPUs, crossing the attention's TP pairs {0, 1}, {2, 3}, ...
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("ep")]].gpus == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("tp")]].gpus == std::vector<int32_t>{0, 1});
  CHECK(set.slot_index("etp") < 0);
  for (int rank : {0, 3}) {
    const ExpertCoord co = layout.coord(rank);
    const auto& values = set.programs[set.ranks[rank].program].values;
    const auto a2a = all_to_alls(set, rank);
    REQUIRE(a2a.size() == 8);  // one MoE layer, 2 micro-batches, 4 all-to-alls each
    // Each rank routes b s / tp = 64 tokens, 2 rows each; the dispatch sends the rows to the
    // other 7 ranks (the rest stay local), bf16.
    const auto s = workload::route_tokens({}, spec.model.moe, expert_placement(layout.ep_group(0, 0, 0), 8, kPlatform),
                                          std::vector<int64_t>(8, 64), 4, {0, 1, 0, 0});
    double sent = 0;
    for (int p = 0; p < 8; ++p) {
      CHECK(values[a2a[0].per_peer + p] == Approx(p == co.ep ? 0.0 : double(s.rows(co.ep, p)) * h * 2).epsilon(1e-12));
      sent += values[a2a[0].per_peer + p];
    }
    CHECK(sent + double(s.rows(co.ep, co.ep)) * h * 2 == Approx(64.0 * 2 * h * 2).epsilon(1e-12));
    // The experts compute, between dispatch and combine, the grouped GEMMs of the rows received.
    workload::MoeShard shard;
    shard.layer.tp = 2, shard.layer.seq_parallel = true;
    const workload::ComputeModel cm(kPlatform.clusters[0].gpu);
    const auto ops = workload::moe_ffn_ops(spec.model, shard, s.rows_sent(co.ep), s.local_expert_rows(co.ep));
    CHECK(compute_after(set, rank, "ep", 1) == Approx(cm.pass_times(ops.experts).fwd).epsilon(1e-12));
  }
  // TP all-reduces of one bf16 activation (2 b s h bytes): per forward the vocab-parallel
  // embedding 1, the dense layer 2, the MoE layer's attention 1 (no shared experts); per
  // backward the LM head 1, the MoE layer's attention 1, the dense layer 2. 2 micro-batches.
  double count = 0, bytes = 0;
  for (const auto& [op, c] : collectives_of(set, 0, "tp")) {
    CHECK(op.role == Role::TpComm);
    CHECK(c.granularity == Granularity::ClosedForm);
    count += c.count, bytes += c.bytes;
  }
  CHECK(count == 2 * (4 + 4));
  CHECK(bytes == Approx(count * 2.0 * 128 * h).epsilon(1e-12));
}

TEST_CASE("expert TP 2: the received rows are gathered over the expert-TP group, the outputs reduce-scattered",
          "[moe][tp]") {
  TrainingSpec spec = small_moe(1, 4, 4);  // tp 2 x dp 4 = ep 4 x expert_tp 2
  spec.plan.tp = 2, spec.plan.sequence_parallel = true, spec.plan.experts.expert_tp = 2;
  const auto set = training_programs(spec, kPlatform, 9);
  program::validate(set, kPlatform.total_gpus());
  const ExpertLayout layout(spec.plan);
  const int h = spec.model.hidden;
  // etp-ep-edp: expert-TP pairs {0, 1}, ... (here the attention's TP pairs); EP groups stride 2.
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("etp")]].gpus == std::vector<int32_t>{0, 1});
  CHECK(set.groups[set.ranks[1].groups[set.slot_index("ep")]].gpus == std::vector<int32_t>{1, 3, 5, 7});
  const workload::ComputeModel cm(kPlatform.clusters[0].gpu);
  for (int rank : {0, 5}) {
    const ExpertCoord co = layout.coord(rank);
    // Both EP groups of the stage draw their own routing (group index = expert-TP rank here).
    std::vector<int64_t> rows(2, 0);
    int64_t gathered = 0;
    for (int t = 0; t < 2; ++t) {
      const auto s = workload::route_tokens({}, spec.model.moe, expert_placement(layout.ep_group(0, 0, t), 8, kPlatform),
                                            std::vector<int64_t>(4, 64), 9, {0, 1, 0, t});
      const auto local = s.local_expert_rows(co.ep);
      for (int e = 0; e < 2; ++e) rows[e] += local[e];
      gathered += s.rows_received(co.ep);
    }
    const auto etp = collectives_of(set, rank, "etp");
    REQUIRE(etp.size() == 8);  // per micro-batch: gather + reduce-scatter forward and backward
    const CollectiveKind kinds[] = {CollectiveKind::AllGather, CollectiveKind::ReduceScatter, CollectiveKind::AllGather,
                                    CollectiveKind::ReduceScatter};
    for (int i = 0; i < 4; ++i) {
      CHECK(etp[i].second.kind == kinds[i]);
      CHECK(etp[i].second.granularity == Granularity::ClosedForm);
      CHECK(etp[i].second.bytes == Approx(double(gathered) * h * 2).epsilon(1e-12));
    }
    // The experts (each with half of its FFN width) compute the gathered rows.
    workload::MoeShard shard;
    shard.layer.tp = 2, shard.layer.seq_parallel = true, shard.expert_tp = 2;
    const auto own = workload::route_tokens({}, spec.model.moe, expert_placement(layout.ep_group(0, 0, co.etp), 8, kPlatform),
                                            std::vector<int64_t>(4, 64), 9, {0, 1, 0, co.etp});
    const auto ops = workload::moe_ffn_ops(spec.model, shard, own.rows_sent(co.ep), rows);
    CHECK(compute_after(set, rank, "etp", 1) == Approx(cm.pass_times(ops.experts).fwd).epsilon(1e-12));
  }
}

TEST_CASE("expert TP with expert data parallelism: expert gradients of E / ep experts at 1 / expert_tp width over expert-DP",
          "[moe][tp]") {
  TrainingSpec spec = small_moe(1, 4, 2);  // tp 2 x dp 4 = ep 2 x expert_tp 2 x expert-DP 2
  spec.plan.tp = 2, spec.plan.sequence_parallel = true, spec.plan.experts.expert_tp = 2, spec.plan.zero_stage = 1;
  const auto set = training_programs(spec, kPlatform, 2);
  program::validate(set, kPlatform.total_gpus());
  // Expert-DP group of rank 0: (edp 0, 1) at ep 0, etp 0: local ranks 0 and 2 x 2 = 4.
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("edp")]].gpus == std::vector<int32_t>{0, 4});
  // 8 / 2 experts of 3 h f_e / 2 parameters (SwiGLU), 2-byte gradients, reduce-scattered then
  // the distributed optimizer's bf16 all-gather.
  const double expert_params = 4.0 * 3 * 256 * 128 / 2;
  int n = 0;
  for (const auto& [op, c] : collectives_of(set, 0, "edp")) {
    CHECK(c.bytes == Approx(2 * expert_params).epsilon(1e-12));
    CHECK(c.kind == (n++ == 0 ? CollectiveKind::ReduceScatter : CollectiveKind::AllGather));
  }
  CHECK(n == 2);
  // Memory: the program holds the estimate's weights (dense / tp, the final norm replicated, the
  // experts at ep and expert_tp), 2 bytes each.
  workload::MoeMemoryShape shape;
  shape.tp = 2, shape.ep = 2, shape.expert_tp = 2;
  double params = workload::embedding_parameters(spec.model) / 2 + 256 + 1024.0 * 256 / 2;
  for (int l = 0; l < 2; ++l) {
    const auto p = workload::moe_layer_parameters(spec.model, l, shape);
    params += p.dense + p.expert;
  }
  CHECK(workload::moe_layer_parameters(spec.model, 1, shape).expert == Approx(expert_params).epsilon(1e-12));
  double weights = 0;
  for (const auto& op : set.programs[set.ranks[0].program].ops)
    if (op.kind() == OpKind::Alloc && op.as<program::Alloc>().category == program::MemoryCategory::Weights)
      weights += op.as<program::Alloc>().bytes;
  CHECK(weights == Approx(2 * params).epsilon(1e-9));
}

TEST_CASE("exposed EP communication: the compute stream's time in the ep and etp slots' collectives", "[moe][metrics]") {
  // Two ranks by hand, every collective 0.25 s (testing::FixedCosts): rank 0 computes 1 s and
  // rank 1 2 s before a synchronising all-to-all (rank 0 waits 1 s in it), then a closed-form
  // expert-TP all-gather and a TP all-reduce (TP, not EP), then 1 s of compute.
  program::Builder b;
  const int cs = b.stream(program::kComputeStream), ep = b.slot("ep"), etp = b.slot("etp"), tp = b.slot("tp");
  const int g = b.group("pair", {0, 1});
  for (int r = 0; r < 2; ++r) {
    program::Program p;
    program::ProgramWriter w(p);
    w.marker(cs, program::MarkerKind::Iteration, 0);
    w.compute(cs, r == 0 ? 1.0 : 2.0, Role::Forward);
    Collective a2a;
    a2a.kind = CollectiveKind::AllToAll, a2a.algorithm = CollectiveAlgorithm::Direct, a2a.bytes = 1e6;
    w.collective(cs, ep, a2a, Role::Collective);
    Collective gather;
    gather.kind = CollectiveKind::AllGather, gather.granularity = Granularity::ClosedForm, gather.bytes = 1e6;
    w.collective(cs, etp, gather, Role::Collective);
    w.collective(cs, tp, testing::all_reduce(1e6, Granularity::ClosedForm), Role::TpComm);
    w.compute(cs, 1.0, Role::Forward);
    w.marker(cs, program::MarkerKind::Iteration, 0, true);
    b.add_rank(r, p, {g, g, g});
  }
  const auto set = b.finish();
  TrainingMeter meter(set);
  program::execute(set, testing::FixedCosts(0, 0.25), &meter);
  const TrainingResult r = meter.result(1e15);
  CHECK(r.expert_parallel);
  // Rank 0: 1 s waiting + 0.25 all-to-all + 0.25 gather; rank 1: 0.25 + 0.25. Mean 1.
  CHECK(r.exposed_ep == Approx(1.0).epsilon(1e-12));
  CHECK(r.exposed_tp == Approx(0.25).epsilon(1e-12));
  CHECK(r.iteration_time == Approx(2 + 0.75 + 1).epsilon(1e-12));
}

TEST_CASE("a MoE job reports its exposed EP communication, a dense one has no EP line", "[moe][metrics]") {
  TrainingSpec spec = small_moe(1, 4, 4);
  const auto set = training_programs(spec, kPlatform, 1);
  TrainingMeter meter(set);
  // Every collective 1 ms: at least the 8 all-to-alls of each rank are exposed.
  program::execute(set, testing::FixedCosts(0, 1e-3), &meter);
  const TrainingResult r = meter.result(1e15);
  CHECK(r.expert_parallel);
  CHECK(r.exposed_ep >= 8e-3);
  TrainingSpec dense = spec;
  dense.model.moe = {};
  dense.plan.experts = {};
  const auto dense_set = training_programs(dense, kPlatform, 1);
  TrainingMeter dense_meter(dense_set);
  program::execute(dense_set, testing::FixedCosts(0, 1e-3), &dense_meter);
  CHECK_FALSE(dense_meter.result(1e15).expert_parallel);
  CHECK(dense_meter.result(1e15).exposed_ep == 0);
}

TEST_CASE("overlap_param_gather with experts: dense and expert bucket groups gathered at the iteration start, waited per layer",
          "[moe][overlap]") {
  TrainingSpec spec = small_moe(1, 4, 2);  // expert-DP 2
  spec.plan.zero_stage = 1, spec.plan.overlap_param_gather = true;
  spec.plan.bucket_bytes = 0.8e6;  // the chunk's 2.9 MB of dense bf16 parameters: 4 buckets, 4 groups
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  const auto& prog = set.programs[set.ranks[0].program];
  const int dp = set.slot_index("dp"), edp = set.slot_index("edp");
  const int cs = set.stream_index(program::kComputeStream);
  // Every all-gather is issued before the first kernel; none after the optimizer step.
  double dense_bytes = 0, expert_bytes = 0, first_two_groups = 0;
  int gathers = 0, first_compute = -1;
  for (int i = 0; i < static_cast<int>(prog.ops.size()); ++i) {
    const auto& op = prog.ops[i];
    if (op.kind() == OpKind::Compute && first_compute < 0) first_compute = i;
    if (op.kind() != OpKind::Collective || op.as<Collective>().kind != CollectiveKind::AllGather) continue;
    CHECK(first_compute < 0);
    const auto& c = op.as<Collective>();
    (op.slot == dp ? dense_bytes : expert_bytes) += c.bytes;
    if (gathers < 4) first_two_groups += c.count;  // dense, expert, dense, expert
    ++gathers;
  }
  CHECK(gathers == 8);  // 4 groups, each a dense and an expert all-gather
  CHECK(dense_bytes == Approx(2 * small_moe_dense_params(spec, 2)).epsilon(1e-12));
  CHECK(expert_bytes == Approx(2 * 4.0 * 3 * 256 * 128).epsilon(1e-12));
  CHECK(edp >= 0);
  // The first forward (2 layers): groups 0 and 1 (shares starting at 0 and 1/4) waited before
  // layer 0, groups 2 and 3 (1/2, 3/4) before layer 1.
  std::vector<char> order;
  for (int i = first_compute - 2; i < static_cast<int>(prog.ops.size()) && order.size() < 6; ++i) {
    const auto& op = prog.ops[i];
    if (op.stream != cs) continue;
    if (op.kind() == OpKind::Wait) order.push_back('w');
    if (op.kind() == OpKind::Compute) order.push_back('c');
  }
  CHECK(std::string(order.begin(), order.end()) == "wwcwwc");
  // Played with every collective 1 s per count: the first kernel starts once groups 0 and 1
  // (their dense and expert all-gathers, one after the other on dp-comm) are done.
  testing::TimingLog log(set);
  program::execute(set, testing::FixedCosts(0, 1.0), &log);
  CHECK(log.at(0, first_compute).start == Approx(first_two_groups).epsilon(1e-12));
}

TEST_CASE("expert data parallelism without dp (tp 2 folded into expert-DP 2): the distributed optimizer still gathers the experts",
          "[moe][tp]") {
  TrainingSpec spec = small_moe(1, 1, 1);
  spec.plan.tp = 2, spec.plan.sequence_parallel = true, spec.plan.experts.expert_tp = 1, spec.plan.zero_stage = 1;
  spec.plan.global_batch = 2;
  const auto set = training_programs(spec, kPlatform, 1);
  program::validate(set, kPlatform.total_gpus());
  int reduce_scatters = 0, gathers = 0;
  for (const auto& [op, c] : collectives_of(set, 0, "edp")) {
    CHECK(c.bytes == Approx(2 * 8.0 * 3 * 256 * 128).epsilon(1e-12));  // all 8 experts, full width
    reduce_scatters += c.kind == CollectiveKind::ReduceScatter, gathers += c.kind == CollectiveKind::AllGather;
  }
  CHECK(reduce_scatters == 1);
  CHECK(gathers == 1);  // was missing: the all-gather was written only when dp > 1
}

TEST_CASE("context parallelism with experts: each rank routes its s / cp tokens, flash attention runs with the KV ring",
          "[moe][cp]") {
  TrainingSpec spec = small_moe(1, 2, 4);  // tp 1 x cp 2 x dp 2 = ep 4 (expert-DP 1)
  spec.plan.cp = 2;
  const auto set = training_programs(spec, kPlatform, 6);
  program::validate(set, kPlatform.total_gpus());
  const ExpertLayout layout(spec.plan);
  CHECK(layout.expert_dp() == 1);
  // Megatron-Core's order tp-cp-dp: the CP pairs {0, 1} and {2, 3}; the EP group folds over both.
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("cp")]].gpus == std::vector<int32_t>{0, 1});
  CHECK(set.groups[set.ranks[0].groups[set.slot_index("ep")]].gpus == std::vector<int32_t>{0, 1, 2, 3});
  const int h = spec.model.hidden;
  workload::LayerShard cp_shard;
  cp_shard.cp = 2;
  const workload::ComputeModel cm(kPlatform.clusters[0].gpu);
  double core_fwd = 0;
  for (const auto& op : workload::attention_ops(spec.model, cp_shard))
    if (op.kind == workload::OpKind::Attention && op.pass == workload::Pass::Forward) core_fwd += cm.op_time(op);
  REQUIRE(core_fwd > 0);
  for (int rank : {0, 3}) {
    const ExpertCoord co = layout.coord(rank);
    const auto s = workload::route_tokens({}, spec.model.moe, expert_placement(layout.ep_group(0, 0, 0), 8, kPlatform),
                                          std::vector<int64_t>(4, 64), 6, {0, 1, 0, 0});
    // Dispatch: this rank's 128 / 2 = 64 tokens, 2 rows each.
    const auto& values = set.programs[set.ranks[rank].program].values;
    const auto a2a = all_to_alls(set, rank);
    REQUIRE(a2a.size() == 8);
    double rows = double(s.rows(co.ep, co.ep));
    for (int p = 0; p < 4; ++p) rows += values[a2a[0].per_peer + p] / (h * 2);
    CHECK(rows == Approx(64 * 2).epsilon(1e-12));
    // The forward's first kernels are the two layers' flash attention on s / cp queries (the
    // ring's KV transfers beside them); the expert phase computes the rows received.
    const auto& prog = set.programs[set.ranks[rank].program];
    double first = -1;
    for (const auto& op : prog.ops)
      if (op.kind() == OpKind::Compute) {
        first = op.as<program::Compute>().seconds;
        break;
      }
    CHECK(first == Approx(2 * core_fwd).epsilon(1e-12));
    workload::MoeShard shard;
    shard.layer.cp = 2;
    const auto ops = workload::moe_ffn_ops(spec.model, shard, s.rows_sent(co.ep), s.local_expert_rows(co.ep));
    CHECK(compute_after(set, rank, "ep", 1) == Approx(cm.pass_times(ops.experts).fwd).epsilon(1e-12));
  }
  // It plays: player and executor agree on nearly free links, to SimGrid's clock resolution
  // (about 1e-9 s per synchronisation; tests/golden's tolerance note): measured 4e-10 here.
  const auto [played, reference] = testing::played_and_executed(set);
  CHECK(played > 0);
  CHECK(std::abs(played - reference) < 1e-8);
}

TEST_CASE("overlap_grad_reduce with experts: dense buckets over dp, expert buckets over expert-DP, released as the last "
          "backward walks back through their layers",
          "[moe][overlap]") {
  TrainingSpec spec = small_moe(1, 4, 2);  // expert-DP 2
  spec.plan.zero_stage = 1, spec.plan.overlap_grad_reduce = true;
  spec.plan.bucket_bytes = 0.8e6;  // dense: 2.9 MB of bf16 gradients, 4 buckets in 4 groups; experts: 1 bucket
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  const auto& prog = set.programs[set.ranks[0].program];
  const int dp = set.slot_index("dp"), edp = set.slot_index("edp");
  const int cs = set.stream_index(program::kComputeStream);
  const double dense = small_moe_dense_params(spec, 2), experts = 4.0 * 3 * 256 * 128;  // 8 / ep experts, 3 h f_e
  // Program order of the reductions among the compute stream's backward kernels: 'd' a dense
  // group over dp, 'e' an expert group over expert-DP, 'B' a backward compute op.
  std::string order;
  for (const auto& op : prog.ops) {
    if (op.kind() == OpKind::Compute && op.stream == cs && op.role == Role::Backward) order += 'B';
    if (op.kind() != OpKind::Collective || op.as<Collective>().kind != CollectiveKind::ReduceScatter) continue;
    const auto& c = op.as<Collective>();
    CHECK(c.count == 1);
    if (op.slot == dp) {
      CHECK(c.bytes == Approx(2 * dense / 4).epsilon(1e-12));  // one of the 4 buckets
      order += 'd';
    }
    if (op.slot == edp) {
      CHECK(c.bytes == Approx(2 * experts).epsilon(1e-12));
      order += 'e';
    }
  }
  // Micro-batch 0's backward releases nothing. The last one (layers 1 then 0): after layer 1
  // (the MoE layer, half the layers) the dense groups whose buckets are at most half of 4 (2
  // of them) and the expert group of its one MoE layer; then layer 0 (dense) and the
  // embedding (two compute ops); the last 2 dense groups after the op.
  INFO(order);
  const auto release = order.find("ddeB");
  REQUIRE(release != std::string::npos);
  CHECK(order.substr(release) == "ddeBBdd");
  CHECK(order[release - 1] == 'B');  // layer 1's kernels
  CHECK(std::count(order.begin(), order.end(), 'd') == 4);
  CHECK(std::count(order.begin(), order.end(), 'e') == 1);
}

TEST_CASE("overlap_grad_reduce with experts hides the released groups behind the rest of the backward", "[moe][overlap]") {
  // Every collective 1 s per bucket (testing::FixedCosts): without overlap the 4 dense and 1
  // expert buckets go out after the backward (5 s exposed, plus the parameter all-gathers'
  // 5 s). With it, 3 of them are released after layer 1 and run while layer 0 and the
  // embedding compute (t0 seconds, the same on every rank: no experts there): the compute
  // stream waits t0 less at the iteration's end, on every rank (the synchronised groups start
  // at the last member's release, which is t0 before its end of the op).
  TrainingSpec spec = small_moe(1, 4, 2);
  spec.plan.zero_stage = 1, spec.plan.bucket_bytes = 0.8e6;
  auto exposed = [&](bool overlap) {
    spec.plan.overlap_grad_reduce = overlap;
    const auto set = training_programs(spec, kPlatform, 3);
    TrainingMeter meter(set);
    program::execute(set, testing::FixedCosts(0, 1.0), &meter);
    return std::make_pair(meter.result(1e15).exposed_dp, set);
  };
  const auto [without, plain] = exposed(false);
  const auto [with, set] = exposed(true);
  // t0: the compute ops between the release after layer 1 and the one after the op.
  const auto& prog = set.programs[set.ranks[0].program];
  const int cs = set.stream_index(program::kComputeStream), ds = set.stream_index(program::kDpStream);
  double t0 = 0;
  int released = 0;
  for (const auto& op : prog.ops) {
    if (op.kind() == OpKind::Collective && op.stream == ds && op.as<Collective>().kind == CollectiveKind::ReduceScatter) {
      if (++released > 3) break;
      continue;
    }
    if (released == 3 && op.kind() == OpKind::Compute && op.stream == cs) t0 += op.as<program::Compute>().seconds;
  }
  REQUIRE(t0 > 0);
  CHECK(without - with == Approx(t0).epsilon(1e-9));
  CHECK(with >= 7.0);  // the last 2 dense groups and the 5 s of all-gathers stay exposed
}

TEST_CASE("expert gradients are reduced in the plan's gradient precision (fp32 buckets: 4 bytes a parameter)",
          "[moe][regression]") {
  // Regression: expert buckets were 2 bytes a parameter whatever grad_reduce_precision said.
  TrainingSpec spec = small_moe(1, 4, 2);
  spec.plan.zero_stage = 1, spec.plan.grad_reduce_bytes = 4;
  for (bool overlap : {false, true}) {
    spec.plan.overlap_grad_reduce = overlap;
    const auto set = training_programs(spec, kPlatform, 1);
    double reduced = 0, gathered = 0;
    for (const auto& [op, c] : collectives_of(set, 0, "edp"))
      (c.kind == CollectiveKind::AllGather ? gathered : reduced) += c.bytes;
    CHECK(reduced == Approx(4 * 4.0 * 3 * 256 * 128).epsilon(1e-12));
    CHECK(gathered == Approx(2 * 4.0 * 3 * 256 * 128).epsilon(1e-12));  // bf16 parameters
  }
}

TEST_CASE("MoE programs with both overlaps play the same on the player and the executor", "[moe][overlap]") {
  TrainingSpec spec = small_moe(2, 4, 2);  // pp 2 x dp 4: EP 2 x expert-DP 2; 4 micro-batches
  spec.plan.global_batch = 16, spec.plan.zero_stage = 1, spec.plan.bucket_bytes = 0.5e6;
  spec.plan.overlap_grad_reduce = true, spec.plan.overlap_param_gather = true;
  const auto set = training_programs(spec, kPlatform, 2);
  program::validate(set, kPlatform.total_gpus());
  CHECK_FALSE(collectives_of(set, 0, "edp").empty());
  const auto [played, reference] = testing::played_and_executed(set);
  CHECK(played > 0);
  // Within a few SimGrid event resolutions (1e-9 s): this pipeline differs by 2.6 ns with or
  // without the overlaps, and with ZeRO 0.
  CHECK(std::abs(played - reference) < 1e-8);
}

TEST_CASE("tp_comm_overlap with experts: the attention's, dense layers' and shared experts' TP collectives run beside "
          "their GEMMs by the dense rule, K - G (t-1)/t then G (t-1)/t",
          "[moe][overlap][tp]") {
  TrainingSpec spec = small_moe(1, 4, 8);  // tp 2 x dp 4 = ep 8, expert-DP 1
  spec.model.moe.shared_ffn_hidden = 128;
  spec.plan.tp = 2, spec.plan.sequence_parallel = true, spec.plan.experts.expert_tp = 1;
  const auto off = training_programs(spec, kPlatform, 4);
  spec.plan.tp_comm_overlap = true;
  const auto on = training_programs(spec, kPlatform, 4);
  program::validate(on, kPlatform.total_gpus());
  const int cs = on.stream_index(program::kComputeStream), ts = on.stream_index(program::kTpStream);
  REQUIRE(ts >= 0);
  // Per flush before an all-to-all: the compute ops of the compute stream and the TP
  // collectives' counts, by stream, for the first forward's first two segments (embedding +
  // dense layer 0 + layer 1's attention and route; then the experts with the shared ones).
  struct Segment {
    std::vector<double> compute;
    double tp_count = 0;
    int tp_stream = -1;
  };
  auto segments = [&](const program::ProgramSet& set) {
    std::vector<Segment> out(1);
    const int ep = set.slot_index("ep"), tp = set.slot_index("tp");
    for (const auto& op : set.programs[set.ranks[0].program].ops) {
      if (out.size() > 2) break;
      if (op.kind() == OpKind::Collective && op.slot == ep) {
        out.emplace_back();
      } else if (op.kind() == OpKind::Compute && op.stream == cs) {
        out.back().compute.push_back(op.as<program::Compute>().seconds);
      } else if (op.kind() == OpKind::Collective && op.slot == tp) {
        out.back().tp_count += op.as<Collective>().count, out.back().tp_stream = op.stream;
      }
    }
    out.pop_back();
    return out;
  };
  const auto plain = segments(off), overlapped = segments(on);
  REQUIRE(plain.size() == 2);
  REQUIRE(overlapped.size() == 2);
  // GEMM seconds by hand: the dense layer's and the attention's (QKV, projection; FC1, FC2),
  // then the shared experts' (not the router's, not the routed experts' grouped GEMMs).
  const workload::ComputeModel cm(kPlatform.clusters[0].gpu);
  workload::MoeShard shard;
  shard.layer.tp = 2, shard.layer.seq_parallel = true;
  const auto s = workload::route_tokens({}, spec.model.moe, expert_placement({0, 1, 2, 3, 4, 5, 6, 7}, 8, kPlatform),
                                        std::vector<int64_t>(8, 64), 4, {0, 1, 0, 0});
  const auto ffn = workload::moe_ffn_ops(spec.model, shard, s.rows_sent(0), s.local_expert_rows(0));
  const double gemm[2] = {kernel_times(cm, workload::layer_ops(spec.model, shard.layer), workload::OpKind::Gemm).fwd +
                              kernel_times(cm, workload::attention_ops(spec.model, shard.layer), workload::OpKind::Gemm).fwd,
                          kernel_times(cm, ffn.shared, workload::OpKind::Gemm).fwd};
  const double counts[2] = {4, 1};  // embedding 1 + dense layer 2 + attention 1; the shared experts 1
  for (int k = 0; k < 2; ++k) {
    CAPTURE(k);
    REQUIRE(plain[k].compute.size() == 1);
    REQUIRE(overlapped[k].compute.size() == 2);
    const double K = plain[k].compute[0];
    REQUIRE(gemm[k] > 0);
    REQUIRE(gemm[k] < K);
    CHECK(plain[k].tp_count == counts[k]);
    CHECK(plain[k].tp_stream == cs);
    CHECK(overlapped[k].tp_count == counts[k]);
    CHECK(overlapped[k].tp_stream == ts);
    CHECK(overlapped[k].compute[1] == Approx(gemm[k] / 2).epsilon(1e-12));  // G (t-1)/t beside the collectives
    CHECK(overlapped[k].compute[0] + overlapped[k].compute[1] == Approx(K).epsilon(1e-12));
  }
  // The player agrees with the reference executor on these programs.
  const auto [played, reference] = testing::played_and_executed(on);
  CHECK(std::abs(played - reference) < 1e-8);
}

TEST_CASE("ZeRO-3 with experts: per layer unit, dense parameters gathered over dp and experts over expert-DP before each "
          "forward and backward, gradients reduce-scattered after the backward",
          "[moe][fsdp]") {
  TrainingSpec spec = small_moe(1, 4, 2);  // expert-DP 2; 2 micro-batches
  spec.plan.zero_stage = 3, spec.plan.fsdp.unit_layers = 1, spec.plan.fsdp.prefetch = 0;
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  const auto& prog = set.programs[set.ranks[0].program];
  const int dp = set.slot_index("dp"), edp = set.slot_index("edp"), cs = set.stream_index(program::kComputeStream);
  // Units: layer 0 (dense FFN) with the embedding, layer 1 (MoE) with the head.
  workload::MoeMemoryShape shape;
  shape.ep = 2;
  const double unit0 = workload::embedding_parameters(spec.model) + workload::moe_layer_parameters(spec.model, 0, shape).dense;
  const double unit1 = workload::lm_head_parameters(spec.model) + workload::moe_layer_parameters(spec.model, 1, shape).dense;
  const double experts = 4.0 * 3 * 256 * 128;  // layer 1's 8 / ep experts
  REQUIRE(unit0 + unit1 == Approx(small_moe_dense_params(spec, 2)).epsilon(1e-12));
  // Program order: 'g'/'G' a dense/expert all-gather, 'r'/'R' a dense/expert reduce-scatter,
  // 'c' compute.
  std::string order;
  std::vector<double> dense_gathers, dense_reductions;
  for (const auto& op : prog.ops) {
    if (op.kind() == OpKind::Compute && op.stream == cs && op.role != Role::Optimizer) order += 'c';
    if (op.kind() != OpKind::Collective || (op.slot != dp && op.slot != edp)) continue;
    const auto& c = op.as<Collective>();
    const bool gather = c.kind == CollectiveKind::AllGather;
    REQUIRE((gather || c.kind == CollectiveKind::ReduceScatter));
    if (op.slot == edp) {
      CHECK(c.bytes == Approx(2 * experts).epsilon(1e-12));  // bf16 parameters, bf16 gradients
      order += gather ? 'G' : 'R';
    } else {
      (gather ? dense_gathers : dense_reductions).push_back(c.bytes);
      order += gather ? 'g' : 'r';
    }
  }
  // 1F1B on one stage: F0 B0 F1 B1. Forward: unit 0, its layer (with the embedding), unit 1,
  // the MoE layer's three segments (before dispatch, experts, after combine, the head with the
  // last). Backward: unit 1, its three segments, its gradients, unit 0, its layer, the
  // embedding, its gradients after the op. Nothing at the iteration's end.
  const std::string forward = "gcgGccc", backward = "gGcccrRgccr";
  CHECK(order == forward + backward + forward + backward);
  REQUIRE(dense_gathers.size() == 8);
  for (size_t i = 0; i < 8; i += 2) {
    const bool fwd = i == 0 || i == 4;
    CHECK(dense_gathers[i] == Approx(2 * (fwd ? unit0 : unit1)).epsilon(1e-12));
    CHECK(dense_gathers[i + 1] == Approx(2 * (fwd ? unit1 : unit0)).epsilon(1e-12));
  }
  REQUIRE(dense_reductions.size() == 4);
  for (size_t i = 0; i < 4; i += 2) {
    CHECK(dense_reductions[i] == Approx(2 * unit1).epsilon(1e-12));
    CHECK(dense_reductions[i + 1] == Approx(2 * unit0).epsilon(1e-12));
  }
}

TEST_CASE("ZeRO-3 with experts: prefetch 1 issues the next unit's gathers before the current unit's kernels", "[moe][fsdp]") {
  TrainingSpec spec = small_moe(1, 4, 2);
  spec.plan.zero_stage = 3, spec.plan.fsdp.unit_layers = 1, spec.plan.fsdp.prefetch = 1;
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  const int dp = set.slot_index("dp"), edp = set.slot_index("edp"), cs = set.stream_index(program::kComputeStream);
  std::string order;
  for (const auto& op : set.programs[set.ranks[0].program].ops) {
    if (order.size() >= 7) break;
    if (op.kind() == OpKind::Compute && op.stream == cs) order += 'c';
    if (op.kind() == OpKind::Collective && (op.slot == dp || op.slot == edp)) order += op.slot == edp ? 'G' : 'g';
  }
  // Units 0 and 1 (its experts too) before the embedding + layer 0; before layer 1 the next
  // gather of the sequence, the backward's unit 1 (the sequence runs across ops, as without
  // experts).
  CHECK(order == "ggGcgGc");
}

TEST_CASE("ZeRO-3 with experts: memory holds dense / dp and experts / expert-DP shards plus the gathered units, as the "
          "programs' peak",
          "[moe][fsdp][memory]") {
  TrainingSpec spec = small_moe(1, 4, 2);  // dp 4, expert-DP 2
  spec.plan.zero_stage = 3, spec.plan.fsdp.unit_layers = 1, spec.plan.fsdp.prefetch = 0;
  const auto mem = estimate_stage_memory(spec);
  workload::MoeMemoryShape shape;
  shape.ep = 2;
  const double dense = small_moe_dense_params(spec, 2), experts = 4.0 * 3 * 256 * 128;
  const double unit0 = workload::embedding_parameters(spec.model) + workload::moe_layer_parameters(spec.model, 0, shape).dense;
  const double unit1 = workload::lm_head_parameters(spec.model) + workload::moe_layer_parameters(spec.model, 1, shape).dense +
                       experts;
  // Shards (bf16 weights, gradients, 12-byte optimizer states) and the largest unit gathered (prefetch 0).
  CHECK(mem[0].weights == Approx(2 * dense / 4 + 2 * experts / 2 + 2 * std::max(unit0, unit1)).epsilon(1e-12));
  CHECK(mem[0].gradients == Approx(2 * dense / 4 + 2 * experts / 2).epsilon(1e-12));
  CHECK(mem[0].optimizer == Approx(12 * dense / 4 + 12 * experts / 2).epsilon(1e-12));
  spec.plan.fsdp.prefetch = 1;  // both units held
  CHECK(estimate_stage_memory(spec)[0].weights == Approx(2 * dense / 4 + 2 * experts / 2 + 2 * (unit0 + unit1)).epsilon(1e-12));
  // Played as the reference executor runs it.
  const auto set = training_programs(spec, kPlatform, 3);
  const auto [played, reference] = testing::played_and_executed(set);
  CHECK(std::abs(played - reference) < 1e-8);
}

TEST_CASE("HSDP with experts: dense units over shard groups of dp, experts over shard groups of expert-DP inside them, "
          "each shard all-reduced across its replicas",
          "[moe][fsdp][hsdp]") {
  TrainingSpec spec = small_moe(1, 8, 2);  // dp 8, ep 2: expert-DP 4
  spec.plan.global_batch = 16;
  spec.plan.zero_stage = 3, spec.plan.fsdp.unit_layers = 1, spec.plan.fsdp.prefetch = 0, spec.plan.fsdp.shard_group = 4;
  const auto set = training_programs(spec, kPlatform, 3);
  program::validate(set, kPlatform.total_gpus());
  auto gpus = [&](const char* slot) { return set.groups[set.ranks[0].groups[set.slot_index(slot)]].gpus; };
  // Dense shard groups of 4 consecutive dp ranks, replicated across 2; the expert-DP group
  // {0, 2, 4, 6} of EP rank 0 splits into shards of tp g / ep = 2 inside them, replicated across 2.
  CHECK(gpus("dp") == std::vector<int32_t>{0, 1, 2, 3});
  CHECK(gpus("dp-replica") == std::vector<int32_t>{0, 4});
  CHECK(gpus("edp") == std::vector<int32_t>{0, 2});
  CHECK(gpus("edp-replica") == std::vector<int32_t>{0, 4});
  const double experts = 4.0 * 3 * 256 * 128;
  int gathers = 0, reductions = 0, replica_sums = 0;
  for (const auto& [op, c] : collectives_of(set, 0, "edp")) {
    CHECK(c.bytes == Approx(2 * experts).epsilon(1e-12));
    gathers += c.kind == CollectiveKind::AllGather, reductions += c.kind == CollectiveKind::ReduceScatter;
  }
  for (const auto& [op, c] : collectives_of(set, 0, "edp-replica")) {
    CHECK(c.kind == CollectiveKind::AllReduce);
    CHECK(c.bytes == Approx(2 * experts / 2).epsilon(1e-12));  // the shard
    ++replica_sums;
  }
  CHECK(gathers == 4);  // the MoE layer's unit before each of 2 forwards and 2 backwards
  CHECK(reductions == 2);
  CHECK(replica_sums == 2);
  // Memory: dense states over the shard group of 4, experts' over their shard group of 2.
  const double dense = small_moe_dense_params(spec, 2);
  const auto mem = estimate_stage_memory(spec);
  CHECK(mem[0].gradients == Approx(2 * dense / 4 + 2 * experts / 2).epsilon(1e-12));
  CHECK(mem[0].optimizer == Approx(12 * dense / 4 + 12 * experts / 2).epsilon(1e-12));
  const auto [played, reference] = testing::played_and_executed(set);
  CHECK(std::abs(played - reference) < 1e-8);
}
