// Flow timings against hand computations. Each TEST_CASE is one simulation (own process).
#include <catch2/catch.hpp>

#include <simgrid/s4u/Link.hpp>

#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;

namespace {

// Cluster a: fat tree, 4 nodes x 2 GPUs, 2 nodes per leaf, one 50 GB/s NIC per node (1 us),
// switch 0.5 us, oversubscription 4 -> each leaf uplink 2 x 50 / 4 = 25 GB/s.
// Cluster b: single switch, 2 nodes x 2 GPUs. WAN a-b: 12.5 GB/s, 20 ms.
// GPUs: a.n<k>.gpu<i> = 2k+i (0..7), b.n<k>.gpu<i> = 8+2k+i.
PlatformSpec two_sites(double oversubscription = 4, double wan_bandwidth = 12.5e9) {
  PlatformSpec p;
  p.name = "two-sites";
  auto a = make_cluster("a", 4, 2, FabricKind::FatTree, 2);
  a.fabric.oversubscription = oversubscription;
  p.clusters.push_back(a);
  p.clusters.push_back(make_cluster("b", 2, 2, FabricKind::SingleSwitch));
  p.wan.push_back(WanLinkSpec{"a", "b", wan_bandwidth, 20e-3, {}});
  return p;
}

constexpr double kEps = 1e-3;  // 0.1%

}  // namespace

TEST_CASE("a lone transfer takes latency plus size over the bottleneck bandwidth", "[network][timing]") {
  TestSim sim(two_sites());
  // Started a second apart so that each runs alone.
  auto t = sim.run({{0, 1, 1e9, 0}, {0, 2, 1e9, 1}, {0, 4, 1e9, 2}, {0, 8, 10e9, 3}});
  // Intra-node over NVSwitch: GPU-to-GPU latency 2 us, port 400 GB/s.
  CHECK(t[0].elapsed == Approx(2e-6 + 1e9 / 400e9).epsilon(kEps));
  // Cross-node in one leaf: two NICs (1 us each) + one switch (0.5 us); NIC 50 GB/s.
  CHECK(t[1].elapsed == Approx(2e-6 + 0.5e-6 + 1e9 / 50e9).epsilon(kEps));
  // Cross-leaf: two NICs + three switches; the 25 GB/s uplink is the bottleneck.
  CHECK(t[2].elapsed == Approx(2e-6 + 1.5e-6 + 1e9 / 25e9).epsilon(kEps));
  // WAN, 20 ms: NIC a (1.25 us) + leaf uplink a (0.5 us) + WAN + NIC b (1.25 us); 12.5 GB/s.
  // Without lifting TCP-gamma SimGrid would cap this flow near 0.1 GB/s (the 20 ms trap).
  CHECK(t[3].elapsed == Approx(1.25e-6 + 0.5e-6 + 20e-3 + 1.25e-6 + 10e9 / 12.5e9).epsilon(kEps));
}

TEST_CASE("two flows sharing a NIC each get half of it", "[network][timing]") {
  TestSim sim(two_sites());
  // a.n0.gpu0 -> a.n1.gpu0 and a.n0.gpu1 -> a.n1.gpu1: both through a.n0.nic0 UP and a.n1.nic0 DOWN.
  auto t = sim.run({{0, 2, 1e9, 0}, {1, 3, 1e9, 0}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 25e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 25e9).epsilon(kEps));
}

TEST_CASE("a degraded NIC bounds a cross-node transfer", "[network][timing]") {
  auto spec = two_sites();
  spec.overrides.push_back(LinkOverride{"a.n1.nic0", std::nullopt, 0.25, std::nullopt, {}});
  TestSim sim(spec);
  auto t = sim.run({{0, 2, 1e9, 0}, {2, 0, 1e9, 1}, {0, 1, 1e9, 2}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 12.5e9).epsilon(kEps));  // receiver's NIC at 1/4
  CHECK(t[1].flow_elapsed == Approx(1e9 / 12.5e9).epsilon(kEps));  // and as sender
  CHECK(t[2].flow_elapsed == Approx(1e9 / 400e9).epsilon(kEps));   // NVLink untouched
}

TEST_CASE("a degraded leaf uplink bounds a cross-leaf transfer only", "[network][timing]") {
  auto spec = two_sites(1.0);  // uplinks 100 GB/s before the override
  spec.overrides.push_back(LinkOverride{"a.leaf1.up", 5e9, std::nullopt, std::nullopt, {}});
  TestSim sim(spec);
  auto t = sim.run({{0, 4, 1e9, 0}, {0, 2, 1e9, 1}, {4, 6, 1e9, 2}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 5e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 50e9).epsilon(kEps));  // inside leaf 0
  CHECK(t[2].flow_elapsed == Approx(1e9 / 50e9).epsilon(kEps));  // inside leaf 1: no uplink
}

