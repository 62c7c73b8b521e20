// Abstract-worker DiLoCo simulations against hand computations (docs/diloco.md, "Model").
// Each TEST_CASE runs one simulation in its own process.
#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "diloco/abstract_case.hpp"
#include "diloco/sync_plan.hpp"

using namespace trainsim;

namespace {

// Two one-GPU datacenters joined by one WAN link of 1 Gbit/s (1.25e8 B/s) and `latency`.
PlatformSpec two_sites(const std::string& latency = "0s") {
  return load_platform_text(
      "platform:\n  name: two\n  clusters:\n"
      "    - {name: a, gpu: H100-SXM, nodes: 1, gpus_per_node: 8,\n"
      "       intra_node: {kind: nvswitch, bandwidth: 400GB/s, latency: 1us},\n"
      "       nic: {count: 1, bandwidth: 400Gbps, latency: 1us}, fabric: {kind: single_switch}}\n"
      "    - {name: b, gpu: H100-SXM, nodes: 1, gpus_per_node: 8,\n"
      "       intra_node: {kind: nvswitch, bandwidth: 400GB/s, latency: 1us},\n"
      "       nic: {count: 1, bandwidth: 400Gbps, latency: 1us}, fabric: {kind: single_switch}}\n"
      "  wan:\n    - {between: [a, b], bandwidth: 1Gbps, latency: " + latency + "}\n",
      "two.yaml");
}

// L = 4 layers, T = 0.11 s: one per-layer node is u = T / (3L - 1) = 0.01 s. 1.25e7 parameters at
// 16 bits: a layer is S = 6.25e6 B; its ring all-reduce between two sites sends S/2 each way
// twice: c = S / 1.25e8 B/s = 0.05 s per layer.
DilocoModel small_model() {
  DilocoModel m;
  m.name = "small";
  m.layers = 4;
  m.parameters = 1.25e7;
  m.step_time = 0.11;
  return m;
}

DilocoSpec spec_with(const DilocoMethod& method) {
  DilocoSpec s;
  s.models = {small_model()};
  s.methods = {method};
  s.rounds = 3;
  return s;
}

}  // namespace

TEST_CASE("DiLoCo round: H compute steps plus the exposed reduce, by hand") {
  DilocoMethod m;
  m.name = "diloco";
  m.algorithm = SyncAlgorithm::Diloco;
  m.inner_steps = 10;
  auto spec = spec_with(m);
  auto r = simulate_abstract(two_sites(), spec, spec.models[0], m, 1);
  // After the last step's forward (4u) and the last layer's backward-weight (u) the four
  // reduces run back to back (each 0.05 s > 2u, so the link never idles): the next step's first
  // forward waits until 5u + 4c after the sync step started. Round = 9 T + 5u + 4c = 1.24 s.
  const double round = 9 * 0.11 + 5 * 0.01 + 4 * 0.05;
  CHECK(r.round_time == Approx(round).epsilon(1e-9));
  CHECK(r.utilization == Approx(10 * 0.11 / round).epsilon(1e-9));
  // Both directions carry S per layer per sync: 2 x 4 x 6.25e6 B per round.
  CHECK(r.wan_bytes_per_round == Approx(2 * 4 * 6.25e6));
  // Comm-bound: the link is busy throughout the steps after a sync, so its busiest step-long
  // window carries the full rate.
  CHECK(r.peak_wan_bandwidth == Approx(1.25e8).epsilon(1e-6));
  // Outer parameters and momentum in FP32 for 1.25e7 parameters over 8 GPUs.
  CHECK(r.extra_memory_per_gpu == Approx(8.0 * 1.25e7 / 8));
  REQUIRE(r.workers.size() == 2);
  CHECK(r.workers[0].wait == Approx(round - 10 * 0.11).epsilon(1e-9));  // per round
}

TEST_CASE("WAN latency adds one delay per ring step") {
  DilocoMethod m;
  m.name = "diloco";
  m.inner_steps = 10;
  auto spec = spec_with(m);
  auto r = simulate_abstract(two_sites("10ms"), spec, spec.models[0], m, 1);
  // Each layer's reduce has two ring steps, each followed by the 10 ms route latency.
  const double round = 9 * 0.11 + 5 * 0.01 + 4 * (0.05 + 0.02);
  CHECK(r.round_time == Approx(round).epsilon(1e-9));
}

TEST_CASE("Data-parallel: per-layer reduces overlap the backward pass") {
  DilocoMethod m;
  m.name = "dp";
  m.algorithm = SyncAlgorithm::DataParallel;
  auto spec = spec_with(m);
  auto r = simulate_abstract(two_sites(), spec, spec.models[0], m, 1);
  // Every step: 4u forward, u until the first reduce can start, then 4 c of reduces.
  const double step = 5 * 0.01 + 4 * 0.05;
  CHECK(r.round_time == Approx(step).epsilon(1e-9));
  CHECK(r.utilization == Approx(0.11 / step).epsilon(1e-9));
  CHECK(r.extra_memory_per_gpu == 0);
}

