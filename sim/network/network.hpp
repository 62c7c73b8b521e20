#pragma once
// The simulated network: builds the SimGrid platform for a PlatformSpec and keeps what
// SimGrid does not (per-link latency, tier, nominal bandwidth) for routing and traces.
//
// Network model (see docs/network.md): CM02 max-min sharing with crosstraffic off and no TCP
// window cap. SimGrid links carry bandwidth only; their latency is 0 in SimGrid and trainsim
// applies each route's latency as a delay before the flow starts. Why: SimGrid weights a flow's
// share by its route latency (TCP RTT-unfairness), which is wrong for credit-based InfiniBand
// and NVLink; with zero-latency links every flow on a bottleneck gets an equal share.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/spec.hpp"

namespace simgrid::s4u {
class Engine;
class Host;
class Link;
}  // namespace simgrid::s4u

namespace trainsim {

enum class LinkTier { NvLink, Pcie, Nic, Leaf, Path, Wan };
const char* tier_name(LinkTier t);

struct LinkInfo {
  std::string name;
  LinkTier tier;
  double bandwidth;  // attained bytes/s after heterogeneity (per direction)
  double nominal_bandwidth;
  double latency;
  simgrid::s4u::Link* link;
};

// A link of a route and the direction the route crosses it (split-duplex links carry each
// direction at the full bandwidth; a PCIe root complex is one link shared by both directions).
struct DirectedLink {
  int link = 0;       // index into Network::links()
  bool down = false;  // the DOWN half (towards the GPU / the second-named end); false on a shared link
};

struct GpuLocation {
  int cluster = 0;  // index into PlatformSpec::clusters
  int node = 0;     // node index within its cluster
  int local = 0;    // GPU index within its node
  int global_node = 0;  // node index across all clusters
};

// The GPUs a job runs on (global indices, any order, repeats allowed); std::nullopt: all of them.
// The network then builds only their nodes, the leaves and measured paths joining those nodes,
// and every cluster's gateway and WAN link: every link a route between two of these GPUs crosses,
// with the bandwidth and latency the whole platform gives it, and nothing else. A job's flows
// never cross another link, so its results are those of the whole platform (docs/network.md,
// "Building only what a job uses"); a 100k-GPU platform builds in milliseconds for a small job.
using GpuScope = std::optional<std::vector<int>>;

class Network {
 public:
  // Sets the network model configuration; call once on a fresh engine before building.
  static void configure_engine(simgrid::s4u::Engine& engine);

  // Builds the platform (or the part `scope` needs) into the engine (the engine must be
  // configured and have no platform). A GPU index outside the platform is an InternalError.
  Network(const PlatformSpec& spec, uint64_t seed, const GpuScope& scope = std::nullopt);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const PlatformSpec& spec() const;
  // All GPUs of the platform, built or not (GPU indices and locations are the platform's).
  int gpu_count() const;
  // Whether the GPU's host was built (always, without a scope).
  bool built(int gpu) const;
  int built_gpu_count() const;
  // The GPU's host; an InternalError for a GPU outside the built scope (a job that uses a GPU
  // it did not declare).
  simgrid::s4u::Host* gpu_host(int gpu) const;
  const GpuLocation& location(int gpu) const;
  int gpu_index(const simgrid::s4u::Host* host) const;
  // Sum of the latencies of the links on the route (cached per pair).
  double route_latency(int src_gpu, int dst_gpu) const;
  // Links on the route, in order (both GPUs built).
  std::vector<const LinkInfo*> route(int src_gpu, int dst_gpu) const;
  // The same with the direction of each link.
  std::vector<DirectedLink> directed_route(int src_gpu, int dst_gpu) const;
  // The links built, in creation order (all of the platform's without a scope).
  const std::vector<LinkInfo>& links() const;
  const LinkInfo* find_link(const std::string& name) const;
  // Gives SimGrid's link (both halves of a split-duplex one) `bandwidth`; links() keeps the
  // platform's figures. For folded runs only (engine/fold.hpp): one flow on C/m stands for m.
  void set_simulated_bandwidth(int link, double bandwidth);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainsim
