#include "network/platform_check.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/pcie.hpp"

namespace trainsim {
namespace {

bool positive(double v) { return std::isfinite(v) && v > 0; }
bool non_negative(double v) { return std::isfinite(v) && v >= 0; }

void check_cluster(const ClusterSpec& c) {
  // The name is the first component of host, zone and link names ("<cluster>.n<k>.nic<j>").
  if (c.name.empty() || c.name.find_first_of(" .*?") != std::string::npos)
    throw InputError(c.where, "name", "cluster name must be non-empty, without spaces, '.', '*' or '?'");
  if (c.nodes < 1) throw InputError(c.where, "nodes", "must be >= 1");
  if (c.gpus_per_node < 1) throw InputError(c.where, "gpus_per_node", "must be >= 1");
  if (c.gpus_per_node > 1 && !positive(c.intra.bandwidth))
    throw InputError(c.where, "intra_node.bandwidth", "must be > 0");
  if (!non_negative(c.intra.latency)) throw InputError(c.where, "intra_node.latency", "must be >= 0");
  if (c.intra.kind == IntraNodeKind::Pcie) {
    const pcie::Problem p = pcie::check(c.intra.pcie, c.gpus_per_node, c.nic.count);
    if (!p.key.empty()) throw InputError(c.where, "intra_node." + p.key, p.message);
  }
  if (c.nic.count < 1) throw InputError(c.where, "nic.count", "must be >= 1");
  if (!positive(c.nic.bandwidth)) throw InputError(c.where, "nic.bandwidth", "must be > 0");
  if (!non_negative(c.nic.latency)) throw InputError(c.where, "nic.latency", "must be >= 0");
  if (!non_negative(c.fabric.switch_latency)) throw InputError(c.where, "fabric.switch_latency", "must be >= 0");
  if (c.fabric.kind == FabricKind::FatTree || c.fabric.kind == FabricKind::RailOptimized) {
    if (c.fabric.nodes_per_leaf < 1) throw InputError(c.where, "fabric.nodes_per_leaf", "must be >= 1");
    if (!(std::isfinite(c.fabric.oversubscription) && c.fabric.oversubscription >= 1))
      throw InputError(c.where, "fabric.oversubscription", "must be >= 1");
  }
}

}  // namespace

void check_platform(const PlatformSpec& spec) {
  const SourceLocation file_where{spec.file, 0, 0};
  if (spec.clusters.empty()) throw InputError(file_where, "clusters", "platform has no cluster");
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < spec.clusters.size(); ++i) {
    check_cluster(spec.clusters[i]);
    if (!by_name.emplace(spec.clusters[i].name, i).second)
      throw InputError(spec.clusters[i].where, "name", "duplicate cluster name \"" + spec.clusters[i].name + "\"");
  }
  // Union-find over clusters: every pair of clusters must be joined by some chain of WAN links.
  std::vector<size_t> parent(spec.clusters.size());
  for (size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto root = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& w : spec.wan) {
    auto a = by_name.find(w.a), b = by_name.find(w.b);
    if (a == by_name.end()) throw InputError(w.where, "a", "WAN link names unknown cluster \"" + w.a + "\"");
    if (b == by_name.end()) throw InputError(w.where, "b", "WAN link names unknown cluster \"" + w.b + "\"");
    if (a == b) throw InputError(w.where, "b", "WAN link joins cluster \"" + w.a + "\" to itself");
    if (!positive(w.bandwidth)) throw InputError(w.where, "bandwidth", "must be > 0");
    if (!non_negative(w.latency)) throw InputError(w.where, "latency", "must be >= 0");
    if (!seen.insert(std::minmax(w.a, w.b)).second)
      throw InputError(w.where, "b", "second WAN link between \"" + w.a + "\" and \"" + w.b + "\"");
    parent[root(a->second)] = root(b->second);
  }
  for (size_t i = 1; i < spec.clusters.size(); ++i)
    if (root(i) != root(0))
      throw InputError(spec.clusters[i].where, "wan",
                       "cluster \"" + spec.clusters[i].name + "\" is not connected to \"" + spec.clusters[0].name +
                           "\" by any chain of WAN links");
}

}  // namespace trainsim
