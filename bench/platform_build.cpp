// Platform-build benchmark: builds a rail-optimized H100 cluster (8 GPUs and 8x 400 Gb/s NICs
// per node, 32-node scalable units) and prints the build wall time and peak RSS.
// Usage: bench_platform_build <gpus> [nodes_per_leaf]   (one build per process: SimGrid's
// engine is a process singleton). bench/platform_build.sh runs a few sizes.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <simgrid/s4u/Engine.hpp>

#include "core/units.hpp"
#include "network/network.hpp"
#include "platform/gpu_catalog.hpp"

using namespace trainsim;

static double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <gpus> [nodes_per_leaf]\n", argv[0]);
    return 2;
  }
  const int gpus = std::atoi(argv[1]);
  const int per_leaf = argc > 2 ? std::atoi(argv[2]) : 32;
  const double rss_before = peak_rss_mib();

  PlatformSpec spec;
  spec.name = "bench";
  ClusterSpec c;
  c.name = "dc";
  c.gpu = find_gpu_model("H100-SXM").value();
  c.gpus_per_node = 8;
  c.nodes = gpus / c.gpus_per_node;
  c.intra = {IntraNodeKind::NvSwitch, 450 * units::GB, 1e-6};
  c.nic = {8, 400 * units::Gbps, 1e-6};
  c.fabric = {FabricKind::RailOptimized, per_leaf, 1.0, 0.5e-6};
  spec.clusters.push_back(c);

  int sg_argc = 1;
  char name[] = "bench_platform_build";
  char* sg_argv[] = {name, nullptr};
  simgrid::s4u::Engine engine(&sg_argc, sg_argv);
  Network::configure_engine(engine);

  const auto t0 = std::chrono::steady_clock::now();
  Network net(spec, 1);
  const auto t1 = std::chrono::steady_clock::now();
  // A sample of route lookups (first call per pair, i.e. uncached), the engine's hot path.
  double sum = 0;
  const int queries = 10000;
  for (int q = 0; q < queries; ++q) sum += net.route_latency((q * 7919) % gpus, (q * 104729 + 1) % gpus);
  const auto t2 = std::chrono::steady_clock::now();

  const double build_s = std::chrono::duration<double>(t1 - t0).count();
  const double route_us = std::chrono::duration<double>(t2 - t1).count() / queries * 1e6;
  std::printf("%d gpus  %d nodes  %zu links  build %.3f s  peak RSS %.0f MiB (before build %.0f MiB)  route %.2f us  [%g]\n",
              net.gpu_count(), c.nodes, net.links().size(), build_s, peak_rss_mib(), rss_before, route_us, sum);
  return 0;
}
