// Pipette's and AMP's cost formulas, Megatron's rule and the rank statistics against hand
// computations (docs/pipette.md).
#include <catch2/catch.hpp>
#include <cmath>

#include "configurator/amp_model.hpp"
#include "configurator/megatron_rule.hpp"
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

TEST_CASE("Pipette: S_pp and faithful S_dp by hand, 4 bytes per element in the released code") {
  CHECK(PipetteRules::released().element_bytes == 4);
  CHECK(PipetteRules::corrected().element_bytes == 2);
  CHECK(activation_bytes(2, 1024, 3072, 4) == 2.0 * 1024 * 3072 * 4);
  // (h V + L/pp 16 h^2) / tp * 4 with h=3072, V=51200, L=64, pp=4, tp=2
  const double h = 3072;
  CHECK(faithful_gradient_bytes(64, 3072, 51200, 4, 2, 4) == Approx((h * 51200 + 16 * 16 * h * h) / 2 * 4));
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
  // inner, d_in = 4: 2*3*S/4 * max(1/B[n][n]). Pipette looks at the first node of each
  // pipeline (n0, n1 here: 100 GB/s) -> 1.5 * 2e9 / 100e9 = 0.03 s; over all nodes n2's 50
  // GB/s counts -> 0.06 s.
  CHECK(dp_inner_comm(g, bw, 2e9, 4, false) == Approx(0.03));
  CHECK(dp_inner_comm(g, bw, 2e9, 4, true) == Approx(0.06));
  NodeGrid g4{2, 2, {2, 0, 1, 3}};  // n2 first in row 0: both see it
  CHECK(dp_inner_comm(g4, bw, 2e9, 4, false) == Approx(0.06));
  CHECK(dp_inner_comm(g, bw, 2e9, 1, true) == 0);
}

TEST_CASE("Pipette: iteration time, faithful floor and corrected remainder") {
  const auto bw = four_nodes();
  NodeGrid g{2, 2, {0, 3, 1, 2}};
  PipetteTerms t;
  t.t_f = 0.1, t.t_b = 0.2, t.m = 7, t.pp = 2, t.d_in = 4, t.d_out = 2, t.s_pp = 1e9, t.s_dp = 2e9;
  // (pp-1)(tf+tb) = 0.3; C_pp = 0.4; C_dp = 0.2 + inner (faithful 0.03, corrected 0.06)
  const auto f = pipette_time(t, g, bw, PipetteRules::released());
  CHECK(f.total == Approx(0.3 + 3 * (2 * 0.3 + 0.4) + 0.23));  // floor(7/2) = 3
  const auto c = pipette_time(t, g, bw, PipetteRules::corrected());
  CHECK(c.total == Approx(0.3 + 3.5 * (2 * 0.3 + 0.4) + 0.26));
  // m < pp: (m-1)(tf+tb) + pp(tf+tb) + C_pp + C_dp
  t.m = 1;
  CHECK(pipette_time(t, g, bw, PipetteRules::released()).total == Approx(0 + 0.6 + 0.4 + 0.23));
  // Faithful annealing objective: communication only
  t.m = 7;
  CHECK(annealing_objective(t, g, bw, PipetteRules::released()) == Approx(0.4 + 0.2 + 0.03));
  CHECK(annealing_objective(t, g, bw, PipetteRules::corrected()) == Approx(c.total));
}

TEST_CASE("AMP: per-node bandwidth, stage costs and the dynamic-programming partition by hand") {
  const auto amp_bw = amp_node_bandwidth(four_nodes());
  // per-node inter: n0: (10+10+5)/3, n1: 10, n2: 10, n3: (5+10+10)/3
  CHECK(amp_bw.inter[0] == Approx(25e9 / 3));
  CHECK(amp_bw.inter[1] == Approx(10e9));
  CHECK(amp_bw.link(0, 1) == Approx(25e9 / 3));  // the slower node
  CHECK(amp_bw.link(2, 2) == Approx(50e9));      // inside a node: its intra figure
  const AmpLayerCosts c{1, 0.5, 2};
  CHECK(amp_stage_cost(c, 0, 2, 3) == Approx(3 * 3.5));
  CHECK(amp_stage_cost(c, 1, 2, 1) == Approx(3 * 3));
  CHECK(amp_stage_cost(c, 0, 1, 4) == Approx(3 * 6.5));
  // L = 4, pp = 2: k = 1 -> max(4.5, 15); 2 -> max(7.5, 12); 3 -> max(10.5, 9) = 10.5: [3, 1].
  CHECK(amp_partition(c, 4, 2) == std::vector<int>{3, 1});
  // Uniform costs: the even split among the equally slow partitions.
  CHECK(amp_partition({1, 0, 0}, 8, 4) == std::vector<int>{2, 2, 2, 2});
  // L = 7, pp = 3, layer 1, head 1.5: the last stage must stay within 3 (one layer), the others
  // take 3 each: [3, 3, 1] is the only split reaching max 3.
  CHECK(amp_partition({1, 0, 1.5}, 7, 3) == std::vector<int>{3, 3, 1});
  // L = 7, pp = 3, uniform: max 3 is reached by 3/3/1 (deviation from 7/3, scaled by 9:
  // 4+4+16), 3/2/2, 2/3/2, 2/2/3 (4+1+1 each) and permutations; the first k reaching the least
  // deviation, scanning k upwards from the last stage back, keeps 2 on the last stage and 2 on
  // the middle one.
  CHECK(amp_partition({1, 0, 0}, 7, 3) == std::vector<int>{3, 2, 2});
}

