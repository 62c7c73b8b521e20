// Pipette's cost formula against hand computations (docs/pipette.md).
#include <catch2/catch.hpp>

#include "configurator/amp_model.hpp"
#include "configurator/pipette_model.hpp"
#include "configurator/rank_correlation.hpp"

using namespace trainsim::configurator;

namespace {
// 4 nodes: every pair 10 GB/s except n0-n3 at 5 GB/s; diagonal 100 GB/s except n2 at 50.
NodeBandwidth four_nodes() {
  std::vector<std::vector<double>> m(4, std::vector<double>(4, 10e9));
  for (int i = 0; i < 4; ++i) m[i][i] = 100e9;
  m[2][2] = 50e9;
  m[0][3] = m[3][0] = 5e9;
  return NodeBandwidth(m);
}
}  // namespace

TEST_CASE("Pipette: S_pp and faithful S_dp by hand") {
  CHECK(activation_bytes(2, 1024, 3072) == 2.0 * 1024 * 3072 * 2);
  // (h V + L/pp 16 h^2) / tp * 2 with h=3072, V=51200, L=64, pp=4, tp=2
  const double h = 3072;
  CHECK(faithful_gradient_bytes(64, 3072, 51200, 4, 2) == Approx((h * 51200 + 16 * 16 * h * h) / 2 * 2));
}

TEST_CASE("Pipette: communication terms by hand") {
  const auto bw = four_nodes();
  NodeGrid g{2, 2, {0, 3, 1, 2}};  // row 0: n0 -> n3 (5 GB/s); row 1: n1 -> n2 (10 GB/s)
  // C_pp = max(2*1e9/5e9, 2*1e9/10e9) = 0.4 s
  CHECK(pipeline_comm(g, bw, 1e9) == Approx(0.4));
  // stage 0 ring: n0, n1 at 10 GB/s: 2*(2-1)*S/2 / 10e9 with S = 2e9 -> 0.2 s
  CHECK(dp_inter_comm(g, bw, 2e9, false) == Approx(0.2));
  // stage 1 ring: n3, n2 at 10 GB/s too -> same
  CHECK(dp_inter_comm(g, bw, 2e9, true) == Approx(0.2));
  NodeGrid g2{2, 2, {0, 1, 3, 2}};  // stage 0 ring n0-n3 at 5 GB/s
  CHECK(dp_inter_comm(g2, bw, 2e9, false) == Approx(0.4));
  NodeGrid g3{2, 2, {1, 0, 2, 3}};  // stage 1 ring n0-n3: only the corrected variant sees it
  CHECK(dp_inter_comm(g3, bw, 2e9, false) == Approx(0.2));
  CHECK(dp_inter_comm(g3, bw, 2e9, true) == Approx(0.4));
  // inner: d_in = 4: 2*3*S/4 * max(1/B[n][n]) = 1.5 * 2e9 / 50e9 = 0.06 s
  CHECK(dp_inner_comm(g, bw, 2e9, 4) == Approx(0.06));
  CHECK(dp_inner_comm(g, bw, 2e9, 1) == 0);
}

TEST_CASE("Pipette: iteration time, faithful floor and corrected remainder") {
  const auto bw = four_nodes();
  NodeGrid g{2, 2, {0, 3, 1, 2}};
  PipetteTerms t;
  t.t_f = 0.1, t.t_b = 0.2, t.m = 7, t.pp = 2, t.d_in = 4, t.d_out = 2, t.s_pp = 1e9, t.s_dp = 2e9;
  // (pp-1)(tf+tb) = 0.3; C_pp = 0.4; C_dp = 0.2 + 0.06
  const auto f = pipette_time(t, g, bw, PipetteVariant::Faithful);
  CHECK(f.total == Approx(0.3 + 3 * (2 * 0.3 + 0.4) + 0.26));  // floor(7/2) = 3
  const auto c = pipette_time(t, g, bw, PipetteVariant::Corrected);
  CHECK(c.total == Approx(0.3 + 3.5 * (2 * 0.3 + 0.4) + 0.26));
  // m < pp: (m-1)(tf+tb) + pp(tf+tb) + C_pp + C_dp
  t.m = 1;
  CHECK(pipette_time(t, g, bw, PipetteVariant::Faithful).total == Approx(0 + 0.6 + 0.4 + 0.26));
  // Faithful annealing objective: communication only
  t.m = 7;
  CHECK(annealing_objective(t, g, bw, PipetteVariant::Faithful) == Approx(0.4 + 0.2 + 0.06));
  CHECK(annealing_objective(t, g, bw, PipetteVariant::Corrected) == Approx(c.total));
}

TEST_CASE("AMP: cost formula by hand") {
  const auto bw = four_nodes();
  // per-node inter: n0: (10+10+5)/3, n1: 10, n2: 10, n3: (5+10+10)/3
  const auto inter = per_node_inter_bandwidth(bw);
  CHECK(inter[0] == Approx(25e9 / 3));
  CHECK(inter[1] == Approx(10e9));
  NodeGrid g{2, 2, {0, 2, 1, 3}};
  AmpTerms t;
  t.t_f = 0.1, t.m = 4, t.pp = 2, t.dp = 8, t.d_out = 2, t.s_pp = 1e9, t.s_dp = 2e9;
  // (m-1)*0.3 + pp*0.3 = 1.5; boundary: rows min inter 25/3 GB/s for both -> 2*1*1e9/(25e9/3) = 0.24
  // dp: 2*7*2e9/(8*25e9/3) = 0.42
  CHECK(amp_time(t, g, bw) == Approx(1.5 + 0.24 + 0.42));
}

TEST_CASE("Rank correlation by hand") {
  CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1));
  CHECK(spearman({1, 2, 3, 4}, {40, 30, 20, 10}) == Approx(-1));
  // x = 1..4, y ranks 1,3,2,4: d^2 = 0+1+1+0 = 2 -> 1 - 6*2/(4*15) = 0.8
  CHECK(spearman({1, 2, 3, 4}, {1, 3, 2, 4}) == Approx(0.8));
  // 6 pairs, one discordant: (5-1)/6
  CHECK(kendall({1, 2, 3, 4}, {1, 3, 2, 4}) == Approx(4.0 / 6));
  CHECK(std::isnan(kendall({1, 2}, {1, std::nan("")})));
  CHECK(std::isnan(spearman({1}, {1})));
  // ties: average ranks
  const auto r = average_ranks({5, 1, 5, 2});
  CHECK(r == std::vector<double>{3.5, 1, 3.5, 2});
}
