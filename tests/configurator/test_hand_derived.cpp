// Every candidate's `pipette` and `amp` prediction on a fixed matrix and global batch, against
// values derived by hand from the published formulas (docs/pipette.md; Pipette's released
// llm_train_strategy_assignment_total_v3.py and AMP's cost_homo.py / pipe.py as quoted there).
// The case is chosen so that floor(m/pp) drops micro-batches (m = 3, 6 on pp 2, 4) and m < pp
// occurs (m = 3 on pp 4).
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "configurator/configurator.hpp"

using namespace trainsim::configurator;

namespace {

// 4 nodes x 2 GPUs. Inter-node 10 GB/s, except every pair with n3 at 5 GB/s; intra-node
// 100 GB/s, except n2 at 50 GB/s.
NodeBandwidth matrix() {
  std::vector<std::vector<double>> m(4, std::vector<double>(4, 10e9));
  for (int a = 0; a < 4; ++a) m[a][3] = m[3][a] = 5e9;
  for (int a = 0; a < 4; ++a) m[a][a] = 100e9;
  m[2][2] = 50e9;
  return NodeBandwidth(m);
}

// GPT, L = 4, h = 1000, V = 2000, s = 100 (heads 8, ffn 4h).
trainsim::workload::ModelSpec model() {
  trainsim::workload::ModelSpec m;
  m.name = "hand", m.family = trainsim::workload::Family::Gpt;
  m.layers = 4, m.hidden = 1000, m.heads = 8, m.kv_heads = 8, m.ffn_hidden = 4000, m.seq_len = 100, m.vocab = 2000;
  return m;
}

// Compute times stand in for the profile: per micro-batch, u = mb / tp milliseconds per layer
// forward; t_f = u (L/pp), t_b = 2 t_f; AMP's per-layer forwards: layer u, embedding 0.5 u,
// LM head 2 u. Memory 0: everything fits.
ConfigureInput input() {
  ConfigureInput in;
  in.model = model();
  in.global_batch = 12;
  in.nodes = 4, in.gpus_per_node = 2;
  in.bandwidth = matrix();
  in.memory_limit = 1;
  in.costs = [](const ConfigPoint& c, const std::vector<int>&) {
    const double u = 1e-3 * c.micro_batch / c.tp;
    StageEstimate e;
    e.t_f = u * 4 / c.pp, e.t_b = 2 * e.t_f;
    e.layer_fwd = {u, 0.5 * u, 2 * u};
    return e;
  };
  return in;
}

// The method's recommendations by configuration, each prediction checked against `expected`.
std::map<std::string, Recommendation> checked(Method m, const std::map<std::string, double>& expected) {
  std::map<std::string, Recommendation> got;
  for (const auto& r : configure(m, input(), ConfigureOptions{})) got[config_text(r.config)] = r;
  REQUIRE(got.size() == expected.size());
  for (const auto& [config, t] : expected) {
    INFO(method_name(m) << " " << config);
    REQUIRE(got.count(config));
    CHECK(got.at(config).predicted == Approx(t).epsilon(1e-12));
  }
  return got;
}

}  // namespace

