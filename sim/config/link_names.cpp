#include "config/link_names.hpp"

#include <vector>

namespace trainsim {

bool for_each_link_name(const PlatformSpec& spec,
                        const std::function<bool(const std::string&)>& visit) {
  for (const auto& c : spec.clusters) {
    for (int k = 0; k < c.nodes; ++k) {
      const std::string node = c.name + ".n" + std::to_string(k);
      if (c.intra.kind == IntraNodeKind::NvSwitch) {
        for (int i = 0; i < c.gpus_per_node; ++i)
          if (visit(node + ".gpu" + std::to_string(i) + ".nvlink")) return true;
      } else {
        for (int i = 0; i < c.gpus_per_node; ++i)
          for (int j = i + 1; j < c.gpus_per_node; ++j)
            if (visit(node + ".nvlink" + std::to_string(i) + "-" + std::to_string(j))) return true;
      }
      for (int j = 0; j < c.nic.count; ++j)
        if (visit(node + ".nic" + std::to_string(j))) return true;
    }
    const FabricSpec& f = c.fabric;
    if (f.kind == FabricKind::FatTree || f.kind == FabricKind::RailOptimized) {
      int groups = (c.nodes + f.nodes_per_leaf - 1) / f.nodes_per_leaf;
      int leaves = f.kind == FabricKind::FatTree ? groups : groups * c.nic.count;
      for (int l = 0; l < leaves; ++l)
        if (visit(c.name + ".leaf" + std::to_string(l) + ".up")) return true;
    }
    if (f.kind == FabricKind::Measured) {
      for (int a = 0; a < c.nodes; ++a)
        for (int b = a + 1; b < c.nodes; ++b)
          if (visit(c.name + ".pair.n" + std::to_string(a) + "-n" + std::to_string(b))) return true;
    }
  }
  for (const auto& w : spec.wan)
    if (visit("wan." + w.a + "-" + w.b)) return true;
  return false;
}

std::string link_name_examples(const PlatformSpec& spec) {
  std::vector<std::string> ex;
  for (const auto& c : spec.clusters) {
    const std::string n0 = c.name + ".n0";
    ex.push_back(c.intra.kind == IntraNodeKind::NvSwitch ? n0 + ".gpu0.nvlink" : n0 + ".nvlink0-1");
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
  return for_each_link_name(spec, [&](const std::string& name) { return glob_match(glob, name); });
}

}  // namespace trainsim
