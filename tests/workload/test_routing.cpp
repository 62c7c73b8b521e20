// Token routing as data (docs/moe.md, "Routing"): seeded draws, exact bookkeeping, the moments of
// the stated model, capacity drops and node-limited routing by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/sampling.hpp"
#include "workload/routing.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {
struct Moments {
  double mean = 0, var = 0;
};
Moments moments(const std::vector<double>& x) {
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= double(x.size());
  for (double v : x) m.var += (v - m.mean) * (v - m.mean);
  m.var /= double(x.size() - 1);
  return m;
}
MoeSpec moe(int experts, int top_k, double capacity = 0) {
  MoeSpec m;
  m.experts = experts;
  m.top_k = top_k;
  m.expert_ffn_hidden = 1;
  m.capacity_factor = capacity;
  return m;
}
// ep ranks, `per_node` of them per node.
ExpertPlacement placement(int experts, int ep, int per_node) {
  ExpertPlacement p;
  p.experts = experts;
  p.ep = ep;
  for (int r = 0; r < ep; ++r) p.node_of_rank.push_back(r / per_node);
  return p;
}
}  // namespace

TEST_CASE("Binomial draws have the binomial mean and variance on both algorithms") {
  Rng rng(7);
  for (auto [n, p] : {std::pair<int64_t, double>{50, 0.05}, {1000, 0.3}, {100000, 0.01}, {400, 0.9}}) {
    std::vector<double> x;
    for (int i = 0; i < 20000; ++i) {
      const int64_t v = binomial(rng, n, p);
      REQUIRE((v >= 0 && v <= n));
      x.push_back(double(v));
    }
    const Moments m = moments(x);
    const double mean = n * p, var = n * p * (1 - p);
    CHECK(std::abs(m.mean - mean) < 5 * std::sqrt(var / 20000));  // 5 standard errors
    CHECK(m.var == Approx(var).epsilon(0.06));
  }
  CHECK(binomial(rng, 10, 0) == 0);
  CHECK(binomial(rng, 10, 1) == 10);
}

TEST_CASE("Multinomial draws keep the total, Dirichlet weights sum to one, keyed streams are pure functions") {
  Rng rng(3);
  const std::vector<int64_t> c = multinomial(rng, 12345, {0.5, 0, 0.25, 0.25});
  CHECK(std::accumulate(c.begin(), c.end(), int64_t(0)) == 12345);
  CHECK(c[1] == 0);
  const std::vector<double> d = dirichlet(rng, 64, 0.1);
  CHECK(std::accumulate(d.begin(), d.end(), 0.0) == Approx(1).epsilon(1e-12));
  Rng a = keyed_rng(5, "x", {1, 2}), b = keyed_rng(5, "x", {1, 2}), c2 = keyed_rng(5, "x", {2, 1});
  CHECK(a.next_u64() == b.next_u64());
  CHECK(keyed_rng(5, "x", {1, 2}).next_u64() != c2.next_u64());
}

TEST_CASE("Systematic counts: floor or ceil of each share, the total exact") {
  Rng rng(1);
  const std::vector<double> w = {1, 0, 2, 3.5, 0.25};
  for (int64_t n : {0, 1, 7, 100, 12345}) {
    const std::vector<int64_t> c = systematic_counts(rng, n, w);
    CHECK(std::accumulate(c.begin(), c.end(), int64_t(0)) == n);
    CHECK(c[1] == 0);
    for (size_t i = 0; i < w.size(); ++i) {
      const double share = double(n) * w[i] / 6.75;
      CHECK(double(c[i]) >= std::floor(share) - 1e-9);
      CHECK(double(c[i]) <= std::ceil(share) + 1e-9);
    }
  }
}

