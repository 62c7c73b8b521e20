// Building only what a job uses (network.hpp, GpuScope; docs/network.md "Building only what a
// job uses"): the scoped build holds exactly the links routes between the job's GPUs cross, with
// the whole platform's rates, and every job kind gives the same results as on the whole platform.
// Whole and scoped runs each need their own process (one SimGrid engine per process).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <sstream>

#include "engine/isolated.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;

namespace {

// Cluster a: fat tree, 7 nodes x 2 GPUs, 3 nodes per leaf (the last leaf holds one node),
// oversubscription 2: uplinks 3 x 50 / 2 = 75 GB/s and 1 x 50 / 2 = 25 GB/s.
// Cluster b: single switch, 2 nodes x 2 GPUs; cluster c: 1 node x 2 GPUs. WAN a - b - c in a
// line, so a reaches c through b. GPUs: a 0..13 (a.n<k>.gpu<i> = 2k + i), b 14..17, c 18..19.
PlatformSpec three_sites() {
  PlatformSpec p;
  p.name = "scope";
  auto a = make_cluster("a", 7, 2, FabricKind::FatTree, 3);
  a.fabric.oversubscription = 2;
  p.clusters.push_back(a);
  p.clusters.push_back(make_cluster("b", 2, 2, FabricKind::SingleSwitch));
  p.clusters.push_back(make_cluster("c", 1, 2, FabricKind::SingleSwitch));
  p.wan.push_back(WanLinkSpec{"a", "b", 20e9, 5e-3, {}});
  p.wan.push_back(WanLinkSpec{"b", "c", 30e9, 2e-3, {}});
  return p;
}

std::vector<std::string> link_names_of(const Network& net) {
  std::vector<std::string> out;
  for (const auto& l : net.links()) out.push_back(l.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Each flow's timing, every link's bandwidth and latency, in a text both builds can compare.
std::string flows_and_links(const PlatformSpec& spec, const GpuScope& scope, const std::vector<Flow>& flows) {
  TestSim sim(spec, 7, scope);
  std::ostringstream os;
  os.precision(17);
  for (const auto& l : sim.net().links()) os << l.name << " " << l.bandwidth << " " << l.latency << "\n";
  for (const auto& t : sim.run(flows)) os << "flow " << t.elapsed << " " << t.flow_start << "\n";
  return os.str();
}

std::map<std::string, double> summary(const std::string& text) {
  std::map<std::string, double> m;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    const size_t space = line.rfind(' ');
    m[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);  // "nan" too
  }
  return m;
}

// The job's summary values and result tables with the scoped and with the whole platform, each
// in a child.
void check_same_summary(const std::string& yaml) {
  auto job = [yaml](bool whole) {
    return [yaml, whole] {
      const Scenario sc = load_scenario_text(yaml, "scope-test.yaml");
      JobOptions options;
      options.quiet = true;
      options.whole_platform = whole;
      const JobOutcome out = run_job(sc, options);
      std::ostringstream os;
      os.precision(17);
      for (const auto& v : out.trace.summary) os << v.name << " " << v.value << "\n";
      for (const auto& t : out.trace.tables)  // results kept as tables (DiLoCo rows, collective sizes)
        for (size_t c = 0; c < t.numeric_columns.size(); ++c)
          for (size_t r = 0; r < t.numeric_columns[c].size(); ++r)
            os << t.name << "." << t.numeric_names[c] << "[" << r << "] " << t.numeric_columns[c][r] << "\n";
      return os.str();
    };
  };
  const auto out = run_isolated_all({job(false), job(true)}, 2);
  const auto scoped = summary(out[0]), whole = summary(out[1]);
  REQUIRE(scoped.size() == whole.size());
  REQUIRE(scoped.size() > 5);
  for (const auto& [name, value] : whole) {
    INFO(name << ": whole " << value << ", scoped " << scoped.at(name));
    if (std::isnan(value)) CHECK(std::isnan(scoped.at(name)));
    else CHECK(std::abs(scoped.at(name) - value) <= 1e-12 * std::max(1.0, std::abs(value)));
  }
}

}  // namespace

TEST_CASE("a scoped build holds the job's nodes, their leaves' uplinks and every WAN link", "[network][scope]") {
  // a.n0.gpu0 and a.n4.gpu1 (leaves 0 and 1) and c.n0.gpu0: nodes a.n0, a.n4 and c.n0.
  TestSim sim(three_sites(), 1, std::vector<int>{0, 9, 18, 0});
  const Network& net = sim.net();
  CHECK(net.gpu_count() == 20);
  CHECK(net.built_gpu_count() == 6);
  CHECK(net.built(1));   // a whole node is built
  CHECK_FALSE(net.built(2));
  CHECK(link_names_of(net) == std::vector<std::string>{
                                  "a.leaf0.up", "a.leaf1.up", "a.n0.gpu0.nvlink", "a.n0.gpu1.nvlink", "a.n0.nic0",
                                  "a.n4.gpu0.nvlink", "a.n4.gpu1.nvlink", "a.n4.nic0", "c.n0.gpu0.nvlink",
                                  "c.n0.gpu1.nvlink", "c.n0.nic0", "wan.a-b", "wan.b-c"});
  // Uplinks keep the rate of their whole leaf (3 nodes) although one node of it is built.
  CHECK(net.find_link("a.leaf0.up")->bandwidth == 75e9);
  CHECK(net.find_link("a.leaf1.up")->bandwidth == 75e9);
  // Locations are the platform's; a GPU outside the scope has no host.
  CHECK(net.location(17).cluster == 1);
  CHECK(net.location(17).global_node == 8);
  CHECK_THROWS_AS(net.gpu_host(2), InternalError);
  // Through b, whose nodes are not built: the WAN chain is kept.
  std::vector<std::string> route;
  for (const auto* l : net.route(9, 18)) route.push_back(l->name);
  CHECK(route == std::vector<std::string>{"a.n4.nic0", "a.leaf1.up", "wan.a-b", "wan.b-c", "c.n0.nic0"});
}

TEST_CASE("a measured fabric's scope keeps the pair links between its built nodes", "[network][scope]") {
  auto spec = single(make_cluster("m", 4, 2, FabricKind::Measured));
  BandwidthMatrix m;
  m.cluster = "m";
  m.bandwidth = {{300e9, 20e9, 21e9, 22e9}, {20e9, 300e9, 23e9, 24e9}, {21e9, 23e9, 310e9, 25e9},
                 {22e9, 24e9, 25e9, 320e9}};
  spec.matrix = m;
  TestSim sim(spec, 1, std::vector<int>{2, 6});  // nodes 1 and 3
  CHECK(link_names_of(sim.net()) == std::vector<std::string>{"m.n1.gpu0.nvlink", "m.n1.gpu1.nvlink", "m.n1.nic0",
                                                             "m.n3.gpu0.nvlink", "m.n3.gpu1.nvlink", "m.n3.nic0",
                                                             "m.pair.n1-n3"});
  CHECK(sim.net().find_link("m.pair.n1-n3")->bandwidth == 24e9);
  CHECK(sim.net().find_link("m.n3.gpu1.nvlink")->bandwidth == 320e9);
}

TEST_CASE("a rule about links outside the scope is accepted: one matching no link is still refused",
          "[network][scope]") {
  auto spec = three_sites();
  spec.overrides.push_back(LinkOverride{"a.n5.nic0", std::nullopt, 0.5, std::nullopt, {"p.yaml", 12, 7}});
  {
    const auto out = run_isolated([&] {
      TestSim sim(spec, 1, std::vector<int>{0, 1});
      return std::to_string(sim.net().links().size());
    });
    CHECK(out == "6");  // a.n0's two NVSwitch ports and its NIC, a.leaf0.up, wan.a-b, wan.b-c
  }
  spec.overrides.push_back(LinkOverride{"a.n9.nic0", std::nullopt, 0.5, std::nullopt, {"p.yaml", 14, 7}});
  try {
    run_isolated([&] {
      TestSim sim(spec, 1, std::vector<int>{0, 1});
      return std::string();
    });
    FAIL("a glob matching no link of the platform was accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("\"a.n9.nic0\" matches no link of the platform") != std::string::npos);
  }
}

