#include "diloco/abstract_wan.hpp"

#include <sstream>

#include "core/error.hpp"
#include "diloco/abstract_sim.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/table_printer.hpp"
#include "platform/link_names.hpp"

namespace trainsim {

AbstractWan AbstractWan::scaled(double gbps) const {
  AbstractWan w = *this;
  if (gbps > 0 && !w.bandwidth.empty()) {
    // The same expression as abstract_platform(), so both engines see bit-identical rates.
    const double scale = gbps * 1e9 / 8 / w.bandwidth.front();
    for (auto& b : w.bandwidth) b *= scale;
  }
  return w;
}

std::string AbstractWan::serialize() const {
  std::ostringstream out;
  out << link_names.size() << '\n';
  for (size_t i = 0; i < link_names.size(); ++i) out << link_names[i] << ' ' << output::format_roundtrip(bandwidth[i]) << '\n';
  out << ring_route.size() << '\n';
  for (size_t w = 0; w < ring_route.size(); ++w) {
    out << output::format_roundtrip(ring_latency[w]) << ' ' << ring_route[w].size();
    for (const auto& [link, down] : ring_route[w]) out << ' ' << link << ' ' << down;
    out << '\n';
  }
  return out.str();
}

AbstractWan AbstractWan::parse(const std::string& text) {
  std::istringstream in(text);
  AbstractWan w;
  size_t n = 0;
  in >> n;
  w.link_names.resize(n);
  w.bandwidth.resize(n);
  for (size_t i = 0; i < n; ++i) in >> w.link_names[i] >> w.bandwidth[i];
  in >> n;
  w.ring_route.resize(n);
  w.ring_latency.resize(n);
  for (size_t r = 0; r < n; ++r) {
    size_t hops = 0;
    in >> w.ring_latency[r] >> hops;
    w.ring_route[r].resize(hops);
    for (auto& [link, down] : w.ring_route[r]) in >> link >> down;
  }
  if (!in) throw InternalError("malformed abstract WAN description: " + text);
  return w;
}

AbstractWan abstract_wan(const PlatformSpec& platform, uint64_t seed) {
  return AbstractWan::parse(run_isolated([&platform, seed] {
    Simulation sim(abstract_platform(platform, 0, seed), seed);
    const Network& net = sim.network();
    AbstractWan w;
    std::vector<int> wan_index(net.links().size(), -1);
    for (const auto& l : platform.wan) {
      const LinkInfo* info = net.find_link(link_names::wan(l.a, l.b));  // as built: heterogeneity applied
      if (!info) throw InternalError("abstract platform lacks WAN link " + link_names::wan(l.a, l.b));
      wan_index[static_cast<size_t>(info - net.links().data())] = static_cast<int>(w.link_names.size());
      w.link_names.push_back(info->name);
      w.bandwidth.push_back(info->bandwidth);
    }
    const int m = static_cast<int>(platform.clusters.size());
    for (int i = 0; i < m; ++i) {
      const int next = (i + 1) % m;  // GPU index = cluster index on the abstract platform
      std::vector<std::pair<int, bool>> route;
      for (const DirectedLink& d : net.directed_route(i, next))
        if (wan_index[d.link] >= 0) route.emplace_back(wan_index[d.link], d.down);
      w.ring_route.push_back(route);
      w.ring_latency.push_back(net.route_latency(i, next));
    }
    return w.serialize();
  }));
}

}  // namespace trainsim
