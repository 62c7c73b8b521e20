#include "configurator/amp_model.hpp"

#include <algorithm>
#include <limits>

namespace trainsim::configurator {

std::vector<double> per_node_inter_bandwidth(const NodeBandwidth& bw) {
  const int n = bw.nodes();
  std::vector<double> out(n);
  for (int a = 0; a < n; ++a) {
    if (n == 1) {
      out[a] = bw.at(a, a);
      continue;
    }
    double sum = 0;
    for (int b = 0; b < n; ++b)
      if (b != a) sum += bw.at(a, b);
    out[a] = sum / (n - 1);
  }
  return out;
}

double amp_time(const AmpTerms& t, const NodeGrid& grid, const NodeBandwidth& bw) {
  const auto inter = per_node_inter_bandwidth(bw);
  const double stage = 3 * t.t_f;
  double time = (t.m - 1) * stage + t.pp * stage;
  if (t.pp > 1) {
    double boundary = 0;
    for (int r = 0; r < grid.rows; ++r) {
      double slowest = std::numeric_limits<double>::infinity();
      for (int s = 0; s < grid.pp; ++s) slowest = std::min(slowest, inter[grid.at(r, s)]);
      boundary += 2.0 * (t.pp - 1) * t.s_pp / slowest;
    }
    time += boundary / grid.rows;
  }
  if (t.dp > 1) {
    double min_bw = std::numeric_limits<double>::infinity();
    for (int n : grid.nodes) min_bw = std::min(min_bw, t.d_out > 1 ? inter[n] : bw.at(n, n));
    time += 2.0 * (t.dp - 1) * t.s_dp / (t.dp * min_bw);
  }
  return time;
}

}  // namespace trainsim::configurator
