// Every shipped platform file loads, with the GPU counts and figures it claims.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "config/loader.hpp"

using namespace trainsim;

namespace {
PlatformSpec shipped(const std::string& name) {
  return load_platform_file(std::string(TRAINSIM_SOURCE_DIR) + "/platforms/" + name);
}
}  // namespace

TEST_CASE("platforms: every shipped file loads with its expected GPU count") {
  const std::map<std::string, int> expected = {
      {"selene-dgx-a100.yaml", 3072}, {"dgx-a100-16node.yaml", 128}, {"h100-400g.yaml", 16384},
      {"v100-edr-hetero.yaml", 128},  {"a100-hdr-hetero.yaml", 64},  {"two-datacenters.yaml", 512},
      {"amp-g4dn-4node.yaml", 16},    {"h800-deepseek-v3.yaml", 2048}};
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(TRAINSIM_SOURCE_DIR) + "/platforms")) {
    if (e.path().extension() != ".yaml") continue;
    const std::string name = e.path().filename().string();
    INFO(name);
    PlatformSpec p = load_platform_file(e.path().string());
    REQUIRE(expected.count(name) == 1);  // a new platform file needs its count listed here
    CHECK(p.total_gpus() == expected.at(name));
    ++seen;
  }
  CHECK(seen == static_cast<int>(expected.size()));
}

TEST_CASE("platforms: figures are converted to SI units") {
  PlatformSpec s = shipped("selene-dgx-a100.yaml");
  REQUIRE(s.clusters.size() == 1);
  const ClusterSpec& c = s.clusters[0];
  CHECK(s.name == "selene-dgx-a100");
  CHECK(c.gpu.name == "A100-80GB");
  CHECK(c.intra.kind == IntraNodeKind::NvSwitch);
  CHECK(c.intra.bandwidth == Approx(240e9));
  CHECK(c.intra.latency == Approx(1e-6));
  CHECK(c.nic.count == 8);
  CHECK(c.nic.bandwidth == Approx(25e9));  // 200 Gb/s
  CHECK(c.nic.latency == Approx(600e-9));
  CHECK(c.fabric.kind == FabricKind::FatTree);
  CHECK(c.fabric.nodes_per_leaf == 20);
  CHECK(c.fabric.oversubscription == 1.0);
  CHECK(c.fabric.switch_latency == Approx(130e-9));
  CHECK(c.where.line == 6);

  PlatformSpec h = shipped("h100-400g.yaml");
  CHECK(h.clusters[0].fabric.kind == FabricKind::RailOptimized);
  CHECK(h.clusters[0].nic.bandwidth == Approx(50e9));
  CHECK(h.clusters[0].intra.bandwidth == Approx(370.8e9));
}

TEST_CASE("platforms: WAN and heterogeneity sections are parsed") {
  PlatformSpec two = shipped("two-datacenters.yaml");
  REQUIRE(two.wan.size() == 1);
  CHECK(two.wan[0].a == "dc1");
  CHECK(two.wan[0].b == "dc2");
  CHECK(two.wan[0].bandwidth == Approx(1.25e9));
  CHECK(two.wan[0].latency == Approx(0.02));

  PlatformSpec v = shipped("v100-edr-hetero.yaml");
  CHECK(v.clusters[0].intra.kind == IntraNodeKind::NvLinkMesh);
  REQUIRE(v.spreads.size() == 1);
  CHECK(v.spreads[0].distribution == SpreadDistribution::LogNormal);
  CHECK(v.spreads[0].sigma == 0.1);
  REQUIRE(v.overrides.size() == 1);
  CHECK(v.overrides[0].links == "v100.n5.nic0");
  CHECK(*v.overrides[0].factor == 0.5);
  CHECK(!v.overrides[0].bandwidth);

  PlatformSpec a = shipped("a100-hdr-hetero.yaml");
  REQUIRE(a.matrix);
  CHECK(a.matrix->cluster == "a100");
  CHECK(a.matrix->hosts.size() == 8);
  CHECK(a.matrix->bandwidth[0][1] == Approx(20.53e9));  // "20.53" GB/s in the JSON
  CHECK(a.matrix->bandwidth[6][7] == Approx(8.80e9));
  CHECK(a.matrix->file == std::string(TRAINSIM_SOURCE_DIR) + "/platforms/matrices/a100-hdr-8node.json");
}
