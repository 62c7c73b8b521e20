// PCIe-only nodes (intra_node kind pcie; platform/pcie.hpp, docs/platforms.md "PCIe nodes"):
// paths through the switch / root complex / socket hierarchy, the routes the network builds from
// them, lone-transfer times and contention, all against hand computations.
#include <catch2/catch.hpp>

#include <algorithm>

#include "config/loader.hpp"
#include "platform/link_names.hpp"
#include "platform/pcie.hpp"
#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;
using pcie::Half;
using pcie::PathLink;

namespace {

// Two nodes of 8 GPUs and 2 NICs, two sockets:
//   socket 0: switch 0 {GPU 0, 1, NIC 0}, switch 1 {GPU 2, 3}
//   socket 1: switch 2 {GPU 4, 5, NIC 1}, root ports {GPU 6, 7}
// GPU links 20 GB/s (1 us each, 2 us GPU to GPU), switch uplinks 16 GB/s (0.5 us), root
// complexes 12 GB/s for both directions together (1 us), socket link 10 GB/s (1.5 us), NICs
// 5 GB/s (1 us), one switch between the nodes (no latency). GPU i uses NIC i * 2 / 8.
ClusterSpec two_socket_node(double root_complex = 12e9) {
  ClusterSpec c = make_cluster("p", 2, 8, FabricKind::SingleSwitch);
  c.fabric.switch_latency = 0;
  c.intra = {IntraNodeKind::Pcie, 20e9, 2e-6};
  PcieTopology& t = c.intra.pcie;
  t.sockets = 2;
  t.switches = {{0, {0, 1}, {0}}, {0, {2, 3}, {}}, {1, {4, 5}, {1}}};
  t.root_ports = {{1, {6, 7}, {}}};
  t.switch_uplink = {16e9, 0.5e-6};
  t.root_complex = {root_complex, 1e-6};
  t.socket_link = {10e9, 1.5e-6};
  c.nic = {2, 5e9, 1e-6};
  return c;
}

using V = std::vector<std::string>;
constexpr double kEps = 1e-3;

}  // namespace

TEST_CASE("PCIe paths climb the tree only as far as the two devices' common ancestor", "[network][pcie]") {
  const ClusterSpec c = two_socket_node();
  using P = std::vector<PathLink>;
  // Under one switch: the two GPU links.
  CHECK(pcie::gpu_to_gpu(c, 0, 0, 1) == P{{"p.n0.gpu0.pcie", Half::Up}, {"p.n0.gpu1.pcie", Half::Down}});
  // Two switches of one socket: up, through the root complex, down.
  CHECK(pcie::gpu_to_gpu(c, 0, 0, 2) == P{{"p.n0.gpu0.pcie", Half::Up}, {"p.n0.pcie0.up", Half::Up},
                                          {"p.n0.cpu0", Half::Shared}, {"p.n0.pcie1.up", Half::Down},
                                          {"p.n0.gpu2.pcie", Half::Down}});
  // Across sockets: the socket link instead of a root complex, UP from socket 0 to 1.
  CHECK(pcie::gpu_to_gpu(c, 1, 0, 4) == P{{"p.n1.gpu0.pcie", Half::Up}, {"p.n1.pcie0.up", Half::Up},
                                          {"p.n1.cpu0-1", Half::Up}, {"p.n1.pcie2.up", Half::Down},
                                          {"p.n1.gpu4.pcie", Half::Down}});
  CHECK(pcie::gpu_to_gpu(c, 0, 6, 0) == P{{"p.n0.gpu6.pcie", Half::Up}, {"p.n0.cpu0-1", Half::Down},
                                          {"p.n0.pcie0.up", Half::Down}, {"p.n0.gpu0.pcie", Half::Down}});
  // Root ports: no switch uplink, the root complex between them.
  CHECK(pcie::gpu_to_gpu(c, 0, 6, 7) == P{{"p.n0.gpu6.pcie", Half::Up}, {"p.n0.cpu1", Half::Shared},
                                          {"p.n0.gpu7.pcie", Half::Down}});
  // To a NIC: the same rule, the NIC's own PCIe link not modelled.
  CHECK(pcie::gpu_to_nic(c, 0, 1, 0) == P{{"p.n0.gpu1.pcie", Half::Up}});
  CHECK(pcie::gpu_to_nic(c, 0, 2, 0) == P{{"p.n0.gpu2.pcie", Half::Up}, {"p.n0.pcie1.up", Half::Up},
                                          {"p.n0.cpu0", Half::Shared}, {"p.n0.pcie0.up", Half::Down}});
  CHECK(pcie::gpu_to_nic(c, 0, 6, 1) == P{{"p.n0.gpu6.pcie", Half::Up}, {"p.n0.cpu1", Half::Shared},
                                          {"p.n0.pcie2.up", Half::Down}});
  CHECK(pcie::reversed(pcie::gpu_to_nic(c, 0, 6, 1)) ==
        P{{"p.n0.pcie2.up", Half::Up}, {"p.n0.cpu1", Half::Shared}, {"p.n0.gpu6.pcie", Half::Down}});
  // nvidia-smi topo -m's names for these pairs.
  CHECK(pcie::path_class(c.intra.pcie, 0, 1) == "PIX");
  CHECK(pcie::path_class(c.intra.pcie, 0, 2) == "PHB");
  CHECK(pcie::path_class(c.intra.pcie, 6, 7) == "PHB");
  CHECK(pcie::path_class(c.intra.pcie, 3, 5) == "SYS");
}