TEST_CASE("Expert popularity: uniform, Zipf by hand, Dirichlet seeded per layer") {
  RoutingSpec spec;
  CHECK(expert_popularity(spec, 4, 1, 0) == std::vector<double>(4, 0.25));
  spec.distribution = RoutingDistribution::Zipf;
  spec.zipf_exponent = 1;
  std::vector<double> p = expert_popularity(spec, 4, 1, 0);
  std::sort(p.rbegin(), p.rend());
  // 1, 1/2, 1/3, 1/4 over 25/12.
  CHECK(p[0] == Approx(12.0 / 25).epsilon(1e-12));
  CHECK(p[1] == Approx(6.0 / 25).epsilon(1e-12));
  CHECK(p[2] == Approx(4.0 / 25).epsilon(1e-12));
  CHECK(p[3] == Approx(3.0 / 25).epsilon(1e-12));
  // Which expert is hot changes with the layer, not with anything else.
  CHECK(expert_popularity(spec, 64, 1, 0) == expert_popularity(spec, 64, 1, 0));
  CHECK(expert_popularity(spec, 64, 1, 0) != expert_popularity(spec, 64, 1, 1));
  spec.distribution = RoutingDistribution::Dirichlet;
  spec.dirichlet_concentration = 0.5;
  const std::vector<double> d = expert_popularity(spec, 16, 9, 3);
  CHECK(std::accumulate(d.begin(), d.end(), 0.0) == Approx(1).epsilon(1e-12));
  CHECK(d == expert_popularity(spec, 16, 9, 3));
}

TEST_CASE("Dropless routing: every token's k rows are routed, same key, same sample, keys are independent") {
  const MoeSpec m = moe(8, 2);
  const ExpertPlacement pl = placement(8, 4, 2);
  const std::vector<int64_t> tokens = {4096, 4096, 1000, 0};
  const RoutingSample s = route_tokens({}, m, pl, tokens, 42, {0, 3, 7, 1});
  int64_t received = 0;
  for (int src = 0; src < 4; ++src) CHECK(s.rows_sent(src) == tokens[src] * 2);
  for (int dst = 0; dst < 4; ++dst) {
    const std::vector<int64_t> local = s.local_expert_rows(dst);
    CHECK(local == std::vector<int64_t>{s.expert_rows[2 * dst], s.expert_rows[2 * dst + 1]});
    CHECK(local[0] + local[1] == s.rows_received(dst));
    received += s.rows_received(dst);
  }
  CHECK(received == (4096 + 4096 + 1000) * 2);
  CHECK(s.routed == received);
  CHECK(s.dropped == 0);
  CHECK(s.routed_by_expert.empty());
  const RoutingSample again = route_tokens({}, m, pl, tokens, 42, {0, 3, 7, 1});
  CHECK(again.rank_rows == s.rank_rows);
  CHECK(again.expert_rows == s.expert_rows);
  CHECK(again.node_tokens == s.node_tokens);
  CHECK(route_tokens({}, m, pl, tokens, 42, {0, 3, 8, 1}).rank_rows != s.rank_rows);  // next micro-batch
  CHECK(route_tokens({}, m, pl, tokens, 43, {0, 3, 7, 1}).rank_rows != s.rank_rows);  // another seed
  // A source's draw does not depend on the other sources: source 0 alone gives the same rows.
  const RoutingSample other = route_tokens({}, m, pl, {4096, 7, 7, 7}, 42, {0, 3, 7, 1});
  for (int dst = 0; dst < 4; ++dst) CHECK(other.rows(0, dst) == s.rows(0, dst));
}

