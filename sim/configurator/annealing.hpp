#pragma once
// Pipette's simulated-annealing node assignment, with an iteration budget instead of the
// published 10 s wall-clock limit so that a seed gives the same answer on every machine.
#include <cstdint>
#include <functional>
#include <vector>

#include "configurator/node_grid.hpp"

namespace trainsim::configurator {

struct AnnealingOptions {
  int iterations = 20000;
  uint64_t seed = 1;
  double t0 = 1, cooling = 0.999;  // T <- cooling * T per iteration (Pipette's values)
  int keep = 3;                    // best distinct mappings kept (Pipette keeps 3)
  // Every `reheat_every` iterations T returns to t0 and the walk restarts from the best state.
  // Pipette's wall-clock budget runs long past the point where T is negligible
  // (0.999^5000 < 1%), i.e. mostly pure descent stuck in one local minimum; reheating spends
  // the same budget on several searches. 0 disables it (the published schedule).
  int reheat_every = 5000;
};

struct AnnealedGrid {
  NodeGrid grid;
  double objective = 0;
};

// Minimises `objective` over permutations of `start.nodes` (same shape). Moves on the flat
// permutation: reverse a segment (two-opt), move one node (insert), swap two nodes, move a
// segment (insert a route), move a reversed segment. A worse state is accepted with
// probability exp(-delta'/T), delta' = delta / 10^(floor(log10 delta) + 1) (Pipette's
// normalisation into [0.1, 1)). Returns up to `keep` best distinct grids, best first; `start`
// is among the candidates, so the result is never worse than it.
std::vector<AnnealedGrid> anneal(const NodeGrid& start, const std::function<double(const NodeGrid&)>& objective,
                                 const AnnealingOptions& options);

}  // namespace trainsim::configurator
