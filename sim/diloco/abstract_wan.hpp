#pragma once
// The WAN as the abstract mode sees it (docs/diloco.md, "Model"): in the ring of workers (the
// platform's clusters in file order), worker w sends to worker w + 1 over a fixed chain of WAN
// links. Plain values, so that the exact event loop (abstract_loop.hpp) needs no SimGrid; the
// routes themselves are read from the platform SimGrid builds (the tiny abstract platform, in a
// child process), so both engines route every flow identically, ties between equally short
// chains included.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "output/trace.hpp"
#include "platform/spec.hpp"

namespace trainsim {

struct AbstractWan {
  std::vector<std::string> link_names;  // the platform's WAN links, in file order
  std::vector<double> bandwidth;        // bytes/s per direction, per link
  // Per worker w: the WAN link halves its messages to worker w + 1 cross, in order, as (link
  // index, down) with down the second-named cluster's receiving half (network/network.hpp).
  std::vector<std::vector<std::pair<int, bool>>> ring_route;
  std::vector<double> ring_latency;  // per worker: that route's latency (seconds)

  int workers() const { return static_cast<int>(ring_route.size()); }
  // The same WAN with every link scaled so that the first one has `gbps` (Gbit/s); the others
  // keep their ratios to it (as abstract_platform scales the SimGrid links). gbps <= 0: as is.
  AbstractWan scaled(double gbps) const;

  // As results (a child hands them over): tables `wan_links` (link; bandwidth), `rings`
  // (latency, one row per worker) and `ring_hops` (worker, link, down: the routes in order).
  output::TraceData to_results() const;
  static AbstractWan from_results(const output::TraceData& results);
};

// Routes of the abstract platform of `platform` (abstract_platform, heterogeneity drawn with
// `seed`), read from SimGrid in a child process.
AbstractWan abstract_wan(const PlatformSpec& platform, uint64_t seed);

}  // namespace trainsim
