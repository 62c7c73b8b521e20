// Overrides, spreads and the measured matrix change exactly the links they name.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "network/heterogeneity.hpp"
#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;

namespace {

PlatformSpec rail(int nodes = 4) {
  auto c = make_cluster("r", nodes, 8, FabricKind::RailOptimized, 2);
  c.nic.count = 8;
  return single(c);
}

LinkNameIndex index_of(const std::vector<LinkInfo>& links) {
  LinkNameIndex idx;
  for (size_t i = 0; i < links.size(); ++i) idx.emplace(links[i].name, i);
  return idx;
}

// Names of the links whose bandwidth or latency differ between two tables of the same links.
std::set<std::string> changed(const std::vector<LinkInfo>& before, const std::vector<LinkInfo>& after) {
  REQUIRE(before.size() == after.size());
  std::set<std::string> out;
  for (size_t i = 0; i < before.size(); ++i) {
    REQUIRE(before[i].name == after[i].name);
    REQUIRE(before[i].nominal_bandwidth == after[i].nominal_bandwidth);
    if (before[i].bandwidth != after[i].bandwidth || before[i].latency != after[i].latency) out.insert(after[i].name);
  }
  return out;
}

LinkOverride factor(const std::string& glob, double f, int line = 0) {
  return LinkOverride{glob, std::nullopt, f, std::nullopt, {"platform.yaml", line, 7}};
}

}  // namespace

TEST_CASE("an override by exact name changes that link only", "[network][heterogeneity]") {
  TestSim sim(rail());
  const auto before = sim.net().links();
  auto after = before;
  apply_overrides({LinkOverride{"r.n2.nic5", 10e9, std::nullopt, 3e-6, {}}}, after, index_of(after));
  CHECK(changed(before, after) == std::set<std::string>{"r.n2.nic5"});
  const auto& l = after[index_of(after).at("r.n2.nic5")];
  CHECK(l.bandwidth == 10e9);
  CHECK(l.latency == 3e-6);
}

TEST_CASE("an override by glob changes the links it matches only", "[network][heterogeneity]") {
  TestSim sim(rail());
  const auto before = sim.net().links();
  auto after = before;
  // '*' and '?': NIC 3 of every node, and node 1's NVSwitch ports 0..7.
  apply_overrides({factor("r.n*.nic3", 0.5), factor("r.n1.gpu?.nvlink", 0.8)}, after, index_of(after));
  std::set<std::string> expected = {"r.n0.nic3", "r.n1.nic3", "r.n2.nic3", "r.n3.nic3"};
  for (int i = 0; i < 8; ++i) expected.insert("r.n1.gpu" + std::to_string(i) + ".nvlink");
  CHECK(changed(before, after) == expected);
  CHECK(after[index_of(after).at("r.n2.nic3")].bandwidth == Approx(25e9));
  CHECK(after[index_of(after).at("r.n1.gpu4.nvlink")].bandwidth == Approx(320e9));
}

TEST_CASE("overrides apply in file order, absolute before factor", "[network][heterogeneity]") {
  TestSim sim(rail());
  auto links = sim.net().links();
  const auto idx = index_of(links);
  apply_overrides({factor("r.leaf*.up", 0.5), LinkOverride{"r.leaf1.up", 40e9, 0.25, std::nullopt, {}}}, links, idx);
  CHECK(links[idx.at("r.leaf0.up")].bandwidth == Approx(0.5 * 2 * 8 * 50e9));
  CHECK(links[idx.at("r.leaf1.up")].bandwidth == Approx(10e9));
}

TEST_CASE("a glob that matches no link is an error at the rule's location", "[network][heterogeneity]") {
  auto spec = rail();
  spec.overrides.push_back(factor("r.n9.nic*", 0.5, 12));
  int argc = 1;
  char name[] = "t";
  char* argv[] = {name, nullptr};
  simgrid::s4u::Engine engine(&argc, argv);
  Network::configure_engine(engine);
  try {
    Network net(spec, 1);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.where().file == "platform.yaml");
    CHECK(e.where().line == 12);
    CHECK(e.message().find("r.n9.nic*") != std::string::npos);
  }
}

