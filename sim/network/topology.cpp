#include "network/topology.hpp"

#include <algorithm>
#include <map>
#include <string>

#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>

#include "core/error.hpp"
#include "platform/link_names.hpp"
#include "platform/pcie.hpp"

namespace trainsim {
namespace {

namespace sg4 = simgrid::s4u;
namespace names = link_names;
using NetPoint = simgrid::kernel::routing::NetPoint;
using Dir = sg4::LinkInRoute::Direction;

// A zone as seen by its parent: the zone and the router through which all its traffic passes.
struct Gated {
  sg4::NetZone* zone;
  NetPoint* gateway;
};

using names::leaf_count;
bool has_leaves(const ClusterSpec& c) {
  return c.fabric.kind == FabricKind::FatTree || c.fabric.kind == FabricKind::RailOptimized;
}

// Two phases. SimGrid 3.32 checks a new link's name against the links of every zone reachable
// from the root, zone by zone; creating links inside their zones made the build quadratic (with
// one zone per node: 4.4 s for 16k GPUs, 2/3 of it in that search). All links are therefore
// created first, in the root zone while it has no child; a route may name links of any zone.
class Builder {
 public:
  Builder(const PlatformSpec& spec, const GpuScope& scope) : spec_(spec) { select_nodes(scope); }

  BuiltTopology build() {
    // Floyd at the top: clusters not joined by a WAN link reach each other through intermediate
    // clusters (shortest chain of WAN links). There are few clusters, so its O(n^3) seal is free.
    // A space cannot occur in cluster names, so this zone name cannot collide with any other.
    root_ = sg4::create_floyd_zone("trainsim platform");
    create_links();
    std::map<std::string, Gated> clusters;
    for (size_t c = 0; c < spec_.clusters.size(); ++c)
      clusters[spec_.clusters[c].name] = build_cluster(spec_.clusters[c], static_cast<int>(c));
    for (const auto& w : spec_.wan) {
      const Gated& a = clusters.at(w.a);
      const Gated& b = clusters.at(w.b);
      auto* wan = link(names::wan(w.a, w.b));
      root_->add_route(a.zone->get_netpoint(), b.zone->get_netpoint(), a.gateway, b.gateway, {{wan, Dir::UP}}, false);
      root_->add_route(b.zone->get_netpoint(), a.zone->get_netpoint(), b.gateway, a.gateway, {{wan, Dir::DOWN}}, false);
    }
    root_->seal();
    return std::move(out_);
  }

 private:
  // ---- phase 0: every GPU's location, and the nodes to build (those holding a GPU in scope) ----
  void select_nodes(const GpuScope& scope) {
    const int total = spec_.total_gpus();
    out_.hosts.assign(static_cast<size_t>(total), nullptr);
    out_.locations.reserve(static_cast<size_t>(total));
    int global_node = 0;
    for (size_t ci = 0; ci < spec_.clusters.size(); ++ci) {
      const ClusterSpec& c = spec_.clusters[ci];
      for (int k = 0; k < c.nodes; ++k, ++global_node)
        for (int i = 0; i < c.gpus_per_node; ++i)
          out_.locations.push_back(GpuLocation{static_cast<int>(ci), k, i, global_node});
      cluster_first_gpu_.push_back(static_cast<int>(out_.locations.size()) - c.nodes * c.gpus_per_node);
      node_built_.emplace_back(static_cast<size_t>(c.nodes), !scope);
    }
    if (!scope) return;
    for (int g : *scope) {
      if (g < 0 || g >= total)
        throw InternalError("GPU " + std::to_string(g) + " is outside the platform (" + std::to_string(total) + " GPUs)");
      const GpuLocation& at = out_.locations[static_cast<size_t>(g)];
      node_built_[static_cast<size_t>(at.cluster)][static_cast<size_t>(at.node)] = true;
    }
    for (const auto& nodes : node_built_)
      for (bool b : nodes) out_.partial |= !b;
  }

