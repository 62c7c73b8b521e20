// Route contents and latencies against the naming scheme of platform/spec.hpp.
#include <catch2/catch.hpp>

#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;

namespace {

using V = std::vector<std::string>;

PlatformSpec three_sites() {
  PlatformSpec p;
  auto a = make_cluster("a", 4, 8, FabricKind::RailOptimized, 2);
  a.nic.count = 4;  // GPU i uses NIC i*4/8 = i/2
  p.clusters.push_back(a);
  p.clusters.push_back(make_cluster("b", 2, 2, FabricKind::SingleSwitch));
  p.clusters.push_back(make_cluster("c", 1, 2, FabricKind::SingleSwitch));
  // a - b - c in a line: a reaches c through b.
  p.wan.push_back(WanLinkSpec{"a", "b", 10e9, 10e-3, {}});
  p.wan.push_back(WanLinkSpec{"b", "c", 10e9, 5e-3, {}});
  return p;
}

}  // namespace

TEST_CASE("routes follow the naming scheme at every level", "[network][routes]") {
  TestSim sim(three_sites());
  Network& net = sim.net();
  // GPUs: a.n<k>.gpu<i> = 8k+i (0..31), b = 32 + 2k+i, c = 36 + i.
  REQUIRE(net.gpu_count() == 38);
  CHECK(net.gpu_host(13)->get_name() == "a.n1.gpu5");
  CHECK(net.gpu_host(35)->get_name() == "b.n1.gpu1");
  CHECK(net.gpu_index(net.gpu_host(13)) == 13);
  const auto& loc = net.location(35);
  CHECK((loc.cluster == 1 && loc.node == 1 && loc.local == 1 && loc.global_node == 5));

  // Intra-node: source NVSwitch port up, destination port down.
  CHECK(names(net.route(1, 6)) == V{"a.n0.gpu1.nvlink", "a.n0.gpu6.nvlink"});
  CHECK(simgrid_names(net, 1, 6) == V{"a.n0.gpu1.nvlink_UP", "a.n0.gpu6.nvlink_DOWN"});
  // Intra-leaf (rail unit 0 = nodes 0, 1): each GPU's own NIC (GPU 5 -> NIC 2, GPU 1 -> NIC 0).
  CHECK(names(net.route(5, 9)) == V{"a.n0.nic2", "a.n1.nic0"});
  CHECK(simgrid_names(net, 5, 9) == V{"a.n0.nic2_UP", "a.n1.nic0_DOWN"});
  // Cross-leaf: source uplink up, destination uplink down.
  CHECK(names(net.route(7, 24)) == V{"a.n0.nic3", "a.leaf0.up", "a.leaf1.up", "a.n3.nic0"});
  CHECK(simgrid_names(net, 7, 24) == V{"a.n0.nic3_UP", "a.leaf0.up_UP", "a.leaf1.up_DOWN", "a.n3.nic0_DOWN"});
  // Cross-cluster: up the source leaf, over the WAN, down the destination.
  CHECK(names(net.route(17, 33)) == V{"a.n2.nic0", "a.leaf1.up", "wan.a-b", "b.n0.nic0"});
  CHECK(simgrid_names(net, 33, 17) == V{"b.n0.nic0_UP", "wan.a-b_DOWN", "a.leaf1.up_DOWN", "a.n2.nic0_DOWN"});
  // Through an intermediate cluster.
  CHECK(names(net.route(0, 37)) == V{"a.n0.nic0", "a.leaf0.up", "wan.a-b", "wan.b-c", "c.n0.nic0"});
  CHECK(simgrid_names(net, 37, 0) ==
        V{"c.n0.nic0_UP", "wan.b-c_DOWN", "wan.a-b_DOWN", "a.leaf0.up_DOWN", "a.n0.nic0_DOWN"});
  CHECK(net.route(3, 3).empty());

  // Tiers.
  CHECK(net.find_link("a.n0.gpu1.nvlink")->tier == LinkTier::NvLink);
  CHECK(net.find_link("a.n0.nic2")->tier == LinkTier::Nic);
  CHECK(net.find_link("a.leaf1.up")->tier == LinkTier::Leaf);
  CHECK(net.find_link("wan.b-c")->tier == LinkTier::Wan);
  CHECK(net.find_link("a.n0.nic4") == nullptr);
  CHECK(std::string(tier_name(LinkTier::Path)) == "path");
}

