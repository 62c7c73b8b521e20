#include "configurator/bandwidth.hpp"

#include <algorithm>

#include "platform/link_names.hpp"

namespace trainsim::configurator {

NodeBandwidth::NodeBandwidth(std::vector<std::vector<double>> m) : n_(static_cast<int>(m.size())) {
  for (const auto& row : m) {
    if (static_cast<int>(row.size()) != n_) throw InternalError("bandwidth matrix is not square");
    for (double v : row) {
      if (!(v > 0)) throw InternalError("bandwidth matrix entry is not positive");
      bw_.push_back(v);
    }
  }
}

NodeBandwidth NodeBandwidth::uniform(int nodes, double inter, double intra) {
  std::vector<std::vector<double>> m(nodes, std::vector<double>(nodes, inter));
  for (int i = 0; i < nodes; ++i) m[i][i] = intra;
  return NodeBandwidth(std::move(m));
}

BandwidthMatrix NodeBandwidth::to_matrix(const std::string& cluster) const {
  BandwidthMatrix out;
  out.cluster = cluster;
  out.bandwidth.assign(n_, std::vector<double>(n_));
  for (int a = 0; a < n_; ++a) {
    out.hosts.push_back(link_names::node(cluster, a));
    for (int b = 0; b < n_; ++b) out.bandwidth[a][b] = at(a, b);
  }
  return out;
}

}  // namespace trainsim::configurator