TEST_CASE("Uniform routing: rows per rank have the top-k binomial moments, every expert gets T k / E per source") {
  // DeepSeek-V3-like group: 256 experts, top 8, EP 64 (8 nodes of 8, 4 experts per rank),
  // 4096 tokens per rank.
  const MoeSpec m = moe(256, 8);
  const ExpertPlacement pl = placement(256, 64, 8);
  std::vector<double> x, expert, received;
  for (int mb = 0; mb < 40; ++mb) {
    const RoutingSample s = route_tokens({}, m, pl, std::vector<int64_t>(64, 4096), 1, {0, 5, mb, 0});
    for (int src = 0; src < 64; ++src) x.push_back(double(s.rows(src, 9)));
    expert.push_back(double(s.expert_rows[17]));
    received.push_back(double(s.rows_received(9)));
  }
  const double T = 4096, k = 8, E = 256, G = 4;
  // A token picks k distinct experts, each of the rank's 4 with probability k / E: rows to a
  // rank are Binomial(T G, k / E) (the exact total T k of a source takes about 1/64 off the
  // variance, within the tolerance).
  const Moments mo = moments(x);
  CHECK(std::abs(mo.mean - T * G * k / E) < 5 * std::sqrt(T * G * k / E / x.size()));
  CHECK(mo.var == Approx(T * G * k / E * (1 - k / E)).epsilon(0.08));
  CHECK(moments(expert).mean == Approx(64 * T * k / E).epsilon(0.01));
  // Every rank receives T k rows on average (its 4 experts from 64 sources): 32768.
  CHECK(moments(received).mean == Approx(T * k).epsilon(0.01));
}

TEST_CASE("Capacity factor: capacity ceil(cf T k / E) per source and expert, drops counted") {
  const MoeSpec m = moe(8, 2, 1.0);
  const ExpertPlacement pl = placement(8, 8, 8);
  RoutingSpec zipf;
  zipf.distribution = RoutingDistribution::Zipf;
  zipf.zipf_exponent = 1.5;
  const std::vector<int64_t> tokens(8, 1000);
  const RoutingSample s = route_tokens(zipf, m, pl, tokens, 11, {0, 0, 0, 0});
  const int64_t capacity = 250;  // ceil(1.0 x 1000 x 2 / 8)
  int64_t dropped = 0;
  REQUIRE(s.routed_by_expert.size() == 64);
  for (size_t i = 0; i < s.routed_by_expert.size(); ++i) {
    CHECK(s.routed_by_expert[i] <= 1000);  // a token picks an expert at most once
    CHECK(s.kept_by_expert[i] == std::min(s.routed_by_expert[i], capacity));
    dropped += s.routed_by_expert[i] - s.kept_by_expert[i];
  }
  CHECK(s.dropped == dropped);
  CHECK(s.routed == 8 * 1000 * 2);
  for (int src = 0; src < 8; ++src) {
    int64_t kept = 0;
    for (int e = 0; e < 8; ++e) kept += s.kept_by_expert[src * 8 + e];
    CHECK(s.rows_sent(src) == kept);
  }
  // Zipf 1.5 over 8 experts: the hottest has weight 0.519, i.e. 1.04 of a token's 2 picks,
  // capped at 1: every token picks it, 750 of its 1000 rows over the capacity, per source.
  CHECK(dropped >= 8 * 750);
  // The same draw without a capacity routes the same rows: the drops come from the capacity.
  const RoutingSample free = route_tokens(zipf, moe(8, 2), pl, tokens, 11, {0, 0, 0, 0});
  for (int src = 0; src < 8; ++src)
    for (int e = 0; e < 8; ++e) CHECK(free.rows(src, e) == s.routed_by_expert[src * 8 + e]);
  CHECK(free.dropped == 0);
  // cf = E / k: the capacity is T, nothing can be dropped.
  CHECK(route_tokens(zipf, moe(8, 2, 4.0), pl, tokens, 11, {0, 0, 0, 0}).dropped == 0);
}