// Search space (pp | 4 nodes and 4 layers; tp in {1, 2}; dp = 8/(pp tp) dividing 12; mb in
// {1,2,4,8} dividing 12/dp), m = 12/(dp mb), d_in = 2/tp, d_out = 4/pp:
//   pp1 tp2 dp4 mb1 m3 | pp2 tp1 dp4 mb1 m3 | pp2 tp2 dp2 mb1 m6 | pp2 tp2 dp2 mb2 m3
//   pp4 tp1 dp2 mb1 m6 | pp4 tp1 dp2 mb2 m3 | pp4 tp2 dp1 mb1 m12 | pp4 tp2 dp1 mb2 m6 | pp4 tp2 dp1 mb4 m3
TEST_CASE("pipette: every candidate's prediction equals the hand derivation") {
  // beta = 4 (fp32 driver). S_pp = mb s h 4 = 4e5 mb. S_dp = (h V + (L/pp) 16 h^2) / tp * 4
  //   = (2e6 + 6.4e7/pp) 4 / tp: pp1 2.64e8/tp, pp2 1.36e8/tp, pp4 7.2e7/tp.
  // fb = t_f + t_b = 3 t_f. The annealing reaches, on 4 nodes, a placement that minimises
  // C_pp, C_dp_inter and C_dp_inner at once (each below), so the final model picks it.
  // C_pp: any row holding n3 pays 2 S_pp / 5e9 per boundary with n3; a chain of 4 puts n3 at
  // an end: 2 S_pp/5e9 + 2 * 2 S_pp/1e10. C_dp_inter: the ring of stage 0 avoids n3 when it can.
  // C_dp_inner: the first node of each pipeline avoids n2 (Pipette looks only there).
  const std::map<std::string, double> expected = {
      // pp1 tp2: ring of all 4 nodes has n3: 2*3*1.32e8/5e9/4 = 0.0396; T = 3 fb + C_dp, fb = 6e-3.
      {"pp1 tp2 dp4 mb1", 3 * 6e-3 + 0.0396},
      // pp2 tp1: fb 6e-3, floor(3/2) = 1; C_pp 2*4e5/5e9 = 1.6e-4; stage 0 = {n0, n1}:
      // C_dp_inter 2*1*1.36e8/1e10/2 = 0.0136, C_dp_inner 2*1*1.36e8/1e11/2 = 0.00136.
      {"pp2 tp1 dp4 mb1", 6e-3 + 1 * (2 * 6e-3 + 1.6e-4) + 0.0136 + 0.00136},
      // pp2 tp2 mb1: fb 3e-3, floor(6/2) = 3, C_pp 1.6e-4, C_dp_inter 6.8e7/1e10 = 0.0068, d_in 1.
      {"pp2 tp2 dp2 mb1", 3e-3 + 3 * (2 * 3e-3 + 1.6e-4) + 0.0068},
      // pp2 tp2 mb2: fb 6e-3, floor(3/2) = 1, C_pp 2*8e5/5e9 = 3.2e-4.
      {"pp2 tp2 dp2 mb2", 6e-3 + 1 * (2 * 6e-3 + 3.2e-4) + 0.0068},
      // pp4 tp1 mb1: fb 3e-3, floor(6/4) = 1, C_pp 8e5/5e9 + 2*8e5/1e10 = 3.2e-4, d_out 1,
      // C_dp_inner 2*1*7.2e7/1e11/2 = 7.2e-4 (first node not n2).
      {"pp4 tp1 dp2 mb1", 3 * 3e-3 + 1 * (4 * 3e-3 + 3.2e-4) + 7.2e-4},
      // pp4 tp1 mb2: m = 3 < pp: (m-1) fb + pp fb + C_pp + C_dp, fb 6e-3, C_pp 6.4e-4.
      {"pp4 tp1 dp2 mb2", 2 * 6e-3 + 4 * 6e-3 + 6.4e-4 + 7.2e-4},
      // pp4 tp2 mb1: fb 1.5e-3, floor(12/4) = 3, C_pp 3.2e-4, no data parallelism.
      {"pp4 tp2 dp1 mb1", 3 * 1.5e-3 + 3 * (4 * 1.5e-3 + 3.2e-4)},
      // pp4 tp2 mb2: fb 3e-3, floor(6/4) = 1, C_pp 6.4e-4.
      {"pp4 tp2 dp1 mb2", 3 * 3e-3 + 1 * (4 * 3e-3 + 6.4e-4)},
      // pp4 tp2 mb4: m = 3 < pp, fb 6e-3, C_pp 2*1.6e6/5e9 + 2*2*1.6e6/1e10 = 1.28e-3.
      {"pp4 tp2 dp1 mb4", 2 * 6e-3 + 4 * 6e-3 + 1.28e-3},
  };
  const auto got = checked(Method::Pipette, expected);
  // The placements behind those values: pp2 tp1 puts n0 and n1 on stage 0; a chain of 4 has
  // n3 at an end and does not start on n2.
  const NodeGrid g2 = got.at("pp2 tp1 dp4 mb1").grid;
  CHECK(std::min(g2.at(0, 0), g2.at(1, 0)) == 0);
  CHECK(std::max(g2.at(0, 0), g2.at(1, 0)) == 1);
  const NodeGrid g4 = got.at("pp4 tp1 dp2 mb1").grid;
  CHECK((g4.at(0, 0) == 3 || g4.at(0, 3) == 3));
  CHECK(g4.at(0, 0) != 2);
}

