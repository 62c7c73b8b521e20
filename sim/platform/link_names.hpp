#pragma once
// The names of hosts and links, as documented in platform/spec.hpp: overrides, spreads, the
// measured matrix, traces and tests all go through these so the scheme lives in one place.
#include <functional>
#include <string>

#include "platform/spec.hpp"

namespace trainsim::link_names {

inline std::string node(const std::string& cluster, int node) { return cluster + ".n" + std::to_string(node); }
inline std::string gpu_host(const std::string& cluster, int n, int gpu) {
  return node(cluster, n) + ".gpu" + std::to_string(gpu);
}
inline std::string nvswitch_port(const std::string& cluster, int n, int gpu) { return gpu_host(cluster, n, gpu) + ".nvlink"; }
inline std::string nvlink_mesh(const std::string& cluster, int n, int i, int j) {  // i < j
  return node(cluster, n) + ".nvlink" + std::to_string(i) + "-" + std::to_string(j);
}
inline std::string pcie_gpu(const std::string& cluster, int n, int gpu) { return gpu_host(cluster, n, gpu) + ".pcie"; }
inline std::string pcie_switch_uplink(const std::string& cluster, int n, int s) {
  return node(cluster, n) + ".pcie" + std::to_string(s) + ".up";
}
inline std::string root_complex(const std::string& cluster, int n, int socket) {
  return node(cluster, n) + ".cpu" + std::to_string(socket);
}
inline std::string socket_link(const std::string& cluster, int n, int p, int q) {  // p < q
  return root_complex(cluster, n, p) + "-" + std::to_string(q);
}
inline std::string nic(const std::string& cluster, int n, int j) { return node(cluster, n) + ".nic" + std::to_string(j); }
inline std::string leaf(const std::string& cluster, int l) { return cluster + ".leaf" + std::to_string(l); }
inline std::string leaf_uplink(const std::string& cluster, int l) { return leaf(cluster, l) + ".up"; }
inline std::string pair(const std::string& cluster, int a, int b) {  // a < b
  return cluster + ".pair.n" + std::to_string(a) + "-n" + std::to_string(b);
}
inline const char* wan_prefix() { return "wan."; }  // what every WAN link's name begins with
inline std::string wan(const std::string& a, const std::string& b) { return wan_prefix() + a + "-" + b; }

// Leaves (fat tree) or scalable units (rail-optimized) of a cluster: ceil(nodes / nodes_per_leaf).
int leaf_count(const ClusterSpec& c);

// Calls `visit` with every link name a built `spec` has, in a fixed order, and stops early
// when it returns true; returns whether a visit did. Used to check globs at load time without
// building the platform (sim/network builds exactly these links).
bool for_each_link_name(const PlatformSpec& spec, const std::function<bool(const std::string&)>& visit);

}  // namespace trainsim::link_names
