// Collectives against closed forms on uniform links, and bounded by a slow link.
#include <catch2/catch.hpp>

#include <algorithm>

#include "collective/algorithms.hpp"
#include "collective/benchmark.hpp"
#include "collective/closed_form.hpp"
#include "collective/topology.hpp"
#include "collective_benchmark/job.hpp"
#include "collective/trees.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "support/platforms.hpp"

using namespace trainsim;

namespace {

// Runs one collective over `gpus` and returns its duration.
double time_collective(Simulation& sim, std::vector<int> gpus, CollectiveKind kind, CollectiveAlgorithm algo,
                       double bytes, Granularity g = Granularity::Aggregated) {
  CollectiveBenchSpec spec;
  spec.collectives = {kind};
  spec.algorithms = {algo};
  spec.min_bytes = spec.max_bytes = bytes;
  auto r = run_collective_benchmark(sim, spec, gpus, nullptr, g);
  REQUIRE(r.size() == 1);
  return r[0].seconds;
}

std::vector<int> range(int n) {
  std::vector<int> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace

TEST_CASE("ring all-reduce on one NVSwitch node matches 2(n-1)/n*S/B + 2(n-1)*latency", "[collective]") {
  const double B = 100e9, S = 1e9;
  Simulation sim(testing::uniform_cluster(1, 8, B, 25e9, 1e-6), 0);
  const double L = sim.network().route_latency(0, 1);
  REQUIRE(L > 0);
  const int n = 8;
  double t = time_collective(sim, range(n), CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, S);
  CHECK(t == Approx(2.0 * (n - 1) / n * S / B + 2.0 * (n - 1) * L).epsilon(1e-6));
}

TEST_CASE("stepwise ring equals aggregated ring on uniform links", "[collective]") {
  const double B = 100e9, S = 64e6;
  Simulation sim(testing::uniform_cluster(1, 8, B, 25e9, 2e-6), 0);
  const double L = sim.network().route_latency(0, 1);
  double t = time_collective(sim, range(8), CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, S,
                             Granularity::Stepwise);
  CHECK(t == Approx(2.0 * 7 / 8 * S / B + 14 * L).epsilon(1e-6));
}

TEST_CASE("nccl-tests bus bandwidth of every collective equals the link bandwidth on one switch", "[collective]") {
  // On a non-blocking NVSwitch with per-GPU ports of bandwidth B, every bandwidth-optimal
  // collective's busbw tends to B for large messages (nccl-tests' definition).
  const double B = 100e9, S = 4e9;
  Simulation sim(testing::uniform_cluster(1, 8, B, 25e9, 1e-6), 0);
  CollectiveBenchSpec spec;
  spec.collectives = {CollectiveKind::AllReduce, CollectiveKind::ReduceScatter, CollectiveKind::AllGather,
                      CollectiveKind::Broadcast, CollectiveKind::AllToAll, CollectiveKind::SendRecv};
  spec.algorithms = {CollectiveAlgorithm::Ring};
  spec.min_bytes = spec.max_bytes = S;
  auto results = run_collective_benchmark(sim, spec, range(8), nullptr);
  REQUIRE(results.size() == 6);
  for (const auto& r : results) {
    INFO(collective_name(r.what.kind));
    CHECK(r.busbw == Approx(B).epsilon(0.001));
    CHECK(r.algbw == Approx(r.busbw / bus_bandwidth_factor(r.what.kind, 8)));
  }
}

TEST_CASE("a ring across nodes is bounded by its slowest link", "[collective]") {
  // 4 nodes x 1 GPU, NICs 25 GB/s; one NIC degraded to 5 GB/s bounds the whole ring.
  auto spec = testing::uniform_cluster(4, 1, 100e9, 25e9, 1e-6);
  spec.overrides.push_back({"c.n2.nic0", 5e9, std::nullopt, std::nullopt, {}});
  Simulation sim(spec, 0);
  const double S = 1e9;
  double t = time_collective(sim, range(4), CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, S);
  const double volume = 2.0 * 3 / 4 * S;
  CHECK(t >= volume / 5e9);
  CHECK(t == Approx(volume / 5e9).epsilon(0.01));
}

TEST_CASE("multi-node rings use one channel per NIC", "[collective]") {
  // 2 nodes x 8 GPUs, 8 NICs of 25 GB/s each: 8 channels carry S/8 each across the nodes,
  // so busbw reaches 8 x 25 GB/s when NVLink is not the bottleneck.
  Simulation sim(testing::uniform_cluster(2, 8, 1000e9, 25e9, 1e-6), 0);
  const double S = 8e9;
  double t = time_collective(sim, range(16), CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, S);
  double busbw = S / t * bus_bandwidth_factor(CollectiveKind::AllReduce, 16);
  CHECK(busbw == Approx(200e9).epsilon(0.01));
}

TEST_CASE("hierarchical all-reduce: intra-node phases plus one inter-node ring per rail", "[collective]") {
  const double nvl = 200e9, nic = 25e9, S = 8e9;
  Simulation sim(testing::uniform_cluster(2, 8, nvl, nic, 0), 0);
  double t = time_collective(sim, range(16), CollectiveKind::AllReduce, CollectiveAlgorithm::Hierarchical, S);
  // reduce-scatter and all-gather inside nodes: (g-1)/g*S/nvl each; inter-node: 2(n-1)/n*(S/g)/nic.
  const double expect = 2 * (7.0 / 8 * S / nvl) + 2.0 * 1 / 2 * (S / 8) / nic;
  CHECK(t == Approx(expect).epsilon(1e-6));
}

TEST_CASE("double binary trees: leaves of one tree are interior in the other", "[collective]") {
  for (int n : {2, 4, 8, 16, 30}) {
    Tree a = make_inorder_tree(n, 0), b = make_inorder_tree(n, 1);
    int roots = 0, both_interior = 0;
    for (int r = 0; r < n; ++r) {
      roots += (a.parent[r] < 0) + (b.parent[r] < 0);
      both_interior += !a.children[r].empty() && !b.children[r].empty();
      CHECK(a.children[r].size() <= 2);
    }
    CHECK(roots == 2);
    CHECK(both_interior <= 1);
  }
  Tree t = make_inorder_tree(7, 0);
  CHECK(t.parent[3] == -1);
  CHECK(t.parent[1] == 3);
  CHECK(t.parent[0] == 1);
  CHECK(t.depth == 2);
}

TEST_CASE("tree all-reduce is bounded by its busiest port", "[collective]") {
  const double B = 100e9, S = 1e9;
  const int n = 8;
  Simulation sim(testing::uniform_cluster(1, n, B, 25e9, 0), 0);
  double t = time_collective(sim, range(n), CollectiveKind::AllReduce, CollectiveAlgorithm::Tree, S);
  // Each tree carries S/2 up (reduce) and down (broadcast) every edge, all edges at once:
  // a rank's port sends S/2 per tree neighbour, so the busiest rank bounds the time.
  int busiest = 0;
  for (int r = 0; r < n; ++r) {
    int edges = 0;
    for (int shift = 0; shift < 2; ++shift) {
      Tree tr = make_inorder_tree(n, shift);
      edges += static_cast<int>(tr.children[r].size()) + (tr.parent[r] >= 0);
    }
    busiest = std::max(busiest, edges);
  }
  CHECK(t == Approx(busiest * (S / 2) / B).epsilon(1e-6));
}

TEST_CASE("closed forms: a ring all-reduce is 2(n-1)/n S/B + count x 2(n-1) L on its bottleneck", "[collective]") {
  const double B = 100e9, S = 1e9;
  auto spec = testing::uniform_cluster(1, 8, B, 25e9, 1e-6);
  spec.overrides.push_back({"c.n0.gpu5.nvlink", 40e9, std::nullopt, std::nullopt, {}});  // the bottleneck
  Simulation sim(spec, 0);
  GroupTopology group(sim.network(), range(8));
  ClosedForms cf(group);
  const double L = group.ring_step_latency(0);
  CollectiveCall call;
  call.bytes = S, call.count = 3;
  for (int r = 0; r < 8; ++r) CHECK(cf.seconds(r, call) == Approx(2.0 * 7 / 8 * S / 40e9 + 3 * 14 * L).epsilon(1e-12));
  // Its flows: each rank sends 2(n-1)/n S to its ring successor.
  double sent = 0;
  cf.for_each_flow(2, call, [&](int dst, double bytes) {
    CHECK(dst == 3);
    sent += bytes;
  });
  CHECK(sent == Approx(2.0 * 7 / 8 * S));
  call.kind = CollectiveKind::Barrier;
  CHECK(cf.seconds(0, call) == 0);
}

TEST_CASE("closed forms equal the simulated flows of every algorithm on uniform links", "[collective]") {
  // 2 nodes x 4 GPUs, one NIC per GPU: rings run 4 channels, hierarchical 3 phases, trees cross
  // the NICs. Each (collective, algorithm) runs alone, as in the benchmark.
  Simulation sim(testing::uniform_cluster(2, 4, 100e9, 25e9, 2e-6), 0);
  CollectiveBenchSpec spec;
  spec.collectives = {CollectiveKind::AllReduce, CollectiveKind::ReduceScatter, CollectiveKind::AllGather,
                      CollectiveKind::Broadcast, CollectiveKind::AllToAll, CollectiveKind::SendRecv};
  spec.algorithms = {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Hierarchical};
  spec.min_bytes = spec.max_bytes = 256e6;
  const auto results = run_collective_benchmark(sim, spec, range(8), nullptr);
  GroupTopology group(sim.network(), range(8));
  ClosedForms cf(group);
  REQUIRE(results.size() == 9);
  for (const auto& r : results) {
    INFO(collective_name(r.what.kind) << " " << algorithm_name(r.what.algorithm));
    CollectiveCall call;
    call.kind = r.what.kind, call.algorithm = r.what.algorithm, call.bytes = r.what.bytes;
    double slowest = 0;
    for (int rank = 0; rank < 8; ++rank) slowest = std::max(slowest, cf.seconds(rank, call));
    CHECK(r.seconds == Approx(slowest).epsilon(1e-6));
  }
}
