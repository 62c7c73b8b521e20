#pragma once
// PlatformSpec: the plain-value description of a cluster (or several datacenters) that a
// platform YAML file is parsed into. Nothing here knows about SimGrid; sim/network builds
// the SimGrid platform from it. All quantities are SI: bytes, seconds, bytes/s.
//
// Naming (used by overrides, spreads, traces and docs/platforms.md):
//   GPU host          <cluster>.n<k>.gpu<i>
//   NVSwitch port     <cluster>.n<k>.gpu<i>.nvlink          (split duplex, per GPU)
//   NVLink mesh link  <cluster>.n<k>.nvlink<i>-<j>          (i < j, split duplex)
//   GPU's PCIe link   <cluster>.n<k>.gpu<i>.pcie            (split duplex; kind pcie)
//   PCIe switch uplink <cluster>.n<k>.pcie<s>.up            (split duplex; s-th switch)
//   root complex      <cluster>.n<k>.cpu<p>                 (shared by both directions)
//   inter-socket link <cluster>.n<k>.cpu<p>-<q>             (p < q, split duplex)
//   NIC               <cluster>.n<k>.nic<j>                 (split duplex)
//   leaf uplinks      <cluster>.leaf<l>.up                  (split duplex bundle to the spine)
//   measured path     <cluster>.pair.n<a>-n<b>              (a < b, measured-matrix fabric)
//   WAN               wan.<clusterA>-<clusterB>             (split duplex)
// Indices are 0-based. Global GPU index: clusters in file order, then nodes, then GPUs.
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/gpu_catalog.hpp"

namespace trainsim {

enum class IntraNodeKind { NvSwitch, NvLinkMesh, Pcie };

// A PCIe switch, or a CPU socket's root ports: the devices below it (local GPU indices, NIC
// indices) and the socket it reaches.
struct PcieGroup {
  int socket = 0;
  std::vector<int> gpus;
  std::vector<int> nics;
};
struct PcieHop {
  double bandwidth = 0;  // bytes/s
  double latency = 0;    // s
};
// A PCIe-only node (docs/platforms.md, "PCIe nodes"): GPUs and NICs sit under PCIe switches or
// directly on a socket's root ports; a switch reaches its socket's root complex by its uplink;
// sockets are joined by the inter-socket link (UPI, xGMI). Paths: platform/pcie.hpp.
struct PcieTopology {
  int sockets = 1;
  std::vector<PcieGroup> switches;    // switch s: link <node>.pcie<s>.up
  std::vector<PcieGroup> root_ports;  // devices attached to a root port directly
  PcieHop switch_uplink;  // each switch to its root complex, per direction
  PcieHop root_complex;   // peer traffic turning inside one socket's root complex, both directions together
  PcieHop socket_link;    // between two sockets, per direction
};

struct IntraNodeSpec {
  IntraNodeKind kind = IntraNodeKind::NvSwitch;
  // Per GPU, per direction: NVSwitch port; mesh: split over peers; PCIe: the GPU's own link.
  double bandwidth = 0;
  double latency = 0;  // one GPU-to-GPU traversal (PCIe: two GPUs under one switch)
  PcieTopology pcie = {};  // kind Pcie only (a default initializer: {kind, bandwidth, latency} stays valid)
};

struct NicSpec {
  int count = 1;          // NICs per node; GPU i uses NIC i * count / gpus_per_node
  double bandwidth = 0;   // per NIC, per direction
  double latency = 0;     // GPU to switch port
};

enum class FabricKind { SingleSwitch, FatTree, RailOptimized, Measured };
struct FabricSpec {
  FabricKind kind = FabricKind::SingleSwitch;
  int nodes_per_leaf = 0;         // fat tree: nodes under one leaf; rail: nodes per scalable unit
  double oversubscription = 1.0;  // leaf downlink capacity / uplink capacity (>= 1)
  double switch_latency = 0;      // per switch traversal
};

struct ClusterSpec {
  std::string name;
  GpuModel gpu;
  int nodes = 1;
  int gpus_per_node = 8;
  IntraNodeSpec intra;
  NicSpec nic;
  FabricSpec fabric;
  SourceLocation where;
};

struct WanLinkSpec {
  std::string a, b;  // cluster names
  double bandwidth = 0;
  double latency = 0;
  SourceLocation where;
};

// A glob over link names ('*' and '?') selecting the links a rule changes.
struct LinkOverride {
  std::string links;
  std::optional<double> bandwidth;  // set absolute bandwidth
  std::optional<double> factor;     // multiply bandwidth (degraded link: factor < 1)
  std::optional<double> latency;    // set absolute latency
  SourceLocation where;
};

enum class SpreadDistribution { LogNormal, Uniform };
// Seeded random attained-bandwidth spread: each matched link's bandwidth is multiplied by an
// independent draw (lognormal with median 1 and the given sigma, or uniform in [min, max]).
struct BandwidthSpread {
  std::string links;
  SpreadDistribution distribution = SpreadDistribution::LogNormal;
  double sigma = 0;
  double min = 1, max = 1;
  SourceLocation where;
};

// Pipette's measured node-to-node matrix: {"gpus": [hostnames], "bandwidth": [[GB/s]]}.
// Row/column i is node i of `cluster`; the diagonal is the intra-node figure. Values bytes/s.
struct BandwidthMatrix {
  std::string cluster;
  std::vector<std::string> hosts;
  std::vector<std::vector<double>> bandwidth;
  std::string file;
};

struct PlatformSpec {
  std::string name;
  std::vector<ClusterSpec> clusters;
  std::vector<WanLinkSpec> wan;
  std::vector<BandwidthSpread> spreads;    // applied first, in file order
  std::vector<LinkOverride> overrides;     // applied after spreads, in file order
  std::optional<BandwidthMatrix> matrix;   // requires that cluster's fabric kind Measured
  std::string file;                        // where it was loaded from

  int total_gpus() const {
    int n = 0;
    for (const auto& c : clusters) n += c.nodes * c.gpus_per_node;
    return n;
  }
};

}  // namespace trainsim
