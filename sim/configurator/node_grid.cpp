#include "configurator/node_grid.hpp"

#include "core/error.hpp"

namespace trainsim::configurator {

NodeGrid megatron_grid(int nodes, int pp) {
  if (pp < 1 || nodes % pp != 0) throw InternalError("megatron_grid: pp must divide the node count");
  NodeGrid g{pp, nodes / pp, std::vector<int>(nodes)};
  for (int r = 0; r < g.rows; ++r)
    for (int s = 0; s < pp; ++s) g.nodes[static_cast<size_t>(r) * pp + s] = s * g.rows + r;
  return g;
}

std::vector<int> grid_to_mapping(const NodeGrid& grid, int tp, int gpus_per_node) {
  if (tp < 1 || gpus_per_node % tp != 0) throw InternalError("grid_to_mapping: tp must divide the node size");
  const int d_in = gpus_per_node / tp, dp = grid.rows * d_in;
  std::vector<int> mapping(static_cast<size_t>(tp) * dp * grid.pp);
  for (int s = 0; s < grid.pp; ++s)
    for (int d = 0; d < dp; ++d)
      for (int t = 0; t < tp; ++t) {
        const int rank = t + tp * (d + dp * s);  // parallel/layout.hpp
        const int node = grid.at(d / d_in, s), local = (d % d_in) * tp + t;
        mapping[rank] = node * gpus_per_node + local;
      }
  return mapping;
}

std::string grid_text(const NodeGrid& grid) {
  std::string s;
  for (int r = 0; r < grid.rows; ++r) {
    if (r) s += " | ";
    for (int st = 0; st < grid.pp; ++st) {
      if (st) s += ' ';
      s += 'n';
      s += std::to_string(grid.at(r, st));
    }
  }
  return s;
}

}  // namespace trainsim::configurator