TEST_CASE("amp: every candidate's prediction and layer split equal the hand derivation") {
  // Per node [inter, intra]: inter = mean of the off-diagonal row: n0, n1, n2 (10+10+5)/3 =
  // 25/3 GB/s, n3 5 GB/s; a link between nodes takes the slower inter. Megatron's order:
  // node(row r, stage s) = s * rows + r. beta = 2: S_pp = 2e5 mb. Stage cost e = 3 (k layer +
  // embedding on stage 0 + head on the last), layer u = mb/tp ms, embedding u/2, head 2u.
  // T = (m-1) max e + sum e + sum over boundaries of the mean over rows of S_pp / link
  //   + max over stages of 2 (dp-1) bytes_s / (dp * last ring link of stage s),
  // bytes_s = 2 (k_s (12 h^2 + 13 h) + h V on the first and last stage) / tp
  //         = 2 (12,013,000 k_s + 2e6 [first or last]) / tp.
  // Partition (pp 2): k = 1: max(3*1.5, 3*5) u = 15u; k = 2: max(7.5, 12) u; k = 3: max(10.5, 9) u
  // = 10.5u -> [3, 1]. pp 4: [1, 1, 1, 1]; pp 1: [4].
  const double third = 25e9 / 3;
  const std::map<std::string, double> expected = {
      // u = 0.5 ms: e = 3 * 6.5u = 9.75e-3; (3-1) e + e. dp 4 on n0..n3, last link n3 -> n0 = 5e9:
      // 2*3*2*(4*12,013,000 + 2e6)/2 / (4 * 5e9).
      {"pp1 tp2 dp4 mb1", 2 * 9.75e-3 + 9.75e-3 + 2.0 * 3 * 50052000 / (4 * 5e9)},
      // u = 1 ms: e = 10.5, 9 ms. Rows n0->n2 (25/3 GB/s), n1->n3 (5 GB/s): boundary mean
      // (2e5/third + 2e5/5e9)/2. Stage 0 ring: replicas on n0, n0, n1, n1, last link n1 -> n0
      // (third), bytes 2 (3*12,013,000 + 2e6); stage 1: n2, n2, n3, n3, last link n3 -> n2 (5e9),
      // bytes 2 (12,013,000 + 2e6). Max of the two.
      {"pp2 tp1 dp4 mb1", 2 * 10.5e-3 + 19.5e-3 + (2e5 / third + 2e5 / 5e9) / 2 +
                              std::max(2.0 * 3 * 76078000 / (4 * third), 2.0 * 3 * 28026000 / (4 * 5e9))},
      // u = 0.5: e = 5.25, 4.5 ms; dp 2 over the rows: stage 0 n1 -> n0, stage 1 n3 -> n2;
      // bytes 2 (3*12,013,000 + 2e6)/2 and 2 (12,013,000 + 2e6)/2.
      {"pp2 tp2 dp2 mb1", 5 * 5.25e-3 + 9.75e-3 + (2e5 / third + 2e5 / 5e9) / 2 +
                              std::max(2.0 * 38039000 / (2 * third), 2.0 * 14013000 / (2 * 5e9))},
      // u = 1: e = 10.5, 9 ms; S_pp 4e5.
      {"pp2 tp2 dp2 mb2", 2 * 10.5e-3 + 19.5e-3 + (4e5 / third + 4e5 / 5e9) / 2 +
                              std::max(2.0 * 38039000 / (2 * third), 2.0 * 14013000 / (2 * 5e9))},
      // u = 1: e = 4.5, 3, 3, 9 ms. Chain n0 n1 n2 n3: boundaries third, third, 5e9. dp 2 inside
      // each node (last link intra): n2's 50 GB/s with bytes 2*12,013,000 is the largest.
      {"pp4 tp1 dp2 mb1", 5 * 9e-3 + 19.5e-3 + 2 * 2e5 / third + 2e5 / 5e9 + 2.0 * 24026000 / (2 * 50e9)},
      // u = 2: e = 9, 6, 6, 18 ms; m = 3.
      {"pp4 tp1 dp2 mb2", 2 * 18e-3 + 39e-3 + 2 * 4e5 / third + 4e5 / 5e9 + 2.0 * 24026000 / (2 * 50e9)},
      // u = 0.5: e = 2.25, 1.5, 1.5, 4.5 ms; m = 12; dp 1.
      {"pp4 tp2 dp1 mb1", 11 * 4.5e-3 + 9.75e-3 + 2 * 2e5 / third + 2e5 / 5e9},
      // u = 1; m = 6.
      {"pp4 tp2 dp1 mb2", 5 * 9e-3 + 19.5e-3 + 2 * 4e5 / third + 4e5 / 5e9},
      // u = 2; m = 3; S_pp 8e5.
      {"pp4 tp2 dp1 mb4", 2 * 18e-3 + 39e-3 + 2 * 8e5 / third + 8e5 / 5e9},
  };
  for (const auto& [config, r] : checked(Method::Amp, expected)) {
    INFO(config);
    CHECK(r.default_order());
    CHECK(r.layers_per_stage == (config.rfind("pp2", 0) == 0 ? std::vector<int>{3, 1} : std::vector<int>{}));
  }
}

