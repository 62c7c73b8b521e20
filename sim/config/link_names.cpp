#include "config/link_names.hpp"

#include <cctype>
#include <vector>

namespace trainsim {

std::string link_name_examples(const PlatformSpec& spec) {
  std::vector<std::string> ex;
  for (const auto& c : spec.clusters) {
    const std::string n0 = c.name + ".n0";
    switch (c.intra.kind) {
      case IntraNodeKind::NvSwitch: ex.push_back(n0 + ".gpu0.nvlink"); break;
      case IntraNodeKind::NvLinkMesh: ex.push_back(n0 + ".nvlink0-1"); break;
      case IntraNodeKind::Pcie: ex.push_back(n0 + ".gpu0.pcie"); break;
    }
    ex.push_back(n0 + ".nic0");
    if (c.fabric.kind == FabricKind::FatTree || c.fabric.kind == FabricKind::RailOptimized)
      ex.push_back(c.name + ".leaf0.up");
    if (c.fabric.kind == FabricKind::Measured) ex.push_back(c.name + ".pair.n0-n1");
  }
  if (!spec.wan.empty()) ex.push_back("wan." + spec.wan[0].a + "-" + spec.wan[0].b);
  std::string s;
  for (const auto& e : ex) s += (s.empty() ? "" : ", ") + e;
  return s;
}

namespace {

// Whether one of `a`, `b` is a prefix of the other: a name starting with `a` may match a glob
// whose literal beginning is `b`.
bool compatible(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  return a.compare(0, n, b, 0, n) == 0;
}

// The node of `c` that `prefix` (a glob's literal beginning) pins, as in "c.n12.nic*", or -1.
int pinned_node(const ClusterSpec& c, const std::string& prefix) {
  const std::string start = link_names::node(c.name, 0);  // "c.n0": the scheme's node prefix
  const std::string head = start.substr(0, start.size() - 1);
  if (prefix.compare(0, head.size(), head) != 0) return -1;
  size_t i = head.size();
  long long k = 0;
  while (i < prefix.size() && std::isdigit(static_cast<unsigned char>(prefix[i])) && k < c.nodes)
    k = 10 * k + (prefix[i++] - '0');
  if (i == head.size() || i >= prefix.size() || prefix[i] != '.' || k >= c.nodes) return -1;
  return link_names::node(c.name, static_cast<int>(k)) == prefix.substr(0, i) ? static_cast<int>(k) : -1;
}

}  // namespace

bool any_link_matches(const PlatformSpec& spec, const std::string& glob, long long* budget) {
  const std::string prefix = glob.substr(0, glob.find_first_of("*?"));
  auto visit = [&](const std::string& name) {
    if (budget && --*budget < 0) return true;  // the caller reports the exhausted budget
    return glob_match(glob, name);
  };
  // Only the clusters (and WAN links) whose names can begin the match are enumerated, and only
  // one node when the glob names it ("c.n12.nic0"): a million-GPU platform checks such a glob
  // in microseconds instead of enumerating millions of names.
  PlatformSpec part;
  for (const auto& c : spec.clusters) {
    if (!compatible(c.name + ".", prefix)) continue;
    const int k = pinned_node(c, prefix);
    if (k < 0) {
      part.clusters.push_back(c);
      continue;
    }
    // Node k's links are node 0's with the node part renamed (platform/spec.hpp's scheme).
    ClusterSpec one = c;
    one.nodes = 1;
    one.fabric.kind = FabricKind::SingleSwitch;  // no leaf or pair links: those are not per node
    PlatformSpec single;
    single.clusters.push_back(one);
    const std::string node0 = link_names::node(c.name, 0), nodek = link_names::node(c.name, k);
    if (link_names::for_each_link_name(single, [&](const std::string& name) {
          return visit(nodek + name.substr(node0.size()));
        }))
      return !budget || *budget >= 0;
  }
  if (compatible("wan.", prefix)) part.wan = spec.wan;
  const bool found = link_names::for_each_link_name(part, visit);
  return found && (!budget || *budget >= 0);
}

}  // namespace trainsim
