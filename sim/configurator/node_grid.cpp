#include "configurator/node_grid.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace trainsim::configurator {

NodeGrid megatron_grid(int units, int pp, int units_per_node) {
  if (pp < 1 || units % pp != 0) throw InternalError("megatron_grid: pp must divide the unit count");
  if (units_per_node < 1 || units % units_per_node != 0)
    throw InternalError("megatron_grid: the units must fill whole nodes");
  NodeGrid g{pp, units / pp, std::vector<int>(units), units_per_node};
  for (int r = 0; r < g.rows; ++r)
    for (int s = 0; s < pp; ++s) g.nodes[static_cast<size_t>(r) * pp + s] = s * g.rows + r;
  return g;
}

std::vector<int> grid_to_mapping(const NodeGrid& grid, int tp, int gpus_per_node) {
  if (grid.units_per_node < 1 || gpus_per_node % grid.units_per_node != 0)
    throw InternalError("grid_to_mapping: the units must split the node evenly");
  const int unit_gpus = gpus_per_node / grid.units_per_node;
  if (tp < 1 || unit_gpus % tp != 0) throw InternalError("grid_to_mapping: tp must divide the unit size");
  const int d_in = unit_gpus / tp, dp = grid.rows * d_in;
  std::vector<int> mapping(static_cast<size_t>(tp) * dp * grid.pp);
  for (int s = 0; s < grid.pp; ++s)
    for (int d = 0; d < dp; ++d)
      for (int t = 0; t < tp; ++t) {
        const int rank = t + tp * (d + dp * s);  // parallel/layout.hpp
        const int unit = grid.at(d / d_in, s), local = (d % d_in) * tp + t;
        mapping[rank] = unit * unit_gpus + local;
      }
  return mapping;
}

std::string grid_text(const NodeGrid& grid) {
  std::string s;
  for (int r = 0; r < grid.rows; ++r) {
    if (r) s += " | ";
    for (int st = 0; st < grid.pp; ++st) {
      if (st) s += ' ';
      const int unit = grid.at(r, st);
      s += 'n';
      s += std::to_string(grid.node_of(unit));
      if (grid.units_per_node > 1) s += '.' + std::to_string(unit % grid.units_per_node);
    }
  }
  return s;
}

NodeGrid canonical_grid(const NodeGrid& grid) {
  const auto smallest = std::min_element(grid.nodes.begin(), grid.nodes.end());
  const int row = static_cast<int>(smallest - grid.nodes.begin()) / grid.pp;
  NodeGrid out = grid;
  std::rotate(out.nodes.begin(), out.nodes.begin() + static_cast<long>(row) * grid.pp, out.nodes.end());
  return out;
}

long long placement_classes(int units, int pp, long long cap) {
  // In doubles: exact while below 2^53, and the loop stops once the count passes `cap`.
  const double rows = units / pp;
  double n = 1;
  for (int k = 2; k <= units; ++k) {
    n *= k;
    if (n / rows >= static_cast<double>(cap)) return cap;
  }
  return static_cast<long long>(n / rows);
}

std::vector<NodeGrid> all_placements(int units, int pp, int units_per_node) {
  std::vector<NodeGrid> out;
  NodeGrid g = megatron_grid(units, pp, units_per_node);
  std::sort(g.nodes.begin(), g.nodes.end());
  // Canonical grids are those whose first row holds node 0.
  do
    if (std::find(g.nodes.begin(), g.nodes.begin() + pp, 0) != g.nodes.begin() + pp) out.push_back(g);
  while (std::next_permutation(g.nodes.begin(), g.nodes.end()));
  return out;
}

}  // namespace trainsim::configurator