TEST_CASE("Node inclusion of node-limited routing by hand (water-filling)") {
  // Uniform over 8 nodes, at most 4 per token: each node visited by half the tokens.
  CHECK(node_inclusion(std::vector<double>(8, 0.125), 8, 4) == std::vector<double>(8, 0.5));
  // One hot node: capped at 1, the others share the remaining 1 in proportion: 1/3 each.
  const std::vector<double> q = node_inclusion({0.7, 0.1, 0.1, 0.1}, 8, 2);
  CHECK(q[0] == 1.0);
  for (int n = 1; n < 4; ++n) CHECK(q[n] == Approx(1.0 / 3).epsilon(1e-12));
  // A node cannot get more visits than k P_n: with k 2, P 0.05 gives at most 0.1.
  const std::vector<double> r = node_inclusion({0.9, 0.05, 0.05}, 2, 1);
  CHECK(std::accumulate(r.begin(), r.end(), 0.0) == Approx(1).epsilon(1e-12));
  CHECK(r[1] <= 0.1 + 1e-12);
}

TEST_CASE("Node-limited routing: tokens reach at most M nodes on average, experts keep their load") {
  const MoeSpec m = moe(256, 8);
  const ExpertPlacement pl = placement(256, 64, 8);  // 8 nodes
  RoutingSpec limited;
  limited.max_nodes = 4;
  double visits_limited = 0, visits_free = 0, rows_17 = 0;
  const int draws = 20;
  for (int mb = 0; mb < draws; ++mb) {
    const RoutingSample a = route_tokens(limited, m, pl, std::vector<int64_t>(64, 4096), 2, {0, 4, mb, 0});
    const RoutingSample b = route_tokens({}, m, pl, std::vector<int64_t>(64, 4096), 2, {0, 4, mb, 0});
    visits_limited += std::accumulate(a.node_tokens.begin(), a.node_tokens.end(), 0.0);
    visits_free += std::accumulate(b.node_tokens.begin(), b.node_tokens.end(), 0.0);
    rows_17 += double(a.expert_rows[17]);
    for (int src = 0; src < 64; ++src) REQUIRE(a.rows_sent(src) == 4096 * 8);
    // A token visits a node only with a row there, and at most once.
    for (int src = 0; src < 64; ++src)
      for (int n = 0; n < 8; ++n) {
        int64_t node_rows = 0;
        for (int r = n * 8; r < n * 8 + 8; ++r) node_rows += a.rows(src, r);
        REQUIRE(a.node_tokens[size_t(src) * 8 + n] <= std::min<int64_t>(node_rows, 4096));
      }
  }
  const double tokens = 64.0 * 4096 * draws;
  // Limited: 4 nodes per token. Unlimited, uniform: 8 (1 - (7/8)^8) = 5.25 distinct nodes.
  CHECK(visits_limited / tokens == Approx(4).epsilon(0.005));
  CHECK(visits_free / tokens == Approx(8 * (1 - std::pow(7.0 / 8, 8))).epsilon(0.005));
  CHECK(rows_17 / draws == Approx(64 * 4096 * 8 / 256.0).epsilon(0.02));
}

TEST_CASE("With one expert per token, distinct tokens per node equal its rows") {
  const RoutingSample s = route_tokens({}, moe(4, 1), placement(4, 4, 2), {500, 300, 0, 77}, 5, {1, 1, 1, 1});
  for (int src = 0; src < 4; ++src)
    for (int n = 0; n < 2; ++n) CHECK(s.node_tokens[size_t(src) * 2 + n] == s.rows(src, 2 * n) + s.rows(src, 2 * n + 1));
}

TEST_CASE("Routing inputs out of range are input errors") {
  const MoeSpec m = moe(8, 2);
  CHECK_THROWS_AS(route_tokens({}, m, placement(8, 3, 1), {1, 1, 1}, 0, {}), InputError);  // 8 experts / 3
  CHECK_THROWS_AS(route_tokens({}, m, placement(8, 4, 2), {1, 1}, 0, {}), InputError);     // token counts
  RoutingSpec bad;
  bad.distribution = RoutingDistribution::Zipf;
  bad.zipf_exponent = 0;
  CHECK_THROWS_AS(validate(bad), InputError);
  bad.distribution = RoutingDistribution::Dirichlet;
  bad.dirichlet_concentration = 0;
  CHECK_THROWS_AS(validate(bad), InputError);
}
