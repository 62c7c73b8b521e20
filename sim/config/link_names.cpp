#include "config/link_names.hpp"

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

bool any_link_matches(const PlatformSpec& spec, const std::string& glob) {
  return link_names::for_each_link_name(spec, [&](const std::string& name) { return glob_match(glob, name); });
}

}  // namespace trainsim