TEST_CASE("flows share a bottleneck equally regardless of their route latency", "[network][timing]") {
  // WAN 100 GB/s and uplinks 100 GB/s, so a.n0.nic0 (50 GB/s) is the only shared bottleneck of
  // a 20 ms WAN flow and a microsecond LAN flow. SimGrid with link latencies would weight the
  // shares by latency (the WAN flow starved); with latency applied by trainsim they are equal.
  TestSim sim(two_sites(1.0, 100e9));
  const double wan = sim.net().route_latency(0, 8), lan = sim.net().route_latency(0, 2);
  REQUIRE(wan > 0.02);
  auto t = sim.run({{0, 8, 1e9, 0}, {0, 2, 1e9, wan - lan}});
  REQUIRE(t[0].flow_start == Approx(t[1].flow_start).epsilon(1e-9));
  CHECK(t[0].flow_elapsed == Approx(1e9 / 25e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 25e9).epsilon(kEps));
}

TEST_CASE("with latencies inside SimGrid the long route would be starved (why they are not)", "[network][timing]") {
  // The counterfactual of the test above: put each link's latency into SimGrid and let the two
  // flows start together. CM02 then weights shares by route latency, so the LAN flow takes
  // nearly all of the NIC; with equal shares it would finish at 0.02 + 9e9 / 25e9 = 0.38 s.
  TestSim sim(two_sites(1.0, 100e9));
  for (const auto& l : sim.net().links()) {
    auto* duplex = static_cast<simgrid::s4u::SplitDuplexLink*>(l.link);
    duplex->get_link_up()->set_latency(l.latency);
    duplex->get_link_down()->set_latency(l.latency);
  }
  auto t = sim.run({{0, 8, 10e9, 0, false}, {0, 2, 10e9, 0, false}});
  CHECK(t[1].elapsed < 0.25);                      // LAN: close to alone (0.2 s)
  CHECK(t[0].elapsed > 0.02 + 10e9 / 50e9 + 0.1);  // WAN: delayed well beyond its fair finish
}

TEST_CASE("an NVLink mesh gives each GPU pair its share of the GPU's bandwidth", "[network][timing]") {
  auto c = make_cluster("m", 1, 4, FabricKind::SingleSwitch);
  c.intra.kind = IntraNodeKind::NvLinkMesh;
  TestSim sim(single(c));
  // 400 GB/s per GPU over 3 peers; a mesh link carries the whole GPU-to-GPU latency (2 us).
  // Two flows from GPU 0 to different peers use different links: no sharing.
  auto t = sim.run({{0, 3, 1e9, 0}, {0, 1, 1e9, 0}, {3, 0, 1e9, 1}});
  CHECK(t[0].elapsed == Approx(2e-6 + 1e9 / (400e9 / 3)).epsilon(kEps));
  CHECK(t[1].elapsed == Approx(2e-6 + 1e9 / (400e9 / 3)).epsilon(kEps));
  CHECK(t[2].elapsed == Approx(2e-6 + 1e9 / (400e9 / 3)).epsilon(kEps));
}

TEST_CASE("a measured matrix sets pair and NVLink bandwidths seen by flows", "[network][timing]") {
  auto c = make_cluster("m", 3, 2, FabricKind::Measured);
  PlatformSpec p = single(c);
  BandwidthMatrix m;
  m.cluster = "m";
  m.file = "matrix.json";
  m.bandwidth = {{200e9, 40e9, 30e9}, {40e9, 100e9, 20e9}, {30e9, 10e9, 100e9}};
  p.matrix = m;
  TestSim sim(p);
  // GPUs: m.n<k>.gpu<i> = 2k+i.
  auto t = sim.run({{0, 2, 1e9, 0}, {2, 4, 1e9, 1}, {4, 2, 1e9, 2}, {0, 1, 1e9, 3}, {2, 3, 1e9, 4}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 40e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 10e9).epsilon(kEps));  // min(20, 10): slower direction
  CHECK(t[2].flow_elapsed == Approx(1e9 / 10e9).epsilon(kEps));
  CHECK(t[3].flow_elapsed == Approx(1e9 / 200e9).epsilon(kEps));  // node 0's diagonal
  CHECK(t[4].flow_elapsed == Approx(1e9 / 100e9).epsilon(kEps));
}