  bool built(int cluster, int node) const {
    return node_built_[static_cast<size_t>(cluster)][static_cast<size_t>(node)];
  }
  // Nodes first .. first+count-1 of a cluster that are built.
  std::vector<int> built_nodes(int cluster, int first, int count) const {
    std::vector<int> out;
    for (int k = first; k < first + count; ++k)
      if (built(cluster, k)) out.push_back(k);
    return out;
  }

  // ---- phase 1: links, with their trainsim latency (SimGrid's stays 0, see network.hpp) ----
  void create_links() {
    for (size_t ci = 0; ci < spec_.clusters.size(); ++ci) {
      const ClusterSpec& c = spec_.clusters[ci];
      const int cluster = static_cast<int>(ci);
      const int g = c.gpus_per_node;
      // Half a switch traversal on each NIC: a route between two nodes crosses two NICs, so it sums
      // to one switch inside a leaf, and to three with the two leaf uplinks (one switch each).
      const double nic_latency = c.nic.latency + c.fabric.switch_latency / 2;
      for (int k : built_nodes(cluster, 0, c.nodes)) {
        for (int j = 0; j < c.nic.count; ++j) add_link(names::nic(c.name, k, j), LinkTier::Nic, c.nic.bandwidth, nic_latency);
        switch (c.intra.kind) {
          case IntraNodeKind::NvSwitch:
            // A transfer leaves through the source port and enters through the destination port,
            // each half of the GPU-to-GPU latency.
            for (int i = 0; i < g; ++i)
              add_link(names::nvswitch_port(c.name, k, i), LinkTier::NvLink, c.intra.bandwidth, c.intra.latency / 2);
            break;
          case IntraNodeKind::NvLinkMesh:
            // Direct mesh: a GPU's NVLink bandwidth is split evenly over its g-1 peers.
            for (int i = 0; i < g; ++i)
              for (int j = i + 1; j < g; ++j)
                add_link(names::nvlink_mesh(c.name, k, i, j), LinkTier::NvLink, c.intra.bandwidth / (g - 1),
                         c.intra.latency);
            break;
          case IntraNodeKind::Pcie:
            add_pcie_links(c, k);
            break;
        }
      }
      if (has_leaves(c)) {
        for (int l = 0; l < leaf_count(c); ++l) {
          // The bundle's rate counts every node under the leaf, built or not: a job sharing a
          // leaf with others' GPUs sees the uplink the whole platform has.
          const int nodes_in_leaf = std::min(c.fabric.nodes_per_leaf, c.nodes - l * c.fabric.nodes_per_leaf);
          if (built_nodes(cluster, l * c.fabric.nodes_per_leaf, nodes_in_leaf).empty()) continue;
          add_link(names::leaf_uplink(c.name, l), LinkTier::Leaf,
                   nodes_in_leaf * c.nic.count * c.nic.bandwidth / c.fabric.oversubscription, c.fabric.switch_latency);
        }
      } else if (c.fabric.kind == FabricKind::Measured) {
        // Until a matrix says otherwise, a pair gets what the nodes' NICs can carry together.
        const std::vector<int> nodes = built_nodes(cluster, 0, c.nodes);
        for (size_t a = 0; a < nodes.size(); ++a)
          for (size_t b = a + 1; b < nodes.size(); ++b)
            add_link(names::pair(c.name, nodes[a], nodes[b]), LinkTier::Path, c.nic.count * c.nic.bandwidth, 0);
      }
    }
    for (const auto& w : spec_.wan) add_link(names::wan(w.a, w.b), LinkTier::Wan, w.bandwidth, w.latency);
  }

