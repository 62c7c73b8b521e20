#include "configurator/annealing.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim::configurator {

double pipette_uphill(double delta, double) {
  const double ms = delta * 1e3;
  const double e = std::trunc(std::log10(ms));  // Python's int(): toward zero
  return ms / std::pow(10.0, e + 1);
}

double relative_uphill(double delta, double current) { return current > 0 ? delta / current : delta; }

void reverse_segment(std::vector<int>& p, int i, int j) { std::reverse(p.begin() + i, p.begin() + j); }

void insert_element(std::vector<int>& p, int from, int to) {
  const int v = p[from];
  p.erase(p.begin() + from);
  p.insert(p.begin() + to, v);
}

void insert_route(std::vector<int>& p, int i, int j, int at, bool reversed) {
  std::vector<int> seg(p.begin() + i, p.begin() + j + 1);
  if (reversed) std::reverse(seg.begin(), seg.end());
  p.erase(p.begin() + i, p.begin() + j + 1);
  p.insert(p.begin() + at, seg.begin(), seg.end());
}

void random_move(std::vector<int>& p, Rng& rng) {
  const int n = static_cast<int>(p.size());
  const int a = static_cast<int>(rng.below(n));
  int b = static_cast<int>(rng.below(n - 1));
  if (b >= a) ++b;  // b != a, uniform
  const int i = std::min(a, b), j = std::max(a, b);
  const uint64_t move = rng.below(5);
  switch (move) {
    case 0: reverse_segment(p, i, j); break;
    case 1: insert_element(p, a, b); break;
    case 2: std::swap(p[i], p[j]); break;
    default:  // 3: a route, 4: a reversed route, to a random place of the rest
      insert_route(p, i, j, static_cast<int>(rng.below(n - (j - i + 1) + 1)), move == 4);
      break;
  }
}

namespace {

// Keeps the `keep` distinct grids of lowest (better = true) or highest objective, in order.
void remember(std::vector<AnnealedGrid>& kept, const NodeGrid& g, double obj, int keep, bool lowest) {
  for (const auto& k : kept)
    if (k.grid.nodes == g.nodes) return;
  auto before = [lowest](double a, double b) { return lowest ? a < b : a > b; };
  if (static_cast<int>(kept.size()) == keep && !before(obj, kept.back().objective)) return;
  auto pos = std::upper_bound(kept.begin(), kept.end(), obj,
                              [&](double o, const AnnealedGrid& k) { return before(o, k.objective); });
  kept.insert(pos, {g, obj});
  if (static_cast<int>(kept.size()) > keep) kept.pop_back();
}

}  // namespace

AnnealingChain::AnnealingChain(const NodeGrid& start, double start_objective, const AnnealingOptions& options)
    : options_(options), rng_(Rng(options.seed).fork("annealing")), cur_(start), next_(start),
      cur_obj_(start_objective), temp_(options.t0) {
  remember(best_, cur_, cur_obj_, options_.keep, true);
  remember(worst_, cur_, cur_obj_, options_.keep, false);
}

const NodeGrid& AnnealingChain::propose() {
  if (options_.reheat_every > 0 && step_ > 0 && step_ % options_.reheat_every == 0) {
    temp_ = options_.t0;
    cur_ = best_.front().grid;
    cur_obj_ = best_.front().objective;
  }
  next_.nodes = cur_.nodes;
  random_move(next_.nodes, rng_);
  return next_;
}

void AnnealingChain::feedback(double obj) {
  remember(worst_, next_, obj, options_.keep, false);
  const double delta = obj - cur_obj_;
  bool accept = delta <= 0;
  if (!accept) accept = rng_.uniform01() < std::exp(-options_.uphill(delta, cur_obj_) / temp_);
  if (accept) {
    std::swap(cur_.nodes, next_.nodes);
    cur_obj_ = obj;
    remember(best_, cur_, cur_obj_, options_.keep, true);
  }
  temp_ *= options_.cooling;
  ++step_;
}

AnnealingResult anneal(const NodeGrid& start, const std::function<double(const NodeGrid&)>& objective,
                       const AnnealingOptions& options) {
  AnnealingChain chain(start, objective(start), options);
  while (chain.running()) chain.feedback(objective(chain.propose()));
  return {chain.best(), chain.worst()};
}

NodeGrid random_grid(int units, int pp, Rng& rng, int units_per_node) {
  NodeGrid g = megatron_grid(units, pp, units_per_node);
  for (int i = units - 1; i > 0; --i) std::swap(g.nodes[i], g.nodes[rng.below(i + 1)]);
  return g;
}

}  // namespace trainsim::configurator