TEST_CASE("a spread whose glob matches no link is an error at its location", "[network][heterogeneity]") {
  TestSim sim(rail());
  auto links = sim.net().links();
  const std::vector<BandwidthSpread> spreads = {
      BandwidthSpread{"r.n*.nic9", SpreadDistribution::LogNormal, 0.1, 1, 1, {"platform.yaml", 40, 9}}};
  try {
    apply_spreads(spreads, 1, links, index_of(links));
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.where().line == 40);
    CHECK(e.key() == "links");
  }
}

TEST_CASE("a matrix entry changes exactly its pair link, the diagonal its node's NVLink", "[network][heterogeneity]") {
  auto spec = single(make_cluster("m", 3, 4, FabricKind::Measured));
  TestSim sim(spec);
  const auto before = sim.net().links();
  // Nominal everywhere (pair 50 GB/s = one NIC, NVSwitch port 400 GB/s), except pair 0-2 and node 1.
  BandwidthMatrix m;
  m.cluster = "m";
  m.bandwidth = {{400e9, 50e9, 50e9}, {50e9, 300e9, 50e9}, {20e9, 50e9, 400e9}};
  auto after = before;
  apply_matrix(m, spec, after, index_of(after));
  CHECK(changed(before, after) ==
        std::set<std::string>{"m.pair.n0-n2", "m.n1.gpu0.nvlink", "m.n1.gpu1.nvlink", "m.n1.gpu2.nvlink", "m.n1.gpu3.nvlink"});
  CHECK(after[index_of(after).at("m.pair.n0-n2")].bandwidth == 20e9);
  CHECK(after[index_of(after).at("m.n1.gpu2.nvlink")].bandwidth == 300e9);
}

TEST_CASE("a matrix's diagonal is split over the peers of an NVLink mesh", "[network][heterogeneity]") {
  auto c = make_cluster("m", 2, 4, FabricKind::Measured);
  c.intra.kind = IntraNodeKind::NvLinkMesh;
  auto spec = single(c);
  TestSim sim(spec);
  auto links = sim.net().links();
  BandwidthMatrix m;
  m.cluster = "m";
  m.bandwidth = {{300e9, 50e9}, {50e9, 400e9}};
  apply_matrix(m, spec, links, index_of(links));
  CHECK(links[index_of(links).at("m.n0.nvlink1-3")].bandwidth == Approx(100e9));
  CHECK(links[index_of(links).at("m.n1.nvlink0-2")].bandwidth == Approx(400e9 / 3));
}

TEST_CASE("a malformed matrix is an input error naming its file", "[network][heterogeneity]") {
  auto spec = single(make_cluster("m", 2, 2, FabricKind::Measured));
  TestSim sim(spec);
  auto links = sim.net().links();
  const auto idx = index_of(links);
  BandwidthMatrix m;
  m.cluster = "m";
  m.file = "pairs.json";
  m.bandwidth = {{1e9, 1e9}};
  CHECK_THROWS_AS(apply_matrix(m, spec, links, idx), InputError);
  m.bandwidth = {{1e9, 1e9}, {1e9, 0}};
  CHECK_THROWS_WITH(apply_matrix(m, spec, links, idx), Catch::Contains("non-positive"));
  m.cluster = "nope";
  CHECK_THROWS_AS(apply_matrix(m, spec, links, idx), InputError);
}

