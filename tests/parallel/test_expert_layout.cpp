// Expert-parallel layout (docs/moe.md, "Layout"): expert coordinates of every rank, EP and
// expert-DP groups placed intra-node, across nodes or both, parallel folding, plan checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "parallel/expert_layout.hpp"
#include "workload/presets.hpp"

using namespace trainsim;

namespace {
ParallelPlan plan(int tp, int pp, int dp, int ep, int etp = 0, ExpertRankOrder order = ExpertRankOrder::EpInner) {
  ParallelPlan p;
  p.tp = tp, p.pp = pp, p.dp = dp;
  p.experts.ep = ep;
  p.experts.expert_tp = etp;
  p.experts.order = order;
  p.sequence_parallel = tp > 1;
  p.micro_batch = 1;
  p.global_batch = dp;
  return p;
}
PlatformSpec nodes_of_8(int nodes) {
  PlatformSpec s;
  ClusterSpec c;
  c.name = "a";
  c.nodes = nodes;
  c.gpus_per_node = 8;
  s.clusters.push_back(c);
  return s;
}
std::string key_of(const ParallelPlan& p, const workload::ModelSpec& m, int gpus) {
  try {
    validate_plan(p, m, gpus);
  } catch (const InputError& e) {
    return e.key();
  }
  return "(valid)";
}
}  // namespace

TEST_CASE("Without folding, EP groups are carved out of data parallelism (Megatron): same tp rank, consecutive dp") {
  const ExpertLayout l(plan(2, 2, 4, 4));  // expert_tp = tp = 2, ep 4: expert-DP 1
  CHECK(l.expert_tp() == 2);
  CHECK(l.expert_dp() == 1);
  CHECK(l.ep_group(0, 0, 0) == std::vector<int>{0, 2, 4, 6});
  CHECK(l.ep_group(0, 0, 1) == std::vector<int>{1, 3, 5, 7});
  CHECK(l.ep_group(1, 0, 0) == std::vector<int>{8, 10, 12, 14});
  // The EP group of tp rank 0 is exactly the attention's data-parallel group of tp rank 0.
  CHECK(l.ep_group(0, 0, 0) == l.ranks().dp_group(0, 0));
  CHECK(l.expert_tp_group(0, 0, 3) == l.ranks().tp_group(0, 3));
}

TEST_CASE("Parallel folding: experts with their own TP and DP across the attention's TP ranks") {
  // tp 2 x dp 4 attention ranks per stage hold ep 8 x expert_tp 1: every rank of the stage is an
  // EP rank, the EP group crosses the attention's TP groups.
  const ExpertLayout l(plan(2, 1, 4, 8, 1));
  CHECK(l.expert_dp() == 1);
  CHECK(l.ep_group(0, 0, 0) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  // tp 4 x dp 4, ep 2, expert_tp 2: expert-DP 4.
  const ExpertLayout f(plan(4, 1, 4, 2, 2));
  CHECK(f.expert_dp() == 4);
  CHECK(f.ep_group(0, 1, 1) == std::vector<int>{5, 7});
  CHECK(f.expert_dp_group(0, 0, 0) == std::vector<int>{0, 4, 8, 12});
  CHECK(f.expert_tp_group(0, 3, 1) == std::vector<int>{14, 15});
}

TEST_CASE("EP placed intra-node, across nodes and over both (8 GPUs per node)") {
  const PlatformSpec p = nodes_of_8(4);
  // ep 8 consecutive: one node.
  const ExpertLayout intra(plan(1, 1, 32, 8));
  const workload::ExpertPlacement a = expert_placement(intra.ep_group(0, 1, 0), 64, p);
  CHECK(intra.ep_group(0, 1, 0) == std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15});
  CHECK(a.nodes() == 1);
  CHECK(a.experts_per_rank() == 8);
  // ep 16 consecutive: two whole nodes (intra- and inter-node all-to-all).
  const ExpertLayout both(plan(1, 1, 32, 16));
  const workload::ExpertPlacement b = expert_placement(both.ep_group(0, 1, 0), 64, p);
  CHECK(b.nodes() == 2);
  CHECK(b.node_of_rank == std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
  // EP inner to expert DP (etp-edp-ep): ep 4 strided by expert-DP 8, one GPU per node.
  const ExpertLayout across(plan(1, 1, 32, 4, 0, ExpertRankOrder::EdpInner));
  CHECK(across.expert_dp() == 8);
  CHECK(across.ep_group(0, 2, 0) == std::vector<int>{2, 10, 18, 26});
  const workload::ExpertPlacement c = expert_placement(across.ep_group(0, 2, 0), 64, p);
  CHECK(c.node_of_rank == std::vector<int>{0, 1, 2, 3});
  CHECK(across.expert_dp_group(0, 1, 0) == std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15});
}

