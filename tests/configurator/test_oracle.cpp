// The oracle: its search with a stand-in simulator (exhaustive optimum, annealing, out-of-memory
// reporting, proposals, margin, determinism), and on the real simulator: the row-rotation
// symmetry its exhaustive search relies on, and the exhaustive optimum against brute force.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "config/loader.hpp"
#include "configurator/oracle.hpp"
#include "configurator/training_bridge.hpp"
#include "core/random.hpp"
#include "tiny_cluster.hpp"

namespace fs = std::filesystem;
using namespace trainsim;
using namespace trainsim::configurator;

namespace {

// A stand-in for the simulator: seconds = a fixed cost per configuration plus a hidden per-link
// cost of the placement (each stage boundary and each row link of stage 0), so placements
// matter and the optimum is known by brute force.
struct FakeSimulator {
  std::vector<std::vector<double>> link;  // node x node
  std::vector<std::string> calls;         // placement keys, in order
  SimulateFn fn() {
    return [this](const std::vector<Recommendation>& recs, const Progress&) {
      std::vector<SimulatedRun> out;
      for (const auto& r : recs) {
        calls.push_back(placement_key(r));
        out.push_back({seconds(r), false});
      }
      return out;
    };
  }
  double seconds(const Recommendation& r) const {
    const NodeGrid& g = r.grid;
    double s = 1.0 + 0.1 / r.config.pp + 0.01 * r.config.micro_batch;
    if (g.units_per_node > 1) s += 0.1;  // stages smaller than a node: never the best here
    for (int row = 0; row < g.rows; ++row)
      for (int st = 0; st + 1 < g.pp; ++st) s += link[g.node(row, st)][g.node(row, st + 1)];
    for (int row = 0; row < g.rows; ++row) s += 0.5 * link[g.node(row, 0)][g.node((row + 1) % g.rows, 0)];
    if (!r.layers_per_stage.empty()) s -= 0.001;  // an uneven split helps a little
    return s;
  }
};

// Link costs below 0.002 s: placements never outweigh the configuration's own cost.
std::vector<std::vector<double>> links(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<double>> m(n, std::vector<double>(n, 0));
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) m[a][b] = m[b][a] = rng.uniform(0, 0.002);
  return m;
}

// 4 or 6 nodes x 2 GPUs; memory = 10 per micro-batch unit, limit 25: mb 4 and 8 do not fit.
ConfigureInput input(int nodes) {
  ConfigureInput in;
  in.model.name = "m", in.model.layers = 12, in.model.hidden = 512, in.model.heads = 8, in.model.kv_heads = 8;
  in.model.ffn_hidden = 2048, in.model.seq_len = 64, in.model.vocab = 1000;
  in.global_batch = 24;
  in.nodes = nodes, in.gpus_per_node = 2;
  in.bandwidth = NodeBandwidth::uniform(nodes, 10e9, 100e9);
  in.memory_limit = 25;
  in.costs = [](const ConfigPoint& c, const std::vector<int>&) {
    StageEstimate e;
    e.t_f = 1e-3, e.t_b = 2e-3, e.memory = 10.0 * c.micro_batch, e.layer_fwd = {1e-4, 1e-4, 1e-4};
    return e;
  };
  return in;
}

double brute_force(const FakeSimulator& sim, const ConfigPoint& c, int nodes) {
  Recommendation r;
  r.config = c;
  r.grid = megatron_grid(nodes, c.pp);
  std::sort(r.grid.nodes.begin(), r.grid.nodes.end());
  double best = INFINITY;
  do best = std::min(best, sim.seconds(r));
  while (std::next_permutation(r.grid.nodes.begin(), r.grid.nodes.end()));
  return best;
}

}  // namespace

TEST_CASE("Oracle with a stand-in simulator: exhaustive where the budget allows, out-of-memory reported") {
  FakeSimulator sim{links(4, 11), {}};
  const ConfigureInput in = input(4);
  SimulationCache cache(sim.fn());
  OracleOptions o;
  o.budget = 24, o.margin = 10;  // every feasible configuration searched; 4 nodes: <= 24 classes
  const OracleResult r = oracle(in, o, {}, cache);
  REQUIRE(!r.ranked.empty());
  int oom = 0;
  for (const auto& s : r.searches) {
    INFO(config_text(s.config));
    if (s.config.micro_batch >= 4) {
      ++oom;
      CHECK(s.kind == SearchKind::OutOfMemory);
      CHECK(s.evaluated == 0);
      CHECK(s.memory == 10.0 * s.config.micro_batch);
      continue;
    }
    CHECK(s.kind == SearchKind::Exhaustive);
    CHECK(s.evaluated == s.classes);
    CHECK(s.best.predicted == Approx(brute_force(sim, s.config, 4)).epsilon(1e-15));
  }
  CHECK(oom > 0);
  // Out-of-memory configurations were never simulated; each placement once.
  for (const auto& key : sim.calls) CHECK(key.find(" mb4 ") == std::string::npos);
  CHECK(std::set<std::string>(sim.calls.begin(), sim.calls.end()).size() == sim.calls.size());
  // Ranked fastest first, one entry per feasible configuration, marked as the oracle's.
  for (size_t i = 1; i < r.ranked.size(); ++i) CHECK(r.ranked[i - 1].predicted <= r.ranked[i].predicted);
  CHECK(r.ranked.front().method == Method::Oracle);
  CHECK(static_cast<int>(r.ranked.size() + oom) == static_cast<int>(r.searches.size()));
}