  // A PCIe node's tree (platform/pcie.hpp): GPU links carry half the GPU-to-GPU latency under one
  // switch each; switch uplinks, root complexes and socket links their own. Kinds of link no path
  // crosses have no rate (pcie::check) and are not built (nor named, link_names.cpp).
  void add_pcie_links(const ClusterSpec& c, int k) {
    const PcieTopology& t = c.intra.pcie;
    for (int i = 0; i < c.gpus_per_node; ++i)
      add_link(names::pcie_gpu(c.name, k, i), LinkTier::Pcie, c.intra.bandwidth, c.intra.latency / 2);
    if (t.switch_uplink.bandwidth > 0)
      for (size_t sw = 0; sw < t.switches.size(); ++sw)
        add_link(names::pcie_switch_uplink(c.name, k, static_cast<int>(sw)), LinkTier::Pcie, t.switch_uplink.bandwidth,
                 t.switch_uplink.latency);
    if (t.root_complex.bandwidth > 0)
      for (int p = 0; p < t.sockets; ++p)
        add_link(names::root_complex(c.name, k, p), LinkTier::Pcie, t.root_complex.bandwidth, t.root_complex.latency,
                 /*split_duplex=*/false);
    if (t.socket_link.bandwidth > 0)
      for (int p = 0; p < t.sockets; ++p)
        for (int q = p + 1; q < t.sockets; ++q)
          add_link(names::socket_link(c.name, k, p, q), LinkTier::Pcie, t.socket_link.bandwidth, t.socket_link.latency);
  }

  // Split duplex (each direction its own bandwidth) unless stated: then one link shared by both.
  void add_link(const std::string& name, LinkTier tier, double bandwidth, double latency, bool split_duplex = true) {
    sg4::Link* l = split_duplex ? root_->create_split_duplex_link(name, bandwidth) : root_->create_link(name, bandwidth);
    l->seal();
    out_.link_index.emplace(name, out_.links.size());
    out_.links.push_back(LinkInfo{name, tier, bandwidth, bandwidth, latency, l});
  }

  sg4::Link* any_link(const std::string& name) const { return out_.links[out_.link_index.at(name)].link; }
  sg4::SplitDuplexLink* link(const std::string& name) const { return static_cast<sg4::SplitDuplexLink*>(any_link(name)); }

  // The SimGrid links a path of platform/pcie.hpp names: halves of split-duplex links, or the
  // shared link itself.
  std::vector<sg4::LinkInRoute> halves(const std::vector<pcie::PathLink>& path) const {
    std::vector<sg4::LinkInRoute> out;
    for (const auto& p : path) {
      if (p.half == pcie::Half::Shared) out.emplace_back(any_link(p.name));
      else out.emplace_back(p.half == pcie::Half::Up ? link(p.name)->get_link_up() : link(p.name)->get_link_down());
    }
    return out;
  }

  // ---- phase 2: zones, hosts and routes ----
  void add_gpus(const ClusterSpec& c, int cluster, int node, sg4::NetZone* zone, std::vector<NetPoint*>& gpus) {
    gpus.resize(c.gpus_per_node);
    const size_t first = static_cast<size_t>(cluster_first_gpu_[static_cast<size_t>(cluster)]) +
                         static_cast<size_t>(node) * static_cast<size_t>(c.gpus_per_node);
    for (int i = 0; i < c.gpus_per_node; ++i) {
      auto* host = zone->create_host(names::gpu_host(c.name, node, i), kGpuHostSpeed);
      gpus[i] = host->get_netpoint();
      out_.hosts[first + static_cast<size_t>(i)] = host;
    }
  }

  // A GPU's way out of its node, as directed halves: UP its NIC (on a PCIe node, first the PCIe
  // path to that NIC), or DOWN back in (the reverse).
  std::vector<sg4::LinkInRoute> spoke(const ClusterSpec& c, int node, int gpu, bool up) const {
    auto* nic = link(names::nic(c.name, node, nic_of_gpu(c, gpu)));
    if (c.intra.kind != IntraNodeKind::Pcie) return {sg4::LinkInRoute(up ? nic->get_link_up() : nic->get_link_down())};
    const auto path = pcie::gpu_to_nic(c, node, gpu, nic_of_gpu(c, gpu));
    std::vector<sg4::LinkInRoute> out = halves(up ? path : pcie::reversed(path));
    out.insert(up ? out.end() : out.begin(), sg4::LinkInRoute(up ? nic->get_link_up() : nic->get_link_down()));
    return out;
  }

