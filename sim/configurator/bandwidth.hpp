#pragma once
// The node-to-node bandwidth a configurator reasons with: Pipette's measured matrix (row/column
// = node of the cluster, diagonal = intra-node figure), in bytes/s.
#include <vector>

#include "platform/spec.hpp"

namespace trainsim::configurator {

class NodeBandwidth {
 public:
  NodeBandwidth() = default;
  // `bytes_per_s[a][b]`: square, positive entries (InputError-free: callers validate files).
  explicit NodeBandwidth(std::vector<std::vector<double>> bytes_per_s);
  static NodeBandwidth from_matrix(const BandwidthMatrix& m) { return NodeBandwidth(m.bandwidth); }
  // Every inter-node pair at `inter`, the diagonal at `intra`.
  static NodeBandwidth uniform(int nodes, double inter, double intra);

  int nodes() const { return n_; }
  double at(int a, int b) const { return bw_[static_cast<size_t>(a) * n_ + b]; }
  // Pipette stores the matrix symmetric; a measured one may not be. Models use the slower
  // direction of a pair, since a pipeline boundary carries traffic both ways.
  double pair(int a, int b) const { return a == b ? at(a, a) : std::min(at(a, b), at(b, a)); }
  BandwidthMatrix to_matrix(const std::string& cluster) const;

 private:
  int n_ = 0;
  std::vector<double> bw_;
};

}  // namespace trainsim::configurator
