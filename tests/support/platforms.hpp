#pragma once
// Small platform specs built in C++ for tests (no YAML), with round numbers so that expected
// times can be computed by hand.
#include "platform/spec.hpp"

namespace trainsim::testing {

// `nodes` nodes of `gpus` GPUs: NVSwitch at `nvlink` B/s per GPU, one NIC per GPU at `nic`
// B/s, a single non-blocking switch. Latencies are all `latency`.
inline PlatformSpec uniform_cluster(int nodes, int gpus, double nvlink, double nic, double latency,
                                    int nics_per_node = -1) {
  PlatformSpec p;
  p.name = "test";
  ClusterSpec c;
  c.name = "c";
  c.gpu = *find_gpu_model("A100-80GB");
  c.nodes = nodes;
  c.gpus_per_node = gpus;
  c.intra = {IntraNodeKind::NvSwitch, nvlink, latency};
  c.nic = {nics_per_node < 0 ? gpus : nics_per_node, nic, latency};
  c.fabric = {FabricKind::SingleSwitch, 0, 1.0, latency};
  p.clusters.push_back(c);
  return p;
}

}  // namespace trainsim::testing
