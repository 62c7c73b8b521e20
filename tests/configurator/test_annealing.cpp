// Pipette's annealing: its moves and uphill scale by hand, the search against exhaustive optima,
// determinism; node grids, their classes modulo row rotation and the explicit mapping.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

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
  double best = 1e300;
  for (const NodeGrid& g : all_placements(n, pp)) best = std::min(best, f(g));
  return best;
}
}  // namespace

TEST_CASE("Pipette's uphill scale: int(log10) of milliseconds, by hand") {
  // 25 ms: int(1.398) = 1 -> 25 / 100; 2.5 ms: int(0.398) = 0 -> 2.5 / 10.
  CHECK(pipette_uphill(0.025, 1) == Approx(0.25));
  CHECK(pipette_uphill(0.0025, 1) == Approx(0.25));
  // 0.5 ms: int(-0.301) = 0 (toward zero; floor would give -1 and 0.5) -> 0.5 / 10 = 0.05.
  CHECK(pipette_uphill(0.0005, 1) == Approx(0.05));
  // 0.05 ms: int(-1.301) = -1 -> 0.05 / 10^0.
  CHECK(pipette_uphill(0.00005, 1) == Approx(0.05));
  CHECK(relative_uphill(0.1, 2) == Approx(0.05));
}

TEST_CASE("Pipette moves by hand: reversal of i..j-1, insertion both ways, routes") {
  std::vector<int> p{0, 1, 2, 3, 4, 5};
  reverse_segment(p, 1, 4);  // p[1..3] reversed, p[4] stays
  CHECK(p == std::vector<int>{0, 3, 2, 1, 4, 5});
  p = {0, 1, 2, 3, 4, 5};
  insert_element(p, 1, 4);  // forward
  CHECK(p == std::vector<int>{0, 2, 3, 4, 1, 5});
  insert_element(p, 4, 1);  // and back
  CHECK(p == std::vector<int>{0, 1, 2, 3, 4, 5});
  insert_route(p, 1, 2, 3, false);  // [1 2] moved after the remaining 0 3 4
  CHECK(p == std::vector<int>{0, 3, 4, 1, 2, 5});
  p = {0, 1, 2, 3, 4, 5};
  insert_route(p, 1, 2, 0, true);
  CHECK(p == std::vector<int>{2, 1, 0, 3, 4, 5});
  // Every random move keeps a permutation, and every move kind happens.
  trainsim::Rng rng(3);
  std::set<std::vector<int>> seen;
  p = {0, 1, 2, 3};
  for (int k = 0; k < 2000; ++k) {
    random_move(p, rng);
    auto s = p;
    std::sort(s.begin(), s.end());
    REQUIRE(s == std::vector<int>{0, 1, 2, 3});
    seen.insert(p);
  }
  CHECK(seen.size() == 24);
}

TEST_CASE("Pipette's schedule (random start, T0 1, x0.999, 20000 moves) against exhaustive optima") {
  // The published schedule is pure descent once T < 1% (after ~4600 moves): it finds the
  // optimum on most, not all, small cases (22 of these 24); restarts from the best state
  // (reheating) do at least as well.
  int cases = 0, found = 0, found_reheated = 0;
  for (auto [n, pp] : {std::pair{6, 2}, std::pair{6, 3}, std::pair{8, 4}, std::pair{8, 2}}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      const auto bw = random_matrix(n, seed * 100 + n);
      for (auto variant : {PipetteRules::released(), PipetteRules::corrected()}) {
        const auto t = terms(pp, 2, n / pp);
        auto f = [&](const NodeGrid& g) { return annealing_objective(t, g, bw, variant); };
        trainsim::Rng rng(seed);
        const NodeGrid start = random_grid(n, pp, rng);
        const double optimum = exhaustive_min(n, pp, f);
        AnnealingOptions o;
        o.seed = seed;
        const auto plain = anneal(start, f, o);
        REQUIRE(!plain.best.empty());
        CHECK(f(plain.best.front().grid) == plain.best.front().objective);
        CHECK(plain.best.front().objective >= optimum * (1 - 1e-12));
        ++cases;
        found += plain.best.front().objective <= optimum * (1 + 1e-12);
        o.reheat_every = 5000;
        const auto reheated = anneal(start, f, o);
        found_reheated += reheated.best.front().objective <= optimum * (1 + 1e-12);
      }
    }
  }
  WARN("optimum found: " << found << " of " << cases << " (Pipette's schedule), " << found_reheated << " (reheating)");
  CHECK(4 * found >= 3 * cases);
  CHECK(found_reheated >= found);
}

