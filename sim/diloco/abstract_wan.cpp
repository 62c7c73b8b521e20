#include "diloco/abstract_wan.hpp"

#include "core/error.hpp"
#include "diloco/abstract_sim.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/result_json.hpp"
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

output::TraceData AbstractWan::to_results() const {
  output::TraceData r;
  auto links = output::Table::with_columns("wan_links", {"link"}, {"bandwidth"});
  for (size_t i = 0; i < link_names.size(); ++i) links.add_row({link_names[i]}, {bandwidth.at(i)});
  auto rings = output::Table::with_columns("rings", {}, {"latency"});
  auto hops = output::Table::with_columns("ring_hops", {}, {"worker", "link", "down"});
  for (size_t w = 0; w < ring_route.size(); ++w) {
    rings.add_row({}, {ring_latency.at(w)});
    for (const auto& [link, down] : ring_route[w])
      hops.add_row({}, {static_cast<double>(w), static_cast<double>(link), down ? 1.0 : 0.0});
  }
  r.tables = {std::move(links), std::move(rings), std::move(hops)};
  return r;
}

AbstractWan AbstractWan::from_results(const output::TraceData& r) {
  AbstractWan w;
  const auto& links = output::table_named(r, "wan_links");
  w.link_names = output::text_column(links, "link");
  w.bandwidth = output::numeric_column(links, "bandwidth");
  w.ring_latency = output::numeric_column(output::table_named(r, "rings"), "latency");
  w.ring_route.resize(w.ring_latency.size());
  const auto& hops = output::table_named(r, "ring_hops");
  const auto &worker = output::numeric_column(hops, "worker"), &link = output::numeric_column(hops, "link"),
             &down = output::numeric_column(hops, "down");
  for (size_t i = 0; i < hops.rows(); ++i)
    w.ring_route.at(static_cast<size_t>(worker[i])).emplace_back(static_cast<int>(link[i]), down[i] != 0);
  return w;
}

AbstractWan abstract_wan(const PlatformSpec& platform, uint64_t seed) {
  return AbstractWan::from_results(run_isolated_results([&platform, seed] {
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
    return w.to_results();
  }));
}

}  // namespace trainsim