TEST_CASE("a PCIe topology is refused with the key at fault", "[network][pcie]") {
  PcieTopology t = two_socket_node().intra.pcie;
  CHECK(pcie::check(t, 8, 2).key.empty());
  auto problem = [](PcieTopology bad, int gpus = 8, int nics = 2) { return pcie::check(bad, gpus, nics); };
  PcieTopology missing = t;
  missing.root_ports[0].gpus = {6};
  CHECK(problem(missing).key == "switches");
  CHECK(problem(missing).message ==
        "GPU 7 is attached to no PCIe switch or root port; list each of GPUs 0..7 once under switches or root_ports");
  PcieTopology twice = t;
  twice.switches[1].gpus = {2, 3, 1};
  CHECK(problem(twice).key == "switches[1].gpus");
  CHECK(problem(twice).message == "GPU 1 is attached twice; each GPU hangs off one switch or root port");
  PcieTopology no_rc = t;
  no_rc.root_complex = {};
  CHECK(problem(no_rc).key == "root_complex");
  PcieTopology no_upi = t;
  no_upi.socket_link = {};
  CHECK(problem(no_upi).key == "socket_link");
  PcieTopology bad_socket = t;
  bad_socket.switches[0].socket = 2;
  CHECK(problem(bad_socket).key == "switches[0].socket");
  // One switch holding every device needs neither an uplink nor a root complex.
  PcieTopology one;
  one.switches = {{0, {0, 1, 2, 3}, {0}}};
  CHECK(problem(one, 4, 1).key.empty());
}

TEST_CASE("PCIe routes in the network are the paths, with the NICs between nodes", "[network][pcie]") {
  TestSim sim(single(two_socket_node()));
  Network& net = sim.net();
  // GPUs: p.n<k>.gpu<i> = 8k + i.
  CHECK(names(net.route(0, 2)) == V{"p.n0.gpu0.pcie", "p.n0.pcie0.up", "p.n0.cpu0", "p.n0.pcie1.up", "p.n0.gpu2.pcie"});
  CHECK(simgrid_names(net, 0, 2) ==
        V{"p.n0.gpu0.pcie_UP", "p.n0.pcie0.up_UP", "p.n0.cpu0", "p.n0.pcie1.up_DOWN", "p.n0.gpu2.pcie_DOWN"});
  CHECK(simgrid_names(net, 14, 8) ==
        V{"p.n1.gpu6.pcie_UP", "p.n1.cpu0-1_DOWN", "p.n1.pcie0.up_DOWN", "p.n1.gpu0.pcie_DOWN"});
  // Between nodes: n0.gpu2 to its NIC 0 (through socket 0's root complex), the NICs, then from
  // n1's NIC 1 down to n1.gpu6 (through socket 1's root complex).
  CHECK(simgrid_names(net, 2, 14) == V{"p.n0.gpu2.pcie_UP", "p.n0.pcie1.up_UP", "p.n0.cpu0", "p.n0.pcie0.up_DOWN",
                                       "p.n0.nic0_UP", "p.n1.nic1_DOWN", "p.n1.pcie2.up_UP", "p.n1.cpu1",
                                       "p.n1.gpu6.pcie_DOWN"});
  CHECK(net.find_link("p.n0.cpu0")->tier == LinkTier::Pcie);
  CHECK(std::string(tier_name(net.find_link("p.n1.gpu3.pcie")->tier)) == "pcie");
  // Latencies by hand: 1 + 0.5 + 1 + 0.5 + 1 us; inter-node 1 + 0.5 + 1 + 0.5 + 1 + 1 + 0.5 + 1 + 1.
  CHECK(net.route_latency(0, 2) == Approx(4.0e-6));
  CHECK(net.route_latency(0, 4) == Approx(4.5e-6));
  CHECK(net.route_latency(2, 14) == Approx(7.5e-6));
}