TEST_CASE("Annealing is deterministic and keeps distinct, sorted best and worst mappings") {
  const auto bw = random_matrix(8, 7);
  const auto t = terms(4, 1, 2);
  auto f = [&](const NodeGrid& g) { return annealing_objective(t, g, bw, PipetteRules::released()); };
  AnnealingOptions o;
  o.iterations = 5000;
  o.seed = 42;
  const auto a = anneal(megatron_grid(8, 4), f, o), b = anneal(megatron_grid(8, 4), f, o);
  REQUIRE(a.best.size() == 3);
  REQUIRE(a.worst.size() == 3);
  for (size_t i = 0; i < a.best.size(); ++i) CHECK(a.best[i].grid == b.best[i].grid);
  CHECK(a.best[0].objective <= a.best[1].objective);
  CHECK(a.best[1].objective <= a.best[2].objective);
  CHECK(a.worst[0].objective >= a.worst[1].objective);
  CHECK(a.worst[2].objective >= a.best[0].objective);
  CHECK(!(a.best[0].grid == a.best[1].grid));
  for (const auto& r : a.best) {
    auto nodes = r.grid.nodes;
    std::sort(nodes.begin(), nodes.end());
    for (int i = 0; i < 8; ++i) CHECK(nodes[i] == i);
  }
  CHECK(a.best[0].objective <= f(megatron_grid(8, 4)));  // the start is among the kept states
}

TEST_CASE("On a uniform cluster every mapping costs the same") {
  const auto bw = NodeBandwidth::uniform(8, 10e9, 150e9);
  trainsim::Rng rng(5);
  for (int pp : {1, 2, 4, 8}) {
    const auto t = terms(pp, 4, 8 / pp);
    for (auto v : {PipetteRules::released(), PipetteRules::corrected()}) {
      const double ref = pipette_time(t, megatron_grid(8, pp), bw, v).total;
      for (int k = 0; k < 50; ++k) CHECK(pipette_time(t, random_grid(8, pp, rng), bw, v).total == Approx(ref).epsilon(1e-14));
    }
  }
}

TEST_CASE("Placements modulo row rotation: counts, canonical forms, enumeration") {
  CHECK(placement_classes(4, 2, 1000) == 12);     // 4! / 2 rows
  CHECK(placement_classes(8, 8, 1000000) == 40320);  // one row: 8!
  CHECK(placement_classes(8, 1, 1000000) == 5040);   // 8 rows: 8! / 8
  CHECK(placement_classes(16, 1, 1000) == 1000);     // saturated
  for (auto [n, pp] : {std::pair{4, 2}, std::pair{4, 1}, std::pair{6, 3}, std::pair{6, 2}}) {
    const auto all = all_placements(n, pp);
    CHECK(static_cast<long long>(all.size()) == placement_classes(n, pp, 1000000));
    std::set<std::vector<int>> canon;
    for (const auto& g : all) {
      CHECK(canonical_grid(g) == g);
      canon.insert(g.nodes);
    }
    CHECK(canon.size() == all.size());
  }
  // Every rotation of the rows has the same canonical grid.
  NodeGrid g{2, 3, {4, 1, 0, 5, 3, 2}};
  NodeGrid r1{2, 3, {0, 5, 3, 2, 4, 1}};
  CHECK(canonical_grid(g) == canonical_grid(r1));
  CHECK(canonical_grid(g).nodes == std::vector<int>{0, 5, 3, 2, 4, 1});
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
