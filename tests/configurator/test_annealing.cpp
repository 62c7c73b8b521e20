// The annealing finds the optimum where exhaustive search is possible; a uniform cluster makes
// every mapping cost the same; node grids become trainsim mappings.
#include <algorithm>
#include <catch2/catch.hpp>

#include "configurator/annealing.hpp"
#include "configurator/pipette_model.hpp"
#include "core/random.hpp"

using namespace trainsim::configurator;

namespace {
NodeBandwidth random_matrix(int n, uint64_t seed) {
  trainsim::Rng rng(seed);
  std::vector<std::vector<double>> m(n, std::vector<double>(n));
  for (int a = 0; a < n; ++a) {
    m[a][a] = 150e9;
    for (int b = a + 1; b < n; ++b) m[a][b] = m[b][a] = rng.uniform(4e9, 12e9);
  }
  return NodeBandwidth(m);
}

PipetteTerms terms(int pp, int d_in, int d_out) {
  PipetteTerms t;
  t.t_f = 0.05, t.t_b = 0.1, t.m = 16, t.pp = pp, t.d_in = d_in, t.d_out = d_out;
  t.s_pp = 25e6, t.s_dp = 400e6;
  return t;
}

double exhaustive_min(int n, int pp, const std::function<double(const NodeGrid&)>& f) {
  NodeGrid g = megatron_grid(n, pp);
  std::sort(g.nodes.begin(), g.nodes.end());
  double best = 1e300;
  do best = std::min(best, f(g));
  while (std::next_permutation(g.nodes.begin(), g.nodes.end()));
  return best;
}
}  // namespace

TEST_CASE("Annealing finds the exhaustive optimum on small clusters") {
  for (auto [n, pp] : {std::pair{6, 2}, std::pair{6, 3}, std::pair{8, 4}, std::pair{8, 2}}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      const auto bw = random_matrix(n, seed * 100 + n);
      for (auto variant : {PipetteVariant::Faithful, PipetteVariant::Corrected}) {
        const auto t = terms(pp, 2, n / pp);
        auto f = [&](const NodeGrid& g) { return annealing_objective(t, g, bw, variant); };
        AnnealingOptions o;
        o.iterations = 30000;
        o.seed = seed;
        const auto best = anneal(megatron_grid(n, pp), f, o);
        INFO("n=" << n << " pp=" << pp << " seed=" << seed);
        REQUIRE(!best.empty());
        CHECK(best.front().objective == Approx(exhaustive_min(n, pp, f)).epsilon(1e-12));
        CHECK(f(best.front().grid) == best.front().objective);
      }
    }
  }
}

TEST_CASE("Annealing is deterministic and keeps distinct, sorted mappings") {
  const auto bw = random_matrix(8, 7);
  const auto t = terms(4, 1, 2);
  auto f = [&](const NodeGrid& g) { return annealing_objective(t, g, bw, PipetteVariant::Faithful); };
  AnnealingOptions o;
  o.iterations = 5000;
  o.seed = 42;
  const auto a = anneal(megatron_grid(8, 4), f, o), b = anneal(megatron_grid(8, 4), f, o);
  REQUIRE(a.size() == 3);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].grid == b[i].grid);
  CHECK(a[0].objective <= a[1].objective);
  CHECK(a[1].objective <= a[2].objective);
  CHECK(!(a[0].grid == a[1].grid));
  // every result is a permutation of the nodes
  for (const auto& r : a) {
    auto nodes = r.grid.nodes;
    std::sort(nodes.begin(), nodes.end());
    for (int i = 0; i < 8; ++i) CHECK(nodes[i] == i);
  }
  // never worse than the start
  CHECK(a[0].objective <= f(megatron_grid(8, 4)));
}

TEST_CASE("On a uniform cluster every mapping costs the same") {
  const auto bw = NodeBandwidth::uniform(8, 10e9, 150e9);
  trainsim::Rng rng(5);
  for (int pp : {1, 2, 4, 8}) {
    const auto t = terms(pp, 4, 8 / pp);
    for (auto v : {PipetteVariant::Faithful, PipetteVariant::Corrected}) {
      const double ref = pipette_time(t, megatron_grid(8, pp), bw, v).total;
      NodeGrid g = megatron_grid(8, pp);
      for (int k = 0; k < 50; ++k) {
        for (int i = 7; i > 0; --i) std::swap(g.nodes[i], g.nodes[rng.below(i + 1)]);
        CHECK(pipette_time(t, g, bw, v).total == Approx(ref).epsilon(1e-14));
      }
    }
  }
}

TEST_CASE("Node grids: Megatron's order and the explicit mapping") {
  const NodeGrid m = megatron_grid(4, 2);  // rows 2: stage s on nodes 2s, 2s+1
  CHECK(m.nodes == std::vector<int>{0, 2, 1, 3});
  // Megatron's grid gives the identity mapping (rank = GPU), for any tp dividing the node.
  for (int tp : {1, 2, 4, 8}) {
    const auto map = grid_to_mapping(m, tp, 8);
    for (size_t r = 0; r < map.size(); ++r) CHECK(map[r] == static_cast<int>(r));
  }
  // A swapped grid: stage 0 of row 0 on node 3. tp 4, d_in 2, dp 4: rank (s0, d0, t1) = 1 ->
  // node 3, local 1 = GPU 25.
  NodeGrid g{2, 2, {3, 0, 1, 2}};
  const auto map = grid_to_mapping(g, 4, 8);
  CHECK(map[1] == 25);
  CHECK(map[4] == 28);        // (s0, d1, t0): node 3, local 4
  CHECK(map[8] == 8);         // (s0, d2, t0): row 1 -> node 1, local 0
  CHECK(map[16] == 0);        // (s1, d0, t0): node 0
  CHECK(grid_text(g) == "n3 n0 | n1 n2");
}