TEST_CASE("AMP: iteration time by hand, the data-parallel term over the ring's last link") {
  const auto bw = amp_node_bandwidth(four_nodes());
  AmpTerms t;
  t.fwd = {1e-3, 0.5e-3, 2e-3};
  t.m = 4, t.pp = 2, t.dp = 2, t.d_in = 1, t.s_pp = 1e8, t.layer_param_bytes = 1e8, t.embedding_param_bytes = 5e7;
  const NodeGrid g = megatron_grid(4, 2);  // rows: n0 -> n2, n1 -> n3
  // Partition [3, 1]: e = 10.5, 9 ms -> (4-1) 10.5 + 19.5 = 51 ms. Boundaries: mean of
  // 1e8/(25/3 GB/s) (n0-n2) and 1e8/(25/3 GB/s) (n1-n3, n3 at 25/3) = 0.012 s.
  // DP (dp 2 over the rows): stage 0 n1 -> n0 at 25/3 GB/s, bytes 3e8 + 5e7: 2 * 3.5e8 / (2 * 25e9/3)
  // = 0.042; stage 1 n3 -> n2 at 25/3, bytes 1e8 + 5e7 -> 0.018. Max 0.042.
  const auto a = amp_time(t, {3, 1}, g, bw, AmpVariant::Faithful);
  CHECK(a.pipeline == Approx(0.051));
  CHECK(a.boundary == Approx(0.012));
  CHECK(a.dp == Approx(0.042));
  CHECK(a.total == Approx(0.105));
  // The released code's bug: only the last link of the ring. One stage, 4 replica rows in the
  // order n1 n0 n3 n2: links n1-n0 25/3, n0-n3 25/3, n3-n2 25/3, last n2-n1 10 GB/s.
  AmpTerms d;
  d.fwd = {1e-3, 0, 0};
  d.m = 1, d.pp = 1, d.dp = 4, d.d_in = 1, d.layer_param_bytes = 1e9;
  const NodeGrid ring{1, 4, {1, 0, 3, 2}};
  // 2 * 3 * (4 layers * 1e9 + 0) / (4 * B): faithful B = 10 GB/s -> 0.6 s; corrected 25/3 -> 0.72 s.
  CHECK(amp_time(d, {4}, ring, bw, AmpVariant::Faithful).dp == Approx(0.6));
  CHECK(amp_time(d, {4}, ring, bw, AmpVariant::Corrected).dp == Approx(0.72));
}

TEST_CASE("Megatron's rule: tp of the node, fewest stages that fit, micro-batch by section 3.4") {
  auto cand = [](int pp, int tp, int mb, int m, bool fits, double tf) {
    RuleCandidate c;
    c.config.pp = pp, c.config.tp = tp, c.config.micro_batch = mb, c.config.micro_batches = m;
    c.fits = fits, c.t_f = tf, c.t_b = 2 * tf;
    return c;
  };
  // pp 1 does not fit; pp 2 tp 8: mb 1 (m 8): (8+1)*3*1.0 = 27; mb 2 (m 4): (4+1)*3*1.6 = 24;
  // mb 4 (m 2): (2+1)*3*3.0 = 27. tp 4 candidates come after every tp 8 one.
  const auto order = megatron_order({cand(1, 8, 1, 16, false, 1), cand(2, 4, 1, 8, true, 0.1), cand(2, 8, 1, 8, true, 1.0),
                                     cand(2, 8, 2, 4, true, 1.6), cand(2, 8, 4, 2, true, 3.0), cand(4, 8, 1, 8, true, 0.5)},
                                    MicroBatchRule::Eq3_4);
  CHECK(megatron_microbatch_cost(order[0]) == Approx(24));
  CHECK(order[0].config.micro_batch == 2);
  CHECK(order[0].config.pp == 2);
  CHECK(order[1].config.micro_batch == 1);  // 27, stable before mb 4's 27
  CHECK(order[3].config.pp == 4);
  CHECK(order[4].config.tp == 4);
  CHECK(!order[5].fits);
  const auto mb1 = megatron_order({cand(2, 8, 2, 4, true, 1.6), cand(2, 8, 1, 8, true, 1.0)}, MicroBatchRule::One);
  CHECK(mb1[0].config.micro_batch == 1);
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

TEST_CASE("Bootstrap intervals of the rank correlations") {
  // quantile: linear between order statistics; 2.5% of 1..4 at position 0.075.
  CHECK(quantile({1, 2, 3, 4}, 0.5) == Approx(2.5));
  CHECK(quantile({1, 2, 3, 4}, 0.025) == Approx(1.075));
  CHECK(quantile({7}, 0.975) == 7);
  // Perfect agreement: every defined resample agrees perfectly.
  const auto perfect = rank_agreement({1, 2, 3, 4, 5, 6}, {2, 4, 6, 8, 10, 12}, 1);
  CHECK(perfect.n == 6);
  CHECK(perfect.spearman == Approx(1));
  CHECK(perfect.spearman_lo == Approx(1));
  CHECK(perfect.kendall_hi == Approx(1));
  // A noisy sample: the interval holds the point estimate, is not degenerate, is seeded.
  std::vector<double> x, y;
  for (int i = 0; i < 30; ++i) x.push_back(i), y.push_back(i + 12 * std::sin(i * 1.7));
  const auto a = rank_agreement(x, y, 7), b = rank_agreement(x, y, 7), c = rank_agreement(x, y, 8);
  CHECK(a.spearman_lo < a.spearman);
  CHECK(a.spearman < a.spearman_hi);
  CHECK(a.kendall_lo < a.kendall);
  CHECK(a.kendall < a.kendall_hi);
  CHECK(a.spearman_lo == b.spearman_lo);
  CHECK(a.spearman_lo != c.spearman_lo);
  // Too few pairs: no interval.
  CHECK(std::isnan(rank_agreement({1}, {1}, 1).spearman_lo));
}
