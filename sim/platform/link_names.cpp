#include "platform/link_names.hpp"

namespace trainsim::link_names {

int leaf_count(const ClusterSpec& c) {
  const int per = c.fabric.nodes_per_leaf > 0 ? c.fabric.nodes_per_leaf : c.nodes;
  return (c.nodes + per - 1) / per;
}

bool for_each_link_name(const PlatformSpec& spec, const std::function<bool(const std::string&)>& visit) {
  for (const auto& c : spec.clusters) {
    for (int k = 0; k < c.nodes; ++k) {
      switch (c.intra.kind) {
        case IntraNodeKind::NvSwitch:
          for (int i = 0; i < c.gpus_per_node; ++i)
            if (visit(nvswitch_port(c.name, k, i))) return true;
          break;
        case IntraNodeKind::NvLinkMesh:
          for (int i = 0; i < c.gpus_per_node; ++i)
            for (int j = i + 1; j < c.gpus_per_node; ++j)
              if (visit(nvlink_mesh(c.name, k, i, j))) return true;
          break;
        case IntraNodeKind::Pcie: {
          const PcieTopology& t = c.intra.pcie;
          for (int i = 0; i < c.gpus_per_node; ++i)
            if (visit(pcie_gpu(c.name, k, i))) return true;
          // A kind of link no path crosses has no rate and is not built (network/topology.cpp).
          if (t.switch_uplink.bandwidth > 0)
            for (size_t s = 0; s < t.switches.size(); ++s)
              if (visit(pcie_switch_uplink(c.name, k, static_cast<int>(s)))) return true;
          if (t.root_complex.bandwidth > 0)
            for (int p = 0; p < t.sockets; ++p)
              if (visit(root_complex(c.name, k, p))) return true;
          if (t.socket_link.bandwidth > 0)
            for (int p = 0; p < t.sockets; ++p)
              for (int q = p + 1; q < t.sockets; ++q)
                if (visit(socket_link(c.name, k, p, q))) return true;
          break;
        }
      }
      for (int j = 0; j < c.nic.count; ++j)
        if (visit(nic(c.name, k, j))) return true;
    }
    if (c.fabric.kind == FabricKind::FatTree || c.fabric.kind == FabricKind::RailOptimized)
      for (int l = 0; l < leaf_count(c); ++l)
        if (visit(leaf_uplink(c.name, l))) return true;
    if (c.fabric.kind == FabricKind::Measured)
      for (int a = 0; a < c.nodes; ++a)
        for (int b = a + 1; b < c.nodes; ++b)
          if (visit(pair(c.name, a, b))) return true;
  }
  for (const auto& w : spec.wan)
    if (visit(wan(w.a, w.b))) return true;
  return false;
}

}  // namespace trainsim::link_names
