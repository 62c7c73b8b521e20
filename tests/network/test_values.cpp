// Value code that needs no simulation: globs and platform checks.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "network/glob.hpp"
#include "network/platform_check.hpp"
#include "sim_harness.hpp"

using namespace trainsim;
using namespace trainsim::test;

TEST_CASE("globs match '*' and '?' over whole names", "[network][glob]") {
  CHECK(glob_match("a.n1.nic0", "a.n1.nic0"));
  CHECK_FALSE(glob_match("a.n1.nic0", "a.n1.nic01"));
  CHECK(glob_match("a.n*.nic0", "a.n12.nic0"));
  CHECK(glob_match("a.n*.nic0", "a.n.nic0"));
  CHECK_FALSE(glob_match("a.n*.nic0", "a.n1.nic1"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*nic*", "dc.n3.nic7"));
  CHECK(glob_match("a.n?.gpu?.nvlink", "a.n3.gpu7.nvlink"));
  CHECK_FALSE(glob_match("a.n?.gpu?.nvlink", "a.n13.gpu7.nvlink"));
  CHECK(glob_match("*.leaf*.up", "x.leaf10.up"));
  CHECK_FALSE(glob_match("*.leaf*.up", "x.leaf10.upx"));
  CHECK(glob_match("a*b*c", "aXbYbZc"));
  CHECK_FALSE(glob_match("a*b*c", "aXbYbZ"));
  CHECK(has_wildcard("a*"));
  CHECK(has_wildcard("a?"));
  CHECK_FALSE(has_wildcard("a.n1.nic0"));
}

TEST_CASE("platform checks name the offending cluster or WAN link", "[network][check]") {
  PlatformSpec p;
  p.clusters.push_back(make_cluster("a", 2, 8, FabricKind::SingleSwitch));
  p.clusters.push_back(make_cluster("b", 2, 8, FabricKind::SingleSwitch));
  p.clusters[1].where = {"platform.yaml", 20, 3};
  // Two clusters and no WAN: b is unreachable.
  try {
    check_platform(p);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.where().line == 20);
    CHECK(e.message().find("not connected") != std::string::npos);
  }
  p.wan.push_back(WanLinkSpec{"a", "c", 1e9, 1e-3, {"platform.yaml", 30, 5}});
  CHECK_THROWS_WITH(check_platform(p), Catch::Contains("unknown cluster \"c\""));
  p.wan[0].b = "b";
  CHECK_NOTHROW(check_platform(p));
  p.wan.push_back(WanLinkSpec{"b", "a", 1e9, 1e-3, {}});
  CHECK_THROWS_WITH(check_platform(p), Catch::Contains("second WAN link"));
  p.wan.pop_back();
  p.clusters[1].name = "a";
  CHECK_THROWS_WITH(check_platform(p), Catch::Contains("duplicate cluster name"));
  p.clusters[1].name = "b.x";  // would make "b.x.n0.nic0" ambiguous with cluster b's names
  CHECK_THROWS_WITH(check_platform(p), Catch::Contains("without spaces, '.'"));
  p.clusters[1].name = "b";
  p.clusters[0].fabric = {FabricKind::FatTree, 0, 1.0, 0};
  CHECK_THROWS_WITH(check_platform(p), Catch::Contains("must be >= 1"));
  p.clusters[0].fabric = {FabricKind::FatTree, 2, 0.5, 0};
  CHECK_THROWS_AS(check_platform(p), InputError);
  p.clusters[0].fabric = {FabricKind::FatTree, 2, 2, 0};
  p.clusters[0].nic.bandwidth = 0;
  CHECK_THROWS_AS(check_platform(p), InputError);
}
