#include "platform/pcie.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "platform/link_names.hpp"

namespace trainsim::pcie {
namespace {

Attachment find(const PcieTopology& t, int device, std::vector<int> PcieGroup::*member, const char* what) {
  for (size_t s = 0; s < t.switches.size(); ++s) {
    const auto& v = t.switches[s].*member;
    if (std::find(v.begin(), v.end(), device) != v.end()) return {true, static_cast<int>(s), t.switches[s].socket};
  }
  for (size_t r = 0; r < t.root_ports.size(); ++r) {
    const auto& v = t.root_ports[r].*member;
    if (std::find(v.begin(), v.end(), device) != v.end()) return {false, static_cast<int>(r), t.root_ports[r].socket};
  }
  throw InternalError(std::string("PCIe topology: ") + what + " " + std::to_string(device) + " is not attached");
}

Half flip(Half h) { return h == Half::Up ? Half::Down : h == Half::Down ? Half::Up : Half::Shared; }

// From one attachment point to another: the switch uplinks and what joins them at the top.
void across(const ClusterSpec& c, int node, const Attachment& from, const Attachment& to, std::vector<PathLink>& out) {
  if (from.is_switch) out.push_back({link_names::pcie_switch_uplink(c.name, node, from.group), Half::Up});
  if (from.socket == to.socket) {
    out.push_back({link_names::root_complex(c.name, node, from.socket), Half::Shared});
  } else {
    const int p = std::min(from.socket, to.socket), q = std::max(from.socket, to.socket);
    out.push_back({link_names::socket_link(c.name, node, p, q), from.socket == p ? Half::Up : Half::Down});
  }
  if (to.is_switch) out.push_back({link_names::pcie_switch_uplink(c.name, node, to.group), Half::Down});
}

bool same_switch(const Attachment& a, const Attachment& b) { return a.is_switch && b.is_switch && a.group == b.group; }

}  // namespace

Attachment gpu_attachment(const PcieTopology& t, int gpu) { return find(t, gpu, &PcieGroup::gpus, "GPU"); }
Attachment nic_attachment(const PcieTopology& t, int nic) { return find(t, nic, &PcieGroup::nics, "NIC"); }

std::vector<PathLink> gpu_to_gpu(const ClusterSpec& c, int node, int a, int b) {
  const Attachment at = gpu_attachment(c.intra.pcie, a), bt = gpu_attachment(c.intra.pcie, b);
  std::vector<PathLink> out{{link_names::pcie_gpu(c.name, node, a), Half::Up}};
  if (!same_switch(at, bt)) across(c, node, at, bt, out);
  out.push_back({link_names::pcie_gpu(c.name, node, b), Half::Down});
  return out;
}

std::vector<PathLink> gpu_to_nic(const ClusterSpec& c, int node, int gpu, int nic) {
  const Attachment at = gpu_attachment(c.intra.pcie, gpu), nt = nic_attachment(c.intra.pcie, nic);
  std::vector<PathLink> out{{link_names::pcie_gpu(c.name, node, gpu), Half::Up}};
  if (!same_switch(at, nt)) across(c, node, at, nt, out);
  return out;
}

std::vector<PathLink> reversed(const std::vector<PathLink>& path) {
  std::vector<PathLink> out;
  for (auto it = path.rbegin(); it != path.rend(); ++it) out.push_back({it->name, flip(it->half)});
  return out;
}

std::string path_class(const PcieTopology& t, int a, int b) {
  const Attachment at = gpu_attachment(t, a), bt = gpu_attachment(t, b);
  if (same_switch(at, bt)) return "PIX";
  return at.socket == bt.socket ? "PHB" : "SYS";
}

Problem check(const PcieTopology& t, int gpus, int nics) {
  if (t.sockets < 1) return {"sockets", "must be >= 1"};
  std::vector<int> gpu_seen(static_cast<size_t>(gpus), 0), nic_seen(static_cast<size_t>(nics), 0);
  const std::pair<const char*, const std::vector<PcieGroup>*> lists[] = {{"switches", &t.switches},
                                                                         {"root_ports", &t.root_ports}};
  for (const auto& [key, groups] : lists)
    for (size_t i = 0; i < groups->size(); ++i) {
      const PcieGroup& g = (*groups)[i];
      const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
      if (g.socket < 0 || g.socket >= t.sockets)
        return {at + ".socket", "socket " + std::to_string(g.socket) + " does not exist; expected one of 0.." +
                                    std::to_string(t.sockets - 1)};
      for (int d : g.gpus) {
        if (d < 0 || d >= gpus)
          return {at + ".gpus", "GPU " + std::to_string(d) + " does not exist; expected one of 0.." + std::to_string(gpus - 1)};
        if (gpu_seen[static_cast<size_t>(d)]++)
          return {at + ".gpus", "GPU " + std::to_string(d) + " is attached twice; each GPU hangs off one switch or root port"};
      }
      for (int d : g.nics) {
        if (d < 0 || d >= nics)
          return {at + ".nics", "NIC " + std::to_string(d) + " does not exist; expected one of 0.." + std::to_string(nics - 1)};
        if (nic_seen[static_cast<size_t>(d)]++)
          return {at + ".nics", "NIC " + std::to_string(d) + " is attached twice; each NIC hangs off one switch or root port"};
      }
    }
  for (int d = 0; d < gpus; ++d)
    if (!gpu_seen[static_cast<size_t>(d)])
      return {"switches", "GPU " + std::to_string(d) + " is attached to no PCIe switch or root port; list each of GPUs 0.." +
                              std::to_string(gpus - 1) + " once under switches or root_ports"};
  for (int d = 0; d < nics; ++d)
    if (!nic_seen[static_cast<size_t>(d)])
      return {"switches", "NIC " + std::to_string(d) + " is attached to no PCIe switch or root port; list each of NICs 0.." +
                              std::to_string(nics - 1) + " once under switches or root_ports"};
  // A rate must be given for every kind of link a path can cross (each is a bottleneck candidate).
  const size_t groups = t.switches.size() + t.root_ports.size();
  if (!t.switches.empty() && groups > 1 && !(t.switch_uplink.bandwidth > 0))
    return {"switch_uplink", "missing, and devices under a switch reach the others through its uplink; give "
                             "switch_uplink: {bandwidth, latency}"};
  // A path turns in socket p's root complex when p has two switches, a switch and a device on a
  // root port, or two devices on root ports.
  std::vector<size_t> below(static_cast<size_t>(t.sockets), 0);
  for (const auto& g : t.switches) below[static_cast<size_t>(g.socket)] += 1;
  for (const auto& g : t.root_ports) below[static_cast<size_t>(g.socket)] += g.gpus.size() + g.nics.size();
  if (*std::max_element(below.begin(), below.end()) > 1 && !(t.root_complex.bandwidth > 0))
    return {"root_complex", "missing, and some paths turn inside a CPU's root complex; give "
                            "root_complex: {bandwidth, latency}"};
  if (t.sockets > 1 && !(t.socket_link.bandwidth > 0))
    return {"socket_link", "missing, and the node has " + std::to_string(t.sockets) +
                               " sockets; give socket_link: {bandwidth, latency}"};
  return {};
}

}  // namespace trainsim::pcie