TEST_CASE("flows between scoped GPUs take the same time as on the whole platform", "[network][scope]") {
  auto spec = three_sites();
  // Heterogeneity on built and unbuilt links alike: spread draws depend on link names only.
  spec.spreads.push_back(BandwidthSpread{"a.*nic*", SpreadDistribution::LogNormal, 0.3, 1, 1, {}});
  spec.overrides.push_back(LinkOverride{"a.leaf1.up", std::nullopt, 0.4, std::nullopt, {}});
  spec.overrides.push_back(LinkOverride{"a.n2.nic0", std::nullopt, 0.1, std::nullopt, {}});  // outside
  // Contention: two flows leave leaf 0 through its uplink, one of them also crosses the WAN to c;
  // a third shares a.n4's NIC; an intra-node transfer runs alongside.
  const std::vector<Flow> flows = {{0, 8, 4e9, 0}, {1, 18, 3e9, 0}, {9, 0, 2e9, 1e-3}, {8, 9, 1e9, 0}};
  const std::vector<int> used = {0, 1, 8, 9, 18};
  const auto out = run_isolated_all({[&] { return flows_and_links(spec, used, flows); },
                                     [&] { return flows_and_links(spec, std::nullopt, flows); }},
                                    2);
  // The scoped table is a subset of the whole one, with the same rates; the flows end at the same times.
  std::istringstream scoped(out[0]);
  std::string line;
  std::vector<std::string> scoped_flows, whole_flows;
  while (std::getline(scoped, line)) {
    if (line.rfind("flow ", 0) == 0) scoped_flows.push_back(line);
    else CHECK(out[1].find(line + "\n") != std::string::npos);
  }
  std::istringstream whole(out[1]);
  while (std::getline(whole, line))
    if (line.rfind("flow ", 0) == 0) whole_flows.push_back(line);
  REQUIRE(scoped_flows.size() == 4);
  CHECK(scoped_flows == whole_flows);
}