TEST_CASE("Oracle with a stand-in simulator: proposals, margin and the annealing budget") {
  FakeSimulator sim{links(6, 5), {}};
  const ConfigureInput in = input(6);
  // A proposal: the brute-force optimum of one configuration, with an uneven split.
  ConfigPoint target;
  for (const auto& c : search_space(in.model, in.global_batch, 6, 2))
    if (c.pp == 6 && c.tp == 1 && c.micro_batch == 1) target = c;
  REQUIRE(target.pp == 6);
  Recommendation best_prop;
  best_prop.method = Method::Pipette, best_prop.config = target, best_prop.memory = 10;
  best_prop.grid = megatron_grid(6, 6);
  double best = INFINITY;
  {
    Recommendation r = best_prop;
    std::sort(r.grid.nodes.begin(), r.grid.nodes.end());
    do
      if (double s = sim.seconds(r); s < best) best = s, best_prop.grid = r.grid;
    while (std::next_permutation(r.grid.nodes.begin(), r.grid.nodes.end()));
  }
  best_prop.layers_per_stage = {1, 3, 2, 2, 2, 2};
  OracleOptions o;
  o.budget = 20, o.margin = 0.0;
  SimulationCache cache(sim.fn());
  const OracleResult r = oracle(in, o, {best_prop}, cache);
  // The proposal is simulated and, being the best there is, is the oracle's pick as proposed.
  CHECK(r.ranked.front().config == target);
  CHECK(r.ranked.front().predicted == Approx(best - 0.001));
  CHECK(r.ranked.front().layers_per_stage == best_prop.layers_per_stage);
  for (const auto& s : r.searches) {
    INFO(config_text(s.config));
    if (s.config == target) {
      // 6 nodes in one row: 720 classes > 20: annealing with 20 moves (+ its second start).
      CHECK(s.kind == SearchKind::Annealing);
      CHECK(s.classes == 720);
      CHECK(s.evaluated <= 1 + 1 + 1 + o.budget);  // Megatron's order, the proposal, 2nd start, moves
    } else if (s.kind != SearchKind::OutOfMemory) {
      CHECK(s.kind == SearchKind::Proposals);  // margin 0: only the best configuration is searched
      CHECK(s.evaluated == 1);                 // Megatron's order
    }
  }
  // Same inputs, same seed: the same calls in the same order.
  FakeSimulator again{links(6, 5), {}};
  SimulationCache cache2(again.fn());
  const OracleResult r2 = oracle(in, o, {best_prop}, cache2);
  CHECK(again.calls == sim.calls);
}

namespace {

using testing::fresh_dir;

Session tiny_session(const fs::path& dir) {
  // Node n1's NIC at a quarter and a lognormal NIC spread: every node differs.
  testing::write(dir / "tiny.yaml", testing::tiny_platform(2, true, 0.2, "1us"));
  testing::write(dir / "job.yaml", testing::tiny_job("tiny-oracle", 2, 2, 2));
  SessionOptions o;
  o.configure.iterations = 2000;
  return open_session((dir / "job.yaml").string(), o);
}

Recommendation placed(const ConfigPoint& c, const NodeGrid& g) {
  Recommendation r;
  r.config = c;
  r.grid = g;
  return r;
}

}  // namespace

