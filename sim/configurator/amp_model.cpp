#include "configurator/amp_model.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace trainsim::configurator {

double AmpNodeBandwidth::link(int a, int b) const { return a == b ? intra[a] : std::min(inter[a], inter[b]); }

AmpNodeBandwidth amp_node_bandwidth(const NodeBandwidth& bw) {
  const int n = bw.nodes();
  AmpNodeBandwidth out;
  for (int a = 0; a < n; ++a) {
    double sum = 0;
    for (int b = 0; b < n; ++b)
      if (b != a) sum += bw.at(a, b);
    out.inter.push_back(n > 1 ? sum / (n - 1) : bw.at(a, a));
    out.intra.push_back(bw.at(a, a));
  }
  return out;
}

double amp_stage_cost(const AmpLayerCosts& c, int stage, int pp, int layers) {
  double e = layers * c.layer;
  if (stage == 0) e += c.embedding;
  if (stage == pp - 1) e += c.lm_head;
  return 3 * e;
}

std::vector<int> amp_partition(const AmpLayerCosts& c, int layers, int pp) {
  if (pp < 1 || layers < pp) throw InternalError("amp_partition: needs 1 <= pp <= layers");
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // Pass 1: the least possible slowest stage. best[s][i]: first s+1 stages hold i layers.
  std::vector<std::vector<double>> best(pp, std::vector<double>(layers + 1, kInf));
  for (int i = 1; i <= layers; ++i) best[0][i] = amp_stage_cost(c, 0, pp, i);
  for (int s = 1; s < pp; ++s)
    for (int i = s + 1; i <= layers; ++i)
      for (int k = 1; k <= i - s; ++k)
        best[s][i] = std::min(best[s][i], std::max(best[s - 1][i - k], amp_stage_cost(c, s, pp, k)));
  const double bound = best[pp - 1][layers] * (1 + 1e-12);
  // Pass 2: among partitions whose every stage is within the bound, the least squared deviation
  // from the even split (the first k reaching it, k ascending); `from[s][i]`: layers of stage s.
  // Squared deviation from layers/pp, scaled by pp^2 to stay in exact integers (ties are real ties).
  auto deviation = [&](int k) { return double(pp * k - layers) * double(pp * k - layers); };
  std::vector<std::vector<double>> dev(pp, std::vector<double>(layers + 1, kInf));
  std::vector<std::vector<int>> from(pp, std::vector<int>(layers + 1, 0));
  for (int i = 1; i <= layers; ++i)
    if (amp_stage_cost(c, 0, pp, i) <= bound) dev[0][i] = deviation(i), from[0][i] = i;
  for (int s = 1; s < pp; ++s)
    for (int i = s + 1; i <= layers; ++i)
      for (int k = 1; k <= i - s; ++k) {
        if (dev[s - 1][i - k] == kInf || amp_stage_cost(c, s, pp, k) > bound) continue;
        const double d = dev[s - 1][i - k] + deviation(k);
        if (d < dev[s][i]) dev[s][i] = d, from[s][i] = k;
      }
  std::vector<int> out(pp);
  for (int s = pp - 1, i = layers; s >= 0; --s) {
    out[s] = from[s][i];
    i -= out[s];
  }
  return out;
}

AmpTime amp_time(const AmpTerms& t, const std::vector<int>& partition, const NodeGrid& grid,
                 const AmpNodeBandwidth& bw, AmpVariant v) {
  if (static_cast<int>(partition.size()) != t.pp || grid.pp != t.pp)
    throw InternalError("amp_time: the partition and the grid need pp stages");
  AmpTime out;
  double slowest = 0, sum = 0;
  for (int s = 0; s < t.pp; ++s) {
    const double e = amp_stage_cost(t.fwd, s, t.pp, partition[s]);
    slowest = std::max(slowest, e);
    sum += e;
  }
  out.pipeline = (t.m - 1) * slowest + sum;
  // One way per boundary, averaged over the replica rows, summed over the boundaries.
  for (int s = 0; s + 1 < t.pp; ++s) {
    double c = 0;
    for (int r = 0; r < grid.rows; ++r) c += t.s_pp / bw.link(grid.node(r, s), grid.node(r, s + 1));
    out.boundary += c / grid.rows;
  }
  if (t.dp > 1) {
    auto node = [&](int d, int s) { return grid.node(d / t.d_in, s); };
    for (int s = 0; s < t.pp; ++s) {
      double link_bw = bw.link(node(t.dp - 1, s), node(0, s));  // the ring's last link only
      if (v == AmpVariant::Corrected)
        for (int d = 0; d + 1 < t.dp; ++d) link_bw = std::min(link_bw, bw.link(node(d, s), node(d + 1, s)));
      const bool embedding = s == 0 || s == t.pp - 1;
      const double bytes = partition[s] * t.layer_param_bytes + (embedding ? t.embedding_param_bytes : 0);
      out.dp = std::max(out.dp, 2.0 * (t.dp - 1) * bytes / (t.dp * link_bw));
    }
  }
  out.total = out.pipeline + out.boundary + out.dp;
  return out;
}

}  // namespace trainsim::configurator
