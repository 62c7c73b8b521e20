#include "network/network.hpp"

#include <unordered_map>
#include <unordered_set>

#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <xbt/log.h>

#include "core/error.hpp"
#include "network/heterogeneity.hpp"
#include "network/platform_check.hpp"
#include "network/topology.hpp"
#include "platform/link_names.hpp"

namespace trainsim {

const char* tier_name(LinkTier t) {
  switch (t) {
    case LinkTier::NvLink: return "nvlink";
    case LinkTier::Pcie: return "pcie";
    case LinkTier::Nic: return "nic";
    case LinkTier::Leaf: return "leaf";
    case LinkTier::Path: return "path";
    case LinkTier::Wan: return "wan";
  }
  return "?";
}

void Network::configure_engine(simgrid::s4u::Engine& /*engine*/) {
  // Quiet: SimGrid logs every configuration change at INFO level.
  xbt_log_control_set("root.thresh:warning");
  using E = simgrid::s4u::Engine;
  // CM02: plain max-min sharing with no TCP-derived corrections (LV08 made a 1 GB transfer 9%
  // slower on this machine). Factors stated explicitly so a changed default cannot creep in.
  E::set_config("network/model:CM02");
  E::set_config("network/crosstraffic:0");        // no reverse ACK traffic on split-duplex links
  E::set_config("network/bandwidth-factor:1.0");  // platform files state attained rates
  E::set_config("network/latency-factor:1.0");
  E::set_config("network/weight-S:0");            // no per-link bandwidth term in the sharing penalty
  // Each flow is capped at TCP-gamma / (2 x route latency); links carry no SimGrid latency, but
  // the cap is lifted too in case a caller sets one (10 GB over a 20 ms WAN took 98.6 s).
  E::set_config("network/TCP-gamma:1e18");
  // A GPU's transfer to itself (not used by trainsim's collectives) gets no hidden latency either.
  E::set_config("network/loopback-lat:0");
}

struct Network::Impl {
  PlatformSpec spec;
  BuiltTopology topo;
  std::unordered_map<const simgrid::s4u::Link*, size_t> by_link;  // UP and DOWN halves -> LinkInfo
  std::unordered_set<const simgrid::s4u::Link*> down_halves;
  std::unordered_map<const simgrid::s4u::Host*, int> by_host;
  mutable std::unordered_map<uint64_t, double> latency_cache;
};

Network::Network(const PlatformSpec& spec, uint64_t seed, const GpuScope& scope) : impl_(std::make_unique<Impl>()) {
  check_platform(spec);
  impl_->spec = spec;
  impl_->topo = build_topology(impl_->spec, scope);
  auto& links = impl_->topo.links;
  apply_heterogeneity(impl_->spec, seed, links, impl_->topo.link_index, impl_->topo.partial);
  for (size_t i = 0; i < links.size(); ++i) {
    auto* duplex = dynamic_cast<simgrid::s4u::SplitDuplexLink*>(links[i].link);
    if (!duplex) {  // one link for both directions
      impl_->by_link.emplace(links[i].link, i);
      if (links[i].bandwidth != links[i].nominal_bandwidth) links[i].link->set_bandwidth(links[i].bandwidth);
      continue;
    }
    auto* up = duplex->get_link_up();
    auto* down = duplex->get_link_down();
    impl_->by_link.emplace(up, i);
    impl_->by_link.emplace(down, i);
    impl_->by_link.emplace(duplex, i);
    impl_->down_halves.insert(down);
    // SimGrid is told only the changed rates: both halves, since a duplex pair is two links.
    if (links[i].bandwidth != links[i].nominal_bandwidth) {
      up->set_bandwidth(links[i].bandwidth);
      down->set_bandwidth(links[i].bandwidth);
    }
  }
  const auto& hosts = impl_->topo.hosts;
  for (size_t g = 0; g < hosts.size(); ++g)
    if (hosts[g]) impl_->by_host.emplace(hosts[g], static_cast<int>(g));
}

Network::~Network() = default;

void Network::set_simulated_bandwidth(int link, double bandwidth) {
  auto* l = impl_->topo.links.at(static_cast<size_t>(link)).link;
  if (auto* duplex = dynamic_cast<simgrid::s4u::SplitDuplexLink*>(l)) {
    duplex->get_link_up()->set_bandwidth(bandwidth);
    duplex->get_link_down()->set_bandwidth(bandwidth);
  } else {
    l->set_bandwidth(bandwidth);
  }
}

const PlatformSpec& Network::spec() const { return impl_->spec; }
int Network::gpu_count() const { return static_cast<int>(impl_->topo.hosts.size()); }

bool Network::built(int gpu) const { return impl_->topo.hosts.at(static_cast<size_t>(gpu)) != nullptr; }

int Network::built_gpu_count() const { return static_cast<int>(impl_->by_host.size()); }

simgrid::s4u::Host* Network::gpu_host(int gpu) const {
  simgrid::s4u::Host* host = impl_->topo.hosts.at(static_cast<size_t>(gpu));
  if (!host) {
    const GpuLocation& at = location(gpu);
    throw InternalError("GPU " + std::to_string(gpu) + " (" +
                        link_names::gpu_host(impl_->spec.clusters[static_cast<size_t>(at.cluster)].name, at.node, at.local) +
                        ") is used but was not among the GPUs the job declared; it was not built");
  }
  return host;
}

const GpuLocation& Network::location(int gpu) const { return impl_->topo.locations.at(static_cast<size_t>(gpu)); }

int Network::gpu_index(const simgrid::s4u::Host* host) const {
  auto it = impl_->by_host.find(host);
  return it == impl_->by_host.end() ? -1 : it->second;
}

std::vector<const LinkInfo*> Network::route(int src_gpu, int dst_gpu) const {
  std::vector<const LinkInfo*> out;
  for (const DirectedLink& l : directed_route(src_gpu, dst_gpu)) out.push_back(&impl_->topo.links[l.link]);
  return out;
}

std::vector<DirectedLink> Network::directed_route(int src_gpu, int dst_gpu) const {
  std::vector<DirectedLink> out;
  if (src_gpu == dst_gpu) return out;
  std::vector<simgrid::s4u::Link*> path;
  double simgrid_latency = 0;
  gpu_host(src_gpu)->route_to(gpu_host(dst_gpu), path, &simgrid_latency);
  out.reserve(path.size());
  for (const auto* l : path) {
    auto it = impl_->by_link.find(l);
    if (it == impl_->by_link.end()) throw InternalError("route crosses a link the network did not build: " + l->get_name());
    out.push_back({static_cast<int>(it->second), impl_->down_halves.count(l) > 0});
  }
  return out;
}

double Network::route_latency(int src_gpu, int dst_gpu) const {
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(src_gpu)) << 32) | static_cast<uint32_t>(dst_gpu);
  auto it = impl_->latency_cache.find(key);
  if (it != impl_->latency_cache.end()) return it->second;
  double sum = 0;
  for (const auto* l : route(src_gpu, dst_gpu)) sum += l->latency;
  impl_->latency_cache.emplace(key, sum);
  return sum;
}

const std::vector<LinkInfo>& Network::links() const { return impl_->topo.links; }

const LinkInfo* Network::find_link(const std::string& name) const {
  auto it = impl_->topo.link_index.find(name);
  return it == impl_->topo.link_index.end() ? nullptr : &impl_->topo.links[it->second];
}

}  // namespace trainsim