  // GPU-to-GPU links inside a node, as directed halves (a -> b).
  std::vector<sg4::LinkInRoute> intra_node_path(const ClusterSpec& c, int node, int a, int b) const {
    switch (c.intra.kind) {
      case IntraNodeKind::NvSwitch:
        return {sg4::LinkInRoute(link(names::nvswitch_port(c.name, node, a))->get_link_up()),
                sg4::LinkInRoute(link(names::nvswitch_port(c.name, node, b))->get_link_down())};
      case IntraNodeKind::NvLinkMesh: {
        auto* mesh = link(names::nvlink_mesh(c.name, node, std::min(a, b), std::max(a, b)));
        return {sg4::LinkInRoute(a < b ? mesh->get_link_up() : mesh->get_link_down())};
      }
      case IntraNodeKind::Pcie:
        return halves(pcie::gpu_to_gpu(c, node, a, b));
    }
    throw InternalError("unknown intra-node kind");
  }

  // A leaf (or a single-switch cluster): one flat star zone holding the GPUs of all its nodes and
  // its router. A GPU's spoke is its NIC (after its PCIe path on a PCIe node), so traffic between
  // nodes crosses the source NIC (UP) and the destination NIC (DOWN), and the star's centre, the
  // non-blocking switch, adds nothing. Traffic between GPUs of one node takes a bypass route
  // over NVLink (or PCIe) instead.
  // Why flat, not one zone per node: SimGrid 3.32 checks every new host's name by searching all
  // zones, and a zone's seal lists every host of the platform; with 2,048 node zones these made
  // the 16k-GPU build quadratic (2.4 s, 32k GPUs 4.9 s). With one zone per leaf both stay small.
  Gated flat_leaf(const ClusterSpec& c, int cluster, const std::string& name, const std::vector<int>& nodes,
                  sg4::NetZone* parent) {
    auto* zone = sg4::create_star_zone(name);
    zone->set_parent(parent);
    NetPoint* router = zone->create_router(name + ".router");
    zone->add_route(router, nullptr, nullptr, nullptr, {}, true);
    std::vector<NetPoint*> gpus;
    for (int k : nodes) {
      add_gpus(c, cluster, k, zone, gpus);
      // The way in is given apart (not `symmetric`): SimGrid would keep a multi-link spoke's order.
      for (int i = 0; i < c.gpus_per_node; ++i) {
        zone->add_route(gpus[i], nullptr, nullptr, nullptr, spoke(c, k, i, true), false);
        zone->add_route(nullptr, gpus[i], nullptr, nullptr, spoke(c, k, i, false), false);
      }
      add_intra_node_routes(c, k, zone, gpus, /*bypass=*/true);
    }
    zone->seal();
    return {zone, router};
  }

  void add_intra_node_routes(const ClusterSpec& c, int node, sg4::NetZone* zone, const std::vector<NetPoint*>& gpus,
                             bool bypass) {
    for (int a = 0; a < c.gpus_per_node; ++a)
      for (int b = 0; b < c.gpus_per_node; ++b) {
        if (a == b) continue;
        // Directed halves (no direction flag): bypass routes take links as given.
        const std::vector<sg4::LinkInRoute> path = intra_node_path(c, node, a, b);
        if (bypass)
          zone->add_bypass_route(gpus[a], gpus[b], nullptr, nullptr, path);
        else
          zone->add_route(gpus[a], gpus[b], nullptr, nullptr, path, false);
      }
  }

  // A node as a zone of its own (measured fabric only, whose pair links join node zones): a full
  // zone of its GPUs and a router, the GPUs' routes to the router being their spokes.
  Gated node_zone(const ClusterSpec& c, int cluster, int node, sg4::NetZone* parent) {
    const std::string prefix = names::node(c.name, node);
    auto* zone = sg4::create_full_zone(prefix);
    zone->set_parent(parent);
    NetPoint* router = zone->create_router(prefix + ".router");
    std::vector<NetPoint*> gpus;
    add_gpus(c, cluster, node, zone, gpus);
    for (int i = 0; i < c.gpus_per_node; ++i) {
      zone->add_route(gpus[i], router, nullptr, nullptr, spoke(c, node, i, true), false);
      zone->add_route(router, gpus[i], nullptr, nullptr, spoke(c, node, i, false), false);
    }
    add_intra_node_routes(c, node, zone, gpus, /*bypass=*/false);
    zone->seal();
    return {zone, router};
  }

  // A zone with child zones cannot route through a router placed directly in it (SimGrid 3.32
  // resolved such routes through the wrong child), so its gateway router lives in a child zone
  // of its own, "<zone>.switch", joined to the star's centre by an empty route.
  NetPoint* star_switch(sg4::NetZone* star, const std::string& name) {
    auto* sw = sg4::create_empty_zone(name + ".switch");
    sw->set_parent(star);
    NetPoint* router = sw->create_router(name + ".router");
    sw->seal();
    star->add_route(sw->get_netpoint(), nullptr, router, nullptr, {}, true);
    return router;
  }

  Gated build_cluster(const ClusterSpec& c, int cluster) {
    switch (c.fabric.kind) {
      case FabricKind::SingleSwitch:
        return flat_leaf(c, cluster, c.name, built_nodes(cluster, 0, c.nodes), root_);
      case FabricKind::FatTree:
      case FabricKind::RailOptimized: {
        // Leaves (or rail scalable units) are non-blocking flat stars; the cluster is a star over
        // the leaves whose spokes are the leaves' uplink bundles.
        auto* zone = sg4::create_star_zone(c.name);
        zone->set_parent(root_);
        NetPoint* gateway = star_switch(zone, c.name);
        for (int l = 0; l < leaf_count(c); ++l) {
          const int first = l * c.fabric.nodes_per_leaf;
          const std::vector<int> nodes = built_nodes(cluster, first, std::min(c.fabric.nodes_per_leaf, c.nodes - first));
          if (nodes.empty()) continue;  // outside the scope: its uplink was not built either
          Gated leaf = flat_leaf(c, cluster, names::leaf(c.name, l), nodes, zone);
          zone->add_route(leaf.zone->get_netpoint(), nullptr, leaf.gateway, nullptr,
                          {{link(names::leaf_uplink(c.name, l)), Dir::UP}}, true);
        }
        zone->seal();
        return {zone, gateway};
      }
      case FabricKind::Measured: {
        // A star of node zones whose spokes are empty (SimGrid refuses empty routes in full
        // zones), with a bypass route per ordered node pair over that pair's link: bypass routes
        // take precedence over the star. WAN traffic meets no fabric limit besides the NICs:
        // the matrix measures node pairs, not the path to the border.
        auto* zone = sg4::create_star_zone(c.name);
        zone->set_parent(root_);
        NetPoint* gateway = star_switch(zone, c.name);
        const std::vector<int> index = built_nodes(cluster, 0, c.nodes);
        std::vector<Gated> nodes;
        for (int k : index) {
          nodes.push_back(node_zone(c, cluster, k, zone));
          zone->add_route(nodes.back().zone->get_netpoint(), nullptr, nodes.back().gateway, nullptr, {}, true);
        }
        for (size_t a = 0; a < nodes.size(); ++a)
          for (size_t b = a + 1; b < nodes.size(); ++b) {
            auto* l = link(names::pair(c.name, index[a], index[b]));
            zone->add_bypass_route(nodes[a].zone->get_netpoint(), nodes[b].zone->get_netpoint(), nodes[a].gateway,
                                   nodes[b].gateway, {sg4::LinkInRoute(l->get_link_up())});
            zone->add_bypass_route(nodes[b].zone->get_netpoint(), nodes[a].zone->get_netpoint(), nodes[b].gateway,
                                   nodes[a].gateway, {sg4::LinkInRoute(l->get_link_down())});
          }
        zone->seal();
        return {zone, gateway};
      }
    }
    throw InternalError("unknown fabric kind");
  }

  const PlatformSpec& spec_;
  sg4::NetZone* root_ = nullptr;
  BuiltTopology out_;
  std::vector<std::vector<bool>> node_built_;  // [cluster][node]
  std::vector<int> cluster_first_gpu_;        // global index of each cluster's first GPU
};

}  // namespace

BuiltTopology build_topology(const PlatformSpec& spec, const GpuScope& scope) { return Builder(spec, scope).build(); }

}  // namespace trainsim
