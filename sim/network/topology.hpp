#pragma once
// Builds the SimGrid zones, hosts and links of a PlatformSpec at nominal rates (no
// heterogeneity), following the naming scheme of platform/spec.hpp. Zone structure and why:
// docs/network.md.
#include <vector>

#include "network/heterogeneity.hpp"
#include "network/network.hpp"
#include "platform/spec.hpp"

namespace simgrid::s4u {
class Host;
}

namespace trainsim {

struct BuiltTopology {
  std::vector<LinkInfo> links;  // in creation order
  LinkNameIndex link_index;     // name -> index into links
  std::vector<simgrid::s4u::Host*> hosts;  // by global GPU index; nullptr outside the scope
  std::vector<GpuLocation> locations;      // by global GPU index, every GPU of the platform
  bool partial = false;                    // some of the platform's links were not built
};

// The engine must be configured (Network::configure_engine) and have no platform yet. With a
// scope, only what routes between its GPUs cross is built (network.hpp, GpuScope).
BuiltTopology build_topology(const PlatformSpec& spec, const GpuScope& scope = std::nullopt);

// Speed given to GPU hosts. Compute is timed by trainsim, not by SimGrid hosts, so the value
// only has to be positive; it is fixed so that traces are reproducible.
inline constexpr double kGpuHostSpeed = 1e12;

// The NIC (index within its node) that GPU `local` of a node of cluster `c` leaves through: NICs
// are spread evenly over the node's GPUs in order.
inline int nic_of_gpu(const ClusterSpec& c, int local) {
  return static_cast<int>(static_cast<long>(local) * c.nic.count / c.gpus_per_node);
}

}  // namespace trainsim