TEST_CASE("lone PCIe transfers take latency plus size over the path's narrowest link", "[network][pcie]") {
  TestSim sim(single(two_socket_node()));
  // A second apart, so each runs alone.
  const auto t = sim.run({{0, 1, 1e9, 0}, {0, 2, 1e9, 1}, {0, 4, 1e9, 2}, {6, 7, 1e9, 3}, {2, 14, 1e9, 4}});
  CHECK(t[0].elapsed == Approx(2e-6 + 1e9 / 20e9).epsilon(kEps));    // PIX: GPU links
  CHECK(t[1].elapsed == Approx(4e-6 + 1e9 / 12e9).epsilon(kEps));    // PHB: the root complex
  CHECK(t[2].elapsed == Approx(4.5e-6 + 1e9 / 10e9).epsilon(kEps));  // SYS: the socket link
  CHECK(t[3].elapsed == Approx(3e-6 + 1e9 / 12e9).epsilon(kEps));    // root ports: the root complex
  CHECK(t[4].elapsed == Approx(7.5e-6 + 1e9 / 5e9).epsilon(kEps));   // other node: the NICs
}

TEST_CASE("two GPU pairs sharing a switch uplink each get half of it", "[network][pcie]") {
  // Root complexes at 40 GB/s so that the 16 GB/s uplinks are the bottleneck.
  TestSim sim(single(two_socket_node(40e9)));
  // 0->2 and 1->3 both go up switch 0's uplink and down switch 1's: 8 GB/s each. In the other
  // direction the uplinks' other halves carry 3->1 at the full 16 GB/s (split duplex).
  const auto t = sim.run({{0, 2, 1e9, 0}, {1, 3, 1e9, 0}, {3, 1, 1e9, 0}, {0, 2, 1e9, 1}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 8e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 8e9).epsilon(kEps));
  CHECK(t[2].flow_elapsed == Approx(1e9 / 16e9).epsilon(kEps));
  CHECK(t[3].flow_elapsed == Approx(1e9 / 16e9).epsilon(kEps));  // alone: the uplink's full rate
}

TEST_CASE("a root complex is shared by both directions: a socket link is not", "[network][pcie]") {
  TestSim sim(single(two_socket_node()));
  // 0->2 and 2->0 both turn in socket 0's root complex: 12 GB/s for both, 6 each. 0->4 and 4->0
  // cross the socket link in opposite directions: 10 GB/s each (their uplinks are 16 GB/s).
  const auto t = sim.run({{0, 2, 1e9, 0}, {2, 0, 1e9, 0}, {1, 5, 1e9, 1}, {5, 1, 1e9, 1}});
  CHECK(t[0].flow_elapsed == Approx(1e9 / 6e9).epsilon(kEps));
  CHECK(t[1].flow_elapsed == Approx(1e9 / 6e9).epsilon(kEps));
  CHECK(t[2].flow_elapsed == Approx(1e9 / 10e9).epsilon(kEps));
  CHECK(t[3].flow_elapsed == Approx(1e9 / 10e9).epsilon(kEps));
}