namespace {

// Fat tree of 10 nodes x 4 GPUs, 3 nodes per leaf (leaf 3 holds node 9 alone), 2 NICs per node,
// oversubscription 2, a lognormal NIC spread and a degraded NIC outside the job.
const char* kFatTree = R"(
  name: fat
  clusters:
    - name: a
      gpu: A100-80GB
      nodes: 10
      gpus_per_node: 4
      intra_node: {kind: nvswitch, bandwidth: 240GB/s, latency: 1us}
      nic: {count: 2, bandwidth: 200Gbps, latency: 600ns}
      fabric: {kind: fat_tree, nodes_per_leaf: 3, oversubscription: 2, switch_latency: 130ns}
  heterogeneity:
    spread: [{links: "a.*.nic*", distribution: lognormal, sigma: 0.2}]
    overrides: [{links: a.n5.nic1, factor: 0.1}, {links: a.leaf1.up, factor: 0.5}]
)";

}  // namespace

TEST_CASE("a training job gives the same summary scoped and on the whole platform", "[network][scope]") {
  // tp 2, pp 2, dp 2 on nodes 0, 4, 7 and 9 (four leaves): data-parallel and pipeline traffic
  // crosses leaf uplinks whose other nodes are not the job's.
  check_same_summary(std::string("name: t\nseed: 3\nplatform:") + kFatTree + R"(
job:
  kind: training
  model: gpt-1.7b
  parallelism: {tp: 2, pp: 2, dp: 2}
  mapping: [0, 1, 16, 17, 28, 29, 36, 37]
  micro_batch: 1
  global_batch: 8
  overlap_grad_reduce: true
  stragglers: {sigma: 0.05}
  iterations: 2
)");
}

TEST_CASE("a collective benchmark gives the same summary scoped and on the whole platform", "[network][scope]") {
  check_same_summary(std::string("name: c\nseed: 3\nplatform:") + kFatTree + R"(
job:
  kind: collective_benchmark
  collectives: [all_reduce, all_to_all]
  algorithms: [ring]
  group: {gpus: [0, 1, 2, 3, 16, 17, 18, 19, 36, 37]}
  sizes: {min: 1MiB, max: 64MiB, factor: 8}
)");
}

TEST_CASE("a collective benchmark on a measured fabric gives the same summary scoped", "[network][scope]") {
  check_same_summary(std::string("name: m\nseed: 3\nplatform:\n") + R"(
  name: measured
  clusters:
    - name: m
      gpu: A100-40GB
      nodes: 8
      intra_node: {kind: nvswitch, bandwidth: 240GB/s, latency: 1us}
      nic: {count: 1, bandwidth: 200Gbps, latency: 600ns}
      fabric: {kind: measured}
  heterogeneity:
    measured_matrix: {cluster: m, file: )" + std::string(TRAINSIM_SOURCE_DIR) + R"(/platforms/matrices/a100-hdr-8node.json}
job:
  kind: collective_benchmark
  collectives: [all_reduce]
  algorithms: [ring, tree]
  group: {gpus: [8, 9, 24, 25, 48, 49]}
  sizes: {min: 1MiB, max: 64MiB, factor: 8}
)");
}

TEST_CASE("full DiLoCo workers give the same summary scoped and on the whole platform", "[network][scope]") {
  // Two datacenters of 4 nodes; each replica (tp 4, pp 2) uses the first two nodes of its own.
  check_same_summary(R"(
name: d
seed: 3
platform:
  name: two
  clusters:
    - {name: dc1, gpu: H100-SXM, nodes: 4, gpus_per_node: 4,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 4, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
    - {name: dc2, gpu: H100-SXM, nodes: 4, gpus_per_node: 4,
       intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us},
       nic: {count: 4, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: single_switch}}
  wan:
    - {between: [dc1, dc2], bandwidth: 10Gbps, latency: 10ms}
job:
  kind: diloco
  worker: full
  rounds: 3
  training:
    model: {name: small, family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 1024, vocab: 51200}
    parallelism: {tp: 4, pp: 2, dp: 1}
    micro_batch: 1
    global_batch: 4
  methods:
    - {name: Streaming, algorithm: streaming, inner_steps: 2, layers_per_fragment: 2, overlap: 1}
)");
}

TEST_CASE("a training job on PCIe nodes gives the same summary scoped and on the whole platform", "[network][scope]") {
  // AMP's 4 x g4dn.12xlarge; the job's 8 GPUs on nodes 1 and 3, data-parallel across them.
  check_same_summary(std::string("name: p\nseed: 3\nplatform: ") + TRAINSIM_SOURCE_DIR + R"(/platforms/amp-g4dn-4node.yaml
job:
  kind: training
  model: {name: small, family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 1024, vocab: 51200}
  parallelism: {tp: 2, pp: 2, dp: 2}
  mapping: [4, 5, 12, 13, 6, 7, 14, 15]
  micro_batch: 1
  global_batch: 8
)");
}