TEST_CASE("Every rank has one expert coordinate, each stage splits into disjoint EP and expert-DP groups") {
  for (auto order : {ExpertRankOrder::EpInner, ExpertRankOrder::EdpInner}) {
    // DeepSeek-V3's layout: PP 16, dp 128, no TP, EP 64: expert-DP 2.
    const ExpertLayout l(plan(1, 16, 128, 64, 0, order));
    CHECK(l.expert_dp() == 2);
    for (int r = 0; r < 2048; ++r) REQUIRE(l.rank(l.coord(r)) == r);
    for (int stage : {0, 7, 15}) {
      std::multiset<int> seen;
      for (const auto& g : l.ep_groups(stage)) {
        REQUIRE(g.size() == 64);
        seen.insert(g.begin(), g.end());
      }
      CHECK(seen.size() == 128);
      CHECK(std::set<int>(seen.begin(), seen.end()).size() == 128);
      CHECK(*seen.begin() == stage * 128);
    }
  }
  const ExpertLayout l(plan(1, 16, 128, 64));
  CHECK(l.ep_group(3, 1, 0).front() == 3 * 128 + 64);
  CHECK(l.expert_dp_group(0, 5, 0) == std::vector<int>{5, 69});
  // The whole EP group of DeepSeek-V3 spans 8 nodes of 8 (the report's "EP 64 over 8 nodes").
  CHECK(expert_placement(l.ep_group(2, 1, 0), 256, nodes_of_8(256)).nodes() == 8);
}

TEST_CASE("An explicit rank mapping moves the expert groups with it") {
  ParallelPlan p = plan(1, 1, 8, 4);
  p.order = RankOrder::Explicit;
  p.mapping = {7, 6, 5, 4, 3, 2, 1, 0};
  const ExpertLayout l(p);
  CHECK(l.ep_group(0, 0, 0) == std::vector<int>{7, 6, 5, 4});
  CHECK(l.expert_dp_group(0, 1, 0) == std::vector<int>{6, 2});
}

TEST_CASE("GPUs number nodes across clusters in file order") {
  PlatformSpec p = nodes_of_8(2);
  ClusterSpec c;
  c.name = "b";
  c.nodes = 3;
  c.gpus_per_node = 4;
  p.clusters.push_back(c);
  CHECK(node_of_gpu(p, 15) == 1);
  CHECK(node_of_gpu(p, 16) == 2);
  CHECK(node_of_gpu(p, 27) == 4);
  CHECK_THROWS_AS(node_of_gpu(p, 28), InternalError);
}

TEST_CASE("Plan checks for expert parallelism name the key") {
  const auto mixtral = *workload::find_model_preset("mixtral-8x7b");
  const auto llama = *workload::find_model_preset("llama3-8b");
  CHECK(key_of(plan(1, 1, 8, 8), mixtral, 8) == "(valid)");
  CHECK(key_of(plan(1, 1, 8, 8), llama, 8) == "parallelism.ep");
  CHECK(key_of(plan(1, 1, 8, 1, 2), llama, 8) == "parallelism.expert_tp");
  CHECK(key_of(plan(1, 1, 12, 3), mixtral, 12) == "parallelism.ep");      // 8 experts / 3
  CHECK(key_of(plan(1, 1, 6, 4), mixtral, 6) == "parallelism.ep");        // 4 does not divide 6 ranks
  CHECK(key_of(plan(1, 1, 8, 2, 3), mixtral, 8) == "parallelism.expert_tp");  // 14336 / 3
  ParallelPlan no_sp = plan(2, 1, 4, 4);
  no_sp.sequence_parallel = false;
  CHECK(key_of(no_sp, mixtral, 8) == "sequence_parallel");
  // Folding allowed: ep 8 over tp 2 x dp 4.
  CHECK(key_of(plan(2, 1, 4, 8, 1), mixtral, 8) == "(valid)");
}
