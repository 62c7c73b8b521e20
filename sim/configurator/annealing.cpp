#include "configurator/annealing.hpp"

#include <algorithm>
#include <cmath>

#include "core/random.hpp"

namespace trainsim::configurator {

namespace {

// Applies one random move of the five to `p` (size >= 2).
void random_move(std::vector<int>& p, Rng& rng) {
  const int n = static_cast<int>(p.size());
  int i = static_cast<int>(rng.below(n)), j = static_cast<int>(rng.below(n));
  while (j == i) j = static_cast<int>(rng.below(n));
  if (i > j) std::swap(i, j);
  switch (rng.below(5)) {
    case 0:  // two-opt: reverse p[i..j]
      std::reverse(p.begin() + i, p.begin() + j + 1);
      break;
    case 1: {  // insert: move p[i] to position j
      const int v = p[i];
      p.erase(p.begin() + i);
      p.insert(p.begin() + j, v);
      break;
    }
    case 2:
      std::swap(p[i], p[j]);
      break;
    default: {  // insert a route (3) or a reversed route (4): move p[i..j] elsewhere
      const bool reversed = rng.below(2) == 1;
      std::vector<int> seg(p.begin() + i, p.begin() + j + 1);
      if (reversed) std::reverse(seg.begin(), seg.end());
      p.erase(p.begin() + i, p.begin() + j + 1);
      const int at = static_cast<int>(rng.below(p.size() + 1));
      p.insert(p.begin() + at, seg.begin(), seg.end());
      break;
    }
  }
}

void remember(std::vector<AnnealedGrid>& best, const NodeGrid& g, double obj, int keep) {
  for (const auto& b : best)
    if (b.grid.nodes == g.nodes) return;
  if (static_cast<int>(best.size()) == keep && obj >= best.back().objective) return;
  auto pos = std::upper_bound(best.begin(), best.end(), obj,
                              [](double o, const AnnealedGrid& b) { return o < b.objective; });
  best.insert(pos, {g, obj});
  if (static_cast<int>(best.size()) > keep) best.pop_back();
}

}  // namespace

std::vector<AnnealedGrid> anneal(const NodeGrid& start, const std::function<double(const NodeGrid&)>& objective,
                                 const AnnealingOptions& o) {
  std::vector<AnnealedGrid> best;
  NodeGrid cur = start;
  double cur_obj = objective(cur);
  remember(best, cur, cur_obj, o.keep);
  if (cur.nodes.size() < 2) return best;
  Rng rng = Rng(o.seed).fork("pipette-annealing");
  double temp = o.t0;
  NodeGrid next = cur;
  for (int it = 0; it < o.iterations; ++it, temp *= o.cooling) {
    if (o.reheat_every > 0 && it > 0 && it % o.reheat_every == 0) {
      temp = o.t0;
      cur = best.front().grid;
      cur_obj = best.front().objective;
    }
    next.nodes = cur.nodes;
    random_move(next.nodes, rng);
    const double obj = objective(next);
    const double delta = obj - cur_obj;
    bool accept = delta <= 0;
    if (!accept) {
      const double scaled = delta / std::pow(10.0, std::floor(std::log10(delta)) + 1);
      accept = rng.uniform01() < std::exp(-scaled / temp);
    }
    if (accept) {
      std::swap(cur.nodes, next.nodes);
      cur_obj = obj;
      remember(best, cur, cur_obj, o.keep);
    }
  }
  return best;
}

}  // namespace trainsim::configurator