TEST_CASE("AMP's g4dn.12xlarge platform: four T4 on one socket's root ports, 50 Gbit/s", "[network][pcie]") {
  const PlatformSpec spec = load_platform_file(std::string(TRAINSIM_SOURCE_DIR) + "/platforms/amp-g4dn-4node.yaml");
  const ClusterSpec& c = spec.clusters.at(0);
  CHECK(c.gpu.name == "T4");
  CHECK((c.nodes == 4 && c.gpus_per_node == 4 && c.nic.count == 1));
  CHECK(c.nic.bandwidth == Approx(50e9 / 8));
  CHECK(c.intra.kind == IntraNodeKind::Pcie);
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      if (a != b) CHECK(pcie::path_class(c.intra.pcie, a, b) == "PHB");
  TestSim sim(spec);
  // A lone transfer between two T4 of a node: GPU link 12 GB/s, root complex 24 GB/s; latency
  // 1 us (GPU link) + 1 us (root complex) + 1 us. Two pairs at once share the root complex.
  const auto t = sim.run({{0, 1, 1.2e9, 0}, {0, 1, 1.2e9, 1}, {2, 3, 1.2e9, 1}, {1, 0, 1.2e9, 1}});
  CHECK(t[0].elapsed == Approx(3e-6 + 1.2e9 / 12e9).epsilon(kEps));
  for (int i = 1; i < 4; ++i) CHECK(t[i].flow_elapsed == Approx(1.2e9 / 8e9).epsilon(kEps));  // 24 / 3
  // Between nodes: GPU link, root complex, NIC (6.25 GB/s), NIC, root complex, GPU link.
  CHECK(sim.net().route_latency(0, 4) == Approx(1e-6 + 1e-6 + 15e-6 + 15e-6 + 1e-6 + 1e-6));
}

TEST_CASE("a measured matrix's diagonal sets a PCIe node's GPU links, not the rest of its tree", "[network][pcie]") {
  ClusterSpec c = two_socket_node();
  c.fabric.kind = FabricKind::Measured;
  PlatformSpec spec = single(c);
  BandwidthMatrix m;
  m.cluster = "p";
  m.bandwidth = {{9e9, 3e9}, {4e9, 11e9}};
  spec.matrix = m;
  TestSim sim(spec);
  const Network& net = sim.net();
  CHECK(net.find_link("p.n0.gpu5.pcie")->bandwidth == 9e9);
  CHECK(net.find_link("p.n1.gpu0.pcie")->bandwidth == 11e9);
  CHECK(net.find_link("p.n1.pcie0.up")->bandwidth == 16e9);
  CHECK(net.find_link("p.n0.cpu0")->bandwidth == 12e9);
  CHECK(net.find_link("p.pair.n0-n1")->bandwidth == 3e9);
  // A measured node's routes keep the PCIe path to the NIC: n0.gpu2 -> n1.gpu6.
  CHECK(names(net.route(2, 14)) == V{"p.n0.gpu2.pcie", "p.n0.pcie1.up", "p.n0.cpu0", "p.n0.pcie0.up", "p.n0.nic0",
                                     "p.pair.n0-n1", "p.n1.nic1", "p.n1.pcie2.up", "p.n1.cpu1", "p.n1.gpu6.pcie"});
}

TEST_CASE("the link names the loader checks globs against are the links a PCIe platform builds", "[network][pcie]") {
  // Two PCIe clusters, one with every kind of link, one switch-only (no uplink, root complex or
  // socket link is built: no path crosses one); WAN between them.
  PlatformSpec spec = single(two_socket_node());
  ClusterSpec flat = make_cluster("q", 1, 4, FabricKind::SingleSwitch);
  flat.intra = {IntraNodeKind::Pcie, 12e9, 2e-6};
  flat.intra.pcie.switches = {{0, {0, 1, 2, 3}, {0}}};
  spec.clusters.push_back(flat);
  spec.wan.push_back(WanLinkSpec{"p", "q", 10e9, 1e-3, {}});
  TestSim sim(spec);
  std::vector<std::string> built, named;
  for (const auto& l : sim.net().links()) built.push_back(l.name);
  link_names::for_each_link_name(spec, [&](const std::string& name) { return named.push_back(name), false; });
  std::sort(built.begin(), built.end());
  std::sort(named.begin(), named.end());
  CHECK(built == named);
  CHECK(std::count_if(built.begin(), built.end(), [](const std::string& n) { return n.rfind("q.", 0) == 0; }) == 5);
}