TEST_CASE("Simulated placements: rotating the replica rows is a symmetry") {
  const auto dir = fresh_dir("symmetry");
  const Session s = tiny_session(dir);
  ConfigPoint c;  // pp 1, tp 1, dp 8: one ring over the 4 nodes, 2 replicas per node
  for (const auto& p : search_space(s.input.model, s.input.global_batch, 4, 2))
    if (p.pp == 1 && p.tp == 1 && p.micro_batch == 1) c = p;
  REQUIRE(c.dp == 8);
  const NodeGrid g{1, 4, {2, 0, 3, 1}}, rotated{1, 4, {0, 3, 1, 2}}, swapped{1, 4, {0, 2, 3, 1}};
  ConfigPoint c2;  // pp 2, tp 1: rows of two stages
  for (const auto& p : search_space(s.input.model, s.input.global_batch, 4, 2))
    if (p.pp == 2 && p.tp == 1 && p.micro_batch == 1) c2 = p;
  const NodeGrid h{2, 2, {3, 1, 0, 2}}, h_rotated{2, 2, {0, 2, 3, 1}};
  const auto runs = child_simulator(s.scenario, s.job, 2)(
      {placed(c, g), placed(c, rotated), placed(c, swapped), placed(c2, h), placed(c2, h_rotated)}, {});
  CHECK(runs[0].seconds == runs[1].seconds);  // bit for bit
  CHECK(runs[3].seconds == runs[4].seconds);
  // Other permutations of the rows are distinct placements (here: the same ring time, as
  // per-NIC spreads on one switch make any ring as slow as its slowest NIC; the oracle does not
  // rely on it).
  CHECK(runs[2].seconds > 0);
}

TEST_CASE("Simulated placements: stages smaller than a node go where the unit grid says") {
  const auto dir = fresh_dir("subnode");
  const Session s = tiny_session(dir);  // 4 nodes x 2 GPUs, n1's NIC at a quarter
  ConfigPoint c;  // pp 8, tp 1: two stages per node, units of one GPU
  for (const auto& p : search_space(s.input.model, s.input.global_batch, 4, 2))
    if (p.pp == 8 && p.micro_batch == 1) c = p;
  REQUIRE(c.sub_node());
  REQUIRE(c.units_per_node == 2);
  const NodeGrid megatron = default_grid(c, 4);  // stage s on GPU s: 3 boundaries cross nodes
  CHECK(grid_text(megatron) == "n0.0 n0.1 n1.0 n1.1 n2.0 n2.1 n3.0 n3.1");
  // Every boundary crosses nodes, twice through n1's slow NIC.
  const NodeGrid scattered{8, 1, {0, 2, 4, 6, 1, 3, 5, 7}, 2};
  const Recommendation mega = placed(c, megatron), scat = placed(c, scattered);
  CHECK(mega.default_order());
  CHECK(grid_to_mapping(megatron, 1, 2) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(recommendation_mapping(scat, 2) == std::vector<int>{0, 2, 4, 6, 1, 3, 5, 7});
  const auto runs = child_simulator(s.scenario, s.job, 2)({mega, scat}, {});
  CHECK(runs[0].seconds > 0);
  CHECK(runs[1].seconds > runs[0].seconds);  // 7 inter-node boundaries instead of 3
}

TEST_CASE("Oracle on the simulator: the exhaustive search equals brute force over every permutation") {
  const auto dir = fresh_dir("exhaustive");
  const Session s = tiny_session(dir);
  SimulationCache cache(child_simulator(s.scenario, s.job, 2));
  OracleOptions o;
  o.budget = 24, o.margin = 0.02;
  const OracleResult r = oracle(s.input, o, {}, cache);
  REQUIRE(!r.ranked.empty());
  int searched = 0;
  for (const auto& search : r.searches) {
    if (search.kind != SearchKind::Exhaustive) continue;
    ++searched;
    // Every one of the 4! placements, rotations included, simulated outright.
    std::vector<Recommendation> all;
    if (search.config.sub_node()) continue;  // 8 units: never exhaustive within this budget
    NodeGrid g = megatron_grid(4, search.config.pp);
    std::sort(g.nodes.begin(), g.nodes.end());
    do all.push_back(placed(search.config, g));
    while (std::next_permutation(g.nodes.begin(), g.nodes.end()));
    double best = INFINITY;
    for (const auto& run : child_simulator(s.scenario, s.job, 2)(all, {})) best = std::min(best, run.seconds);
    INFO(config_text(search.config));
    CHECK(search.best.predicted == best);
  }
  CHECK(searched >= 1);
}

TEST_CASE("Configurations the compute model refuses are no method's candidates") {
  ConfigureInput in = input(4);
  const CostFn costs = in.costs;
  in.costs = [costs](const ConfigPoint& c, const std::vector<int>& layers) {
    if (c.tp == 2) throw InputError({}, "vocab", "vocab 1001 is not divisible by tensor-parallel size 2");
    return costs(c, layers);
  };
  const auto space = runnable_space(in, Stages::SubNode);
  REQUIRE(!space.empty());
  for (const auto& c : space) CHECK(c.tp != 2);
  for (Method m : model_methods())
    for (const auto& r : configure(m, in, ConfigureOptions{})) CHECK(r.config.tp != 2);
  FakeSimulator sim{links(4, 2), {}};
  SimulationCache cache(sim.fn());
  for (const auto& s : oracle(in, OracleOptions{}, {}, cache).searches) CHECK(s.config.tp != 2);
}