namespace {

// AMP's own cluster shape in small: 2 nodes x 4 GPUs on PCIe (g4dn-like), 8 layers, global
// batch 8, one attention head (tp 1 only). Inter-node 5 GB/s; intra-node n0 20 GB/s, n1 10 GB/s.
// pp 4 and 8 put several stages on a node (pp does not divide the 2 nodes).
ConfigureInput sub_node_input() {
  ConfigureInput in = input();
  in.model.layers = 8, in.model.heads = 1, in.model.kv_heads = 1;
  in.global_batch = 8;
  in.nodes = 2, in.gpus_per_node = 4;
  in.bandwidth = NodeBandwidth({{20e9, 5e9}, {5e9, 10e9}});
  in.costs = [](const ConfigPoint& c, const std::vector<int>&) {
    const double u = 1e-3 * c.micro_batch / c.tp;
    StageEstimate e;
    e.t_f = u * 8 / c.pp, e.t_b = 2 * e.t_f;
    e.layer_fwd = {u, 0.5 * u, 2 * u};
    return e;
  };
  return in;
}

}  // namespace

TEST_CASE("amp with stages smaller than a node: intra-node boundaries and rings by hand") {
  // AMP's rank map (pipe.py): rank r on node r / 4; rank = tp-index + tp (dp-index + dp stage)
  // (axis2rank). A boundary or ring link between two ranks of one node takes that node's intra
  // figure, else the slower node's inter (cost_homo.py). inter = mean of the off-diagonal row:
  // 5 GB/s for both nodes. beta = 2: S_pp = 2e5 mb. u = mb ms per layer, embedding u/2, head 2u.
  // bytes_s = 2 (k_s 12,013,000 + 2e6 [first or last stage]) / tp.
  // Partitions: pp 8: one layer each, e = 4.5, 3 x 6, 9 (u), sum 31.5u, max 9u.
  //   pp 4: the head stage holds 1 layer (3 (1+2) = 9u) and bounds the slowest stage at 9u
  //   (a bound of 7.5u would leave it no layer): k0 <= 2 (3 (k0 + 0.5) <= 9), k1, k2 <= 3, sum 7.
  //   Closest to even (squared deviations of 4k - 8): (2,3,2) and (2,2,3) tie at 32; the DP keeps
  //   the first k reaching a state (stage 2: k = 2 via (2,3) before k = 3 via (2,2)): [2, 3, 2, 1];
  //   e = 7.5, 9, 6, 9 (u), sum 31.5u.
  //   pp 2 (whole nodes): [5, 3]: e = 16.5u, 15u (k0 = 4 gives 18u on the head stage).
  const ConfigureInput in = sub_node_input();
  std::map<std::string, Recommendation> got;
  for (const auto& r : configure(Method::Amp, in, ConfigureOptions{})) got[config_text(r.config)] = r;
  // The space: pp 1, 2, 4, 8 (pp divides the 8 GPUs and the 8 layers), dp = 8/pp, mb | 8/dp.
  CHECK(got.size() == 1 + 2 + 3 + 4);
  const std::map<std::string, double> expected = {
      // Whole nodes: stage 0 = n0, stage 1 = n1, each 4 replicas in the node (d_in 4). m = 2,
      // u = 1 ms: (2-1) 16.5 + 31.5 = 48 ms. Boundary n0 -> n1: 2e5/5e9. Rings inside the
      // nodes (last link intra): stage 0 2*3*124,130,000/(4*20e9), stage 1 2*3*76,078,000/(4*10e9).
      {"pp2 tp1 dp4 mb1", 48e-3 + 2e5 / 5e9 + std::max(6.0 * 124130000 / (4 * 20e9), 6.0 * 76078000 / (4 * 10e9))},
      // Stage s on GPUs 2s, 2s+1: stages 0, 1 on n0, 2, 3 on n1. m = 4, u = 1 ms:
      // 3 * 9 + 31.5 = 58.5 ms. Boundaries 0-1 intra n0, 1-2 inter, 2-3 intra n1 (both rows
      // alike). Rings: both replicas of a stage in one node (intra): stage 2 (k 2, on n1)
      // 2*1*48,052,000/(2*10e9) is the largest (stage 0 52,052,000/20e9, stage 1 72,078,000/20e9,
      // stage 3 28,026,000/10e9).
      {"pp4 tp1 dp2 mb1", 58.5e-3 + 2e5 / 20e9 + 2e5 / 5e9 + 2e5 / 10e9 + 48052000 / 10e9},
      // m = 1 < pp, u = 4 ms: 31.5 * 4 ms; S_pp 8e5.
      {"pp4 tp1 dp2 mb4", 126e-3 + 8e5 / 20e9 + 8e5 / 5e9 + 8e5 / 10e9 + 48052000 / 10e9},
      // Stage s on GPU s: boundaries 0-1, 1-2, 2-3 intra n0, 3-4 inter, 4-5, 5-6, 6-7 intra
      // n1. m = 8, u = 1 ms: 7 * 9 + 31.5 = 94.5 ms. No data parallelism.
      {"pp8 tp1 dp1 mb1", 94.5e-3 + 3 * 2e5 / 20e9 + 2e5 / 5e9 + 3 * 2e5 / 10e9},
      // m = 1, u = 8 ms: 31.5 * 8 ms; S_pp 1.6e6.
      {"pp8 tp1 dp1 mb8", 252e-3 + 3 * 1.6e6 / 20e9 + 1.6e6 / 5e9 + 3 * 1.6e6 / 10e9},
  };
  for (const auto& [config, t] : expected) {
    INFO(config);
    REQUIRE(got.count(config));
    CHECK(got.at(config).predicted == Approx(t).epsilon(1e-12));
    CHECK(got.at(config).default_order());
  }
  CHECK(got.at("pp4 tp1 dp2 mb1").layers_per_stage == std::vector<int>{2, 3, 2, 1});
  CHECK(got.at("pp2 tp1 dp4 mb1").layers_per_stage == std::vector<int>{5, 3});
  // The placement: units of one GPU (tp 1), 4 per node; Megatron's order is the identity.
  const Recommendation& r4 = got.at("pp4 tp1 dp2 mb1");
  CHECK(r4.config.sub_node());
  CHECK(r4.grid.units_per_node == 4);
  CHECK(grid_text(r4.grid) == "n0.0 n0.2 n1.0 n1.2 | n0.1 n0.3 n1.1 n1.3");
  CHECK(grid_to_mapping(r4.grid, 1, 4) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(!got.at("pp2 tp1 dp4 mb1").config.sub_node());
  // amp-corrected: every ring link is intra-node here, so it agrees.
  for (const auto& r : configure(Method::AmpCorrected, in, ConfigureOptions{}))
    if (expected.count(config_text(r.config))) CHECK(r.predicted == Approx(expected.at(config_text(r.config))).epsilon(1e-12));
}

TEST_CASE("Search space: stages smaller than a node for every method but Pipette's released placement") {
  const ConfigureInput in = sub_node_input();
  std::set<int> pipette_pp, corrected_pp, megatron_pp;
  for (const auto& r : configure(Method::Pipette, in, ConfigureOptions{})) pipette_pp.insert(r.config.pp);
  for (const auto& r : configure(Method::Random, in, ConfigureOptions{})) CHECK(!r.config.sub_node());
  for (const auto& r : configure(Method::PipetteCorrected, in, ConfigureOptions{})) corrected_pp.insert(r.config.pp);
  for (const auto& r : configure(Method::Megatron, in, ConfigureOptions{})) megatron_pp.insert(r.config.pp);
  CHECK(pipette_pp == std::set<int>{1, 2});  // Pipette's grid: (nodes/pp) x pp whole nodes
  CHECK(corrected_pp == std::set<int>{1, 2, 4, 8});
  CHECK(megatron_pp == std::set<int>{1, 2, 4, 8});
  // A sub-node point: units of tp GPUs, one data-parallel replica per unit, rows = dp.
  for (const auto& c : search_space(in.model, in.global_batch, 2, 4)) {
    INFO(config_text(c));
    CHECK(c.sub_node() == (c.pp > 2));
    if (c.sub_node()) CHECK((c.units_per_node == 4 / c.tp && c.d_in == 1 && c.d_out == c.dp));
    const NodeGrid g = default_grid(c, 2);
    CHECK(g.rows * g.pp == 2 * c.units_per_node);
  }
  // The pipette-corrected model on a sub-node grid: C_pp through the diagonal where consecutive
  // stages share a node. pp 8, one row: stage s on GPU s; 2 S_pp over 20 GB/s three times,
  // over 5 GB/s once, over 10 GB/s three times.
  const NodeGrid g8 = megatron_grid(8, 8, 4);
  CHECK(pipeline_comm(g8, in.bandwidth, 1e6) == Approx(3 * 2e6 / 20e9 + 2e6 / 5e9 + 3 * 2e6 / 10e9).epsilon(1e-12));
  // pp 4, dp 2: rows {0, 2, 4, 6} and {1, 3, 5, 7}; stage 0's ring n0.0 <-> n0.1 stays in n0:
  // C_dp_inter = 2 (2-1) S_dp / 20e9 / 2; d_in = 1: no C_dp_inner.
  const NodeGrid g4 = megatron_grid(8, 4, 4);
  CHECK(dp_inter_comm(g4, in.bandwidth, 1e8, false) == Approx(2 * 1e8 / 20e9 / 2).epsilon(1e-12));
  CHECK(dp_inner_comm(g4, in.bandwidth, 1e8, 1, false) == 0);
  NodeGrid swapped = g4;
  std::swap(swapped.nodes[2], swapped.nodes[4]);  // units 4 and 1 trade places
  CHECK(grid_text(swapped) == "n0.0 n0.2 n0.1 n1.2 | n1.0 n0.3 n1.1 n1.3");
  // Stage 0's ring n0.0 <-> n1.0 now crosses nodes: 2 (2-1) S_dp / 5e9 / 2.
  CHECK(dp_inter_comm(swapped, in.bandwidth, 1e8, false) == Approx(2 * 1e8 / 5e9 / 2).epsilon(1e-12));
  // C_pp: row 0 stays in n0 twice (20 GB/s) and crosses once: 2 x 2e6/20e9 + 2e6/5e9 = 6e-4;
  // row 1 crosses twice and stays in n1 once (10 GB/s): 2 x 2e6/5e9 + 2e6/10e9 = 1e-3 (the max).
  CHECK(pipeline_comm(swapped, in.bandwidth, 1e6) == Approx(2 * 2e6 / 5e9 + 2e6 / 10e9).epsilon(1e-12));
}