TEST_CASE("route latency sums link latencies: switches counted once per traversal", "[network][routes]") {
  TestSim sim(three_sites());
  Network& net = sim.net();
  // NVSwitch: the GPU-to-GPU figure, split over the two ports.
  CHECK(net.route_latency(1, 6) == Approx(2e-6));
  // NIC 1 us each + one switch 0.5 us.
  CHECK(net.route_latency(5, 9) == Approx(2.5e-6));
  // NIC 1 us each + three switches (leaf, spine, leaf).
  CHECK(net.route_latency(7, 24) == Approx(3.5e-6));
  // a -> c: NIC + half switch, leaf up (a switch), both WAN links, NIC + half switch.
  CHECK(net.route_latency(0, 37) == Approx(1.25e-6 + 0.5e-6 + 10e-3 + 5e-3 + 1.25e-6));
  CHECK(net.route_latency(0, 37) == net.route_latency(0, 37));  // cached value is the same
  CHECK(net.route_latency(4, 4) == 0);
}

TEST_CASE("the leaf uplink bundle carries its nodes' NIC capacity over the oversubscription", "[network][routes]") {
  auto c = make_cluster("f", 5, 2, FabricKind::FatTree, 2);
  c.nic.count = 2;
  c.fabric.oversubscription = 2;
  TestSim sim(single(c));
  // Leaves: {0,1}, {2,3}, {4}: 2 nodes x 2 NICs x 50 GB/s / 2, the last leaf half of it.
  CHECK(sim.net().find_link("f.leaf0.up")->bandwidth == Approx(100e9));
  CHECK(sim.net().find_link("f.leaf1.up")->bandwidth == Approx(100e9));
  CHECK(sim.net().find_link("f.leaf2.up")->bandwidth == Approx(50e9));
  CHECK(sim.net().find_link("f.leaf3.up") == nullptr);
  CHECK(sim.net().find_link("f.leaf0.up")->latency == Approx(0.5e-6));
}

TEST_CASE("measured fabric routes through the pair link", "[network][routes]") {
  TestSim sim(single(make_cluster("m", 3, 2, FabricKind::Measured)));
  Network& net = sim.net();
  CHECK(names(net.route(0, 4)) == V{"m.n0.nic0", "m.pair.n0-n2", "m.n2.nic0"});
  CHECK(simgrid_names(net, 5, 1) == V{"m.n2.nic0_UP", "m.pair.n0-n2_DOWN", "m.n0.nic0_DOWN"});
  CHECK(names(net.route(2, 3)) == V{"m.n1.gpu0.nvlink", "m.n1.gpu1.nvlink"});
  CHECK(net.find_link("m.pair.n1-n2")->tier == LinkTier::Path);
  CHECK(net.route_latency(0, 4) == Approx(2.5e-6));
}

TEST_CASE("SimGrid links carry no latency and the rates trainsim holds", "[network][routes]") {
  auto spec = three_sites();
  spec.overrides.push_back(LinkOverride{"a.n*.nic1", std::nullopt, 0.5, 1e-3, {}});
  TestSim sim(spec);
  for (const auto& l : sim.net().links()) {
    auto* duplex = static_cast<simgrid::s4u::SplitDuplexLink*>(l.link);
    INFO(l.name);
    CHECK(duplex->get_link_up()->get_bandwidth() == l.bandwidth);
    CHECK(duplex->get_link_down()->get_bandwidth() == l.bandwidth);
    CHECK(duplex->get_link_up()->get_latency() == 0);
    CHECK(duplex->get_link_down()->get_latency() == 0);
  }
  CHECK(sim.net().find_link("a.n3.nic1")->bandwidth == Approx(25e9));
  CHECK(sim.net().find_link("a.n3.nic1")->latency == Approx(1e-3));
  CHECK(sim.net().find_link("a.n3.nic1")->nominal_bandwidth == Approx(50e9));
}
