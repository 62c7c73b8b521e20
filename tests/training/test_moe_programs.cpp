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

// The all-to-alls of a rank's program on the "ep" slot, in program order.
std::vector<Collective> all_to_alls(const program::ProgramSet& set, int rank) {
  const int ep = set.slot_index("ep");
  std::vector<Collective> out;
  for (const auto& op : set.programs[set.ranks[rank].program].ops)
    if (op.kind() == OpKind::Collective && op.slot == ep && op.as<Collective>().kind == CollectiveKind::AllToAll)
      out.push_back(op.as<Collective>());
  return out;
}

// Plays `set` with the player (in a child process: one SimGrid engine per process) and the
// reference executor on links that add nothing but latency 0: their makespans.
std::pair<double, double> makespans(const program::ProgramSet& set) {
  const PlatformSpec fast = testing::uniform_cluster(2, 4, 1e18, 1e18, 0);
  std::istringstream is(run_isolated([&] {
    Simulation sim(fast, 0);
    const double played = play(sim, set, {nullptr, nullptr});
    std::ostringstream os;
    os.precision(17);
    os << played << " " << program::execute(set, NetworkCosts(sim.network(), set));
    return os.str();
  }));
  std::pair<double, double> out;
  is >> out.first >> out.second;
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
  workload::MoeMemoryShape shape;
  shape.ep = 4;
  double dense = workload::embedding_parameters(spec.model) + workload::lm_head_parameters(spec.model);
  for (int l = 0; l < 2; ++l) dense += workload::moe_layer_parameters(spec.model, l, shape).dense;
  CHECK(dense_bytes == Approx(2 * dense).epsilon(1e-12));
}

TEST_CASE("MoE programs are a pure function of the seed and play the same on the player and the executor", "[moe]") {
  const TrainingSpec spec = small_moe(2, 4, 4);
  const auto a = training_programs(spec, kPlatform, 5), b = training_programs(spec, kPlatform, 5);
  const auto c = training_programs(spec, kPlatform, 6);
  CHECK(a.programs == b.programs);
  CHECK_FALSE(a.programs == c.programs);
  program::validate(a, kPlatform.total_gpus());
  // With nearly free links the player matches the executor's list scheduling.
  const auto [played, reference] = makespans(a);
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
  const auto [played, reference] = makespans(set);
  CHECK(played > 0);
  // Each barrier resumes its members at SimGrid's clock, whose events are resolved to about
  // 1e-9 s (tests/golden's tolerance note): 16 of them here.
  CHECK(std::abs(played - reference) < 16e-9);
}