TEST_CASE("4-bit exchange sends a quarter of the 16-bit bytes") {
  DilocoMethod m16;
  m16.name = "s16";
  m16.algorithm = SyncAlgorithm::Streaming;
  m16.inner_steps = 8;
  m16.layers_per_fragment = 1;
  DilocoMethod m4 = m16;
  m4.bits = 4;
  auto spec = spec_with(m16);
  auto r16 = simulate_abstract(two_sites(), spec, spec.models[0], m16, 1);
  CHECK(r16.wan_bytes_per_round == Approx(2 * 4 * 6.25e6));
  SyncPlan p4(spec.models[0], m4, 2);
  SyncPlan p16(spec.models[0], m16, 2);
  CHECK(p4.bytes_sent_per_worker_per_layer() * 4 == Approx(p16.bytes_sent_per_worker_per_layer()));
  CHECK(p4.ring_steps() == 1);
  CHECK(p16.ring_steps() == 2);
}

namespace {
// 8 layers of S = 2.5e6 B (1e7 parameters at 16 bits) over a 10 Gbit/s link (1.25e9 B/s): one
// layer's reduce takes 2 ms, far less than a 0.11 s step.
AbstractResult fast_link_run(const DilocoMethod& method) {
  auto platform = two_sites();
  platform.wan[0].bandwidth = 1.25e9;
  DilocoModel model = small_model();
  model.layers = 8;
  model.parameters = 1e7;
  DilocoSpec spec;
  spec.models = {model};
  spec.methods = {method};
  return simulate_abstract(platform, spec, model, method, 1);
}
}  // namespace

TEST_CASE("Streaming's peak WAN bandwidth is DiLoCo's divided by P") {
  DilocoMethod s;
  s.name = "streaming";
  s.algorithm = SyncAlgorithm::Streaming;
  s.inner_steps = 16;
  s.layers_per_fragment = 1;  // P = 8, one sync every 2 steps
  auto r = fast_link_run(s);
  // Each sync moves one layer (S each way) within one step window: S / T per direction.
  CHECK(r.wan_bytes_per_round == Approx(2 * 8 * 2.5e6));
  CHECK(r.peak_wan_bandwidth == Approx(2.5e6 / 0.11).epsilon(1e-9));
  SyncPlan plan(DilocoModel{"m", 8, 1e7, 0.11, 0, {}}, s, 2);
  int syncing_steps = 0;
  for (int k = 0; k < 16; ++k) {
    CHECK(plan.fragments_after(k).size() <= 1);
    syncing_steps += !plan.fragments_after(k).empty();
  }
  CHECK(syncing_steps == 8);
}

TEST_CASE("DiLoCo's peak WAN bandwidth: the whole model within one step window") {
  DilocoMethod d;
  d.name = "diloco";
  d.inner_steps = 16;
  auto r = fast_link_run(d);
  // All 8 layers (8 S each way, 16 ms) cross within the sync step's window.
  CHECK(r.peak_wan_bandwidth == Approx(8 * 2.5e6 / 0.11).epsilon(1e-9));
}

TEST_CASE("WAN heterogeneity applies to abstract workers (it used to be dropped)") {
  // The same DiLoCo round as above with the WAN link degraded to half its rate by an override,
  // and with a latency set by one: each layer's reduce takes 2c, plus two route latencies. A rule
  // about links inside a datacenter changes nothing (the abstract mode models only the WAN), and
  // is no error. Before, abstract_platform() dropped every heterogeneity rule: the round stayed
  // 1.24 s.
  DilocoMethod m;
  m.name = "diloco";
  m.inner_steps = 10;
  auto spec = spec_with(m);
  PlatformSpec platform = two_sites();
  LinkOverride half;
  half.links = "wan.*";
  half.factor = 0.5;
  half.latency = 0.005;
  LinkOverride inside;
  inside.links = "a.n0.nic0";
  inside.bandwidth = 1e6;
  platform.overrides = {half, inside};
  auto r = simulate_abstract(platform, spec, spec.models[0], m, 1);
  CHECK(r.round_time == Approx(9 * 0.11 + 5 * 0.01 + 4 * (2 * 0.05 + 2 * 0.005)).epsilon(1e-9));
  // A spread is drawn from the seed: another seed, another draw, the same in both engines (the
  // routes and rates come from the platform SimGrid builds).
  BandwidthSpread spread;
  spread.links = "wan.*";
  spread.distribution = SpreadDistribution::Uniform;
  spread.min = 0.5, spread.max = 0.9;
  platform = two_sites();
  platform.spreads = {spread};
  const double r1 = simulate_abstract(platform, spec, spec.models[0], m, 1).round_time;
  const double r2 = simulate_abstract(platform, spec, spec.models[0], m, 2).round_time;
  CHECK(r1 > 9 * 0.11 + 5 * 0.01 + 4 * 0.05 / 0.9 - 1e-9);
  CHECK(r1 < 9 * 0.11 + 5 * 0.01 + 4 * 0.05 / 0.5 + 1e-9);
  CHECK(r1 != r2);
}