TEST_CASE("a spread is deterministic per seed and touches only matched links", "[network][heterogeneity]") {
  TestSim sim(rail());
  auto nominal = sim.net().links();
  for (auto& l : nominal) l.bandwidth = l.nominal_bandwidth;
  const auto idx = index_of(nominal);
  const std::vector<BandwidthSpread> spreads = {
      BandwidthSpread{"r.n*.nic*", SpreadDistribution::LogNormal, 0.1, 1, 1, {}},
      BandwidthSpread{"r.leaf?.up", SpreadDistribution::Uniform, 0, 0.7, 0.9, {}}};
  auto a = nominal, b = nominal, c = nominal;
  apply_spreads(spreads, 7, a, idx);
  apply_spreads(spreads, 7, b, idx);
  apply_spreads(spreads, 8, c, idx);
  std::set<std::string> matched;
  for (const auto& l : nominal)
    if (l.tier == LinkTier::Nic || l.tier == LinkTier::Leaf) matched.insert(l.name);
  REQUIRE(matched.size() == 4 * 8 + 2);
  CHECK(changed(nominal, a) == matched);
  CHECK(changed(a, b).empty());
  CHECK(changed(a, c) == matched);  // every draw differs under another seed
  for (const auto& l : a) {
    if (l.tier != LinkTier::Leaf) continue;
    CHECK(l.bandwidth >= 0.7 * l.nominal_bandwidth);
    CHECK(l.bandwidth <= 0.9 * l.nominal_bandwidth);
  }
  // Lognormal with median 1: about half the NICs above nominal, all within +-50% for sigma 0.1.
  int above = 0;
  for (const auto& l : a)
    if (l.tier == LinkTier::Nic) {
      above += l.bandwidth > l.nominal_bandwidth;
      CHECK(std::abs(std::log(l.bandwidth / l.nominal_bandwidth)) < 0.5);
    }
  CHECK(above > 4);
  CHECK(above < 28);
}

TEST_CASE("a link's spread draw does not depend on which other links exist", "[network][heterogeneity]") {
  // Same seed, a platform twice as large: the links both have get the same factors.
  TestSim sim(rail(8));
  auto big = sim.net().links();
  for (auto& l : big) l.bandwidth = l.nominal_bandwidth;
  auto small = big;
  small.erase(std::remove_if(small.begin(), small.end(),
                             [](const LinkInfo& l) { return l.name.rfind("r.n", 0) == 0 && l.name[3] >= '4'; }),
              small.end());
  const std::vector<BandwidthSpread> spreads = {BandwidthSpread{"*nic*", SpreadDistribution::LogNormal, 0.2, 1, 1, {}}};
  apply_spreads(spreads, 3, big, index_of(big));
  apply_spreads(spreads, 3, small, index_of(small));
  const auto big_idx = index_of(big);
  for (const auto& l : small) CHECK(l.bandwidth == big[big_idx.at(l.name)].bandwidth);
}

TEST_CASE("the network applies spreads, then overrides, then the matrix", "[network][heterogeneity]") {
  auto spec = single(make_cluster("m", 3, 2, FabricKind::Measured));
  spec.spreads.push_back(BandwidthSpread{"m.*", SpreadDistribution::Uniform, 0, 0.5, 0.6, {}});
  spec.overrides.push_back(LinkOverride{"m.n0.nic0", 1e9, std::nullopt, std::nullopt, {}});
  spec.overrides.push_back(LinkOverride{"m.pair.n0-n1", 1e9, std::nullopt, std::nullopt, {}});
  BandwidthMatrix m;
  m.cluster = "m";
  m.bandwidth = {{300e9, 20e9, 20e9}, {20e9, 300e9, 20e9}, {20e9, 20e9, 300e9}};
  spec.matrix = m;
  TestSim sim(spec, 42);
  // Replaying the documented order on the nominal table gives the network's table.
  auto expected = sim.net().links();
  for (auto& l : expected) l.bandwidth = l.nominal_bandwidth;
  const auto idx = index_of(expected);
  apply_spreads(spec.spreads, 42, expected, idx);
  apply_overrides(spec.overrides, expected, idx);
  apply_matrix(m, spec, expected, idx);
  CHECK(changed(expected, sim.net().links()).empty());
  CHECK(sim.net().find_link("m.n0.nic0")->bandwidth == 1e9);        // override after spread
  CHECK(sim.net().find_link("m.pair.n0-n1")->bandwidth == 20e9);    // matrix after override
  CHECK(sim.net().find_link("m.n1.gpu0.nvlink")->bandwidth == 300e9);
  CHECK(sim.net().find_link("m.n1.nic0")->bandwidth < 0.61 * 50e9);  // spread only
}
