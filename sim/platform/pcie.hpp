#pragma once
// Paths inside a PCIe-only node (IntraNodeKind::Pcie), as plain values: which links a transfer
// between two GPUs, or between a GPU and a NIC, crosses, and in which direction. The network
// turns them into SimGrid routes; docs/platforms.md ("PCIe nodes") and docs/network.md show them.
//
// Directions follow the tree: UP towards the CPU (a GPU's link from the GPU to its switch or root
// port, a switch's uplink from the switch to the root complex), DOWN away from it; an inter-socket
// link cpu<p>-<q> is UP from p to q. The root complex is one link shared by both directions.
#include <string>
#include <vector>

#include "platform/spec.hpp"

namespace trainsim::pcie {

enum class Half { Up, Down, Shared };
struct PathLink {
  std::string name;
  Half half = Half::Up;
  bool operator==(const PathLink& o) const { return name == o.name && half == o.half; }
};

// Where a device hangs: the index of its group among switches (is_switch) or root-port groups.
struct Attachment {
  bool is_switch = false;
  int group = 0;
  int socket = 0;
};
Attachment gpu_attachment(const PcieTopology& t, int gpu);
Attachment nic_attachment(const PcieTopology& t, int nic);

// GPU a to GPU b of node `node` (a != b): under one switch, the two GPU links; otherwise up to
// the root complex (GPU link, switch uplink), across it (same socket: the root complex; other
// socket: the inter-socket link), and down (switch uplink, GPU link).
std::vector<PathLink> gpu_to_gpu(const ClusterSpec& c, int node, int a, int b);
// GPU to the NIC it uses (i * nic.count / gpus_per_node), NIC excluded: the same rule, the NIC's
// own PCIe link not modelled (the NIC is slower). Reversed with flipped halves for NIC to GPU.
std::vector<PathLink> gpu_to_nic(const ClusterSpec& c, int node, int gpu, int nic);
std::vector<PathLink> reversed(const std::vector<PathLink>& path);

// How nvidia-smi topo -m would name the pair's path: "PIX" (one switch), "PHB" (through one
// socket's root complex), "SYS" (across sockets).
std::string path_class(const PcieTopology& t, int a, int b);

// What is wrong with the topology of a node of `gpus` GPUs and `nics` NICs (a GPU or NIC not
// attached, attached twice or out of range, a socket out of range, a needed rate missing), as
// {key under intra_node, message}; empty key if nothing.
struct Problem {
  std::string key, message;
};
Problem check(const PcieTopology& t, int gpus, int nics);

}  // namespace trainsim::pcie
