#pragma once
// Simulated annealing over node placements: Pipette's assignment search (DATE'24, its released
// mh_simulated_annealing_opt.py as quoted in docs/pipette.md) and, with another schedule, the
// oracle's simulation-guided placement search.
#include <cstdint>
#include <functional>
#include <vector>

#include "configurator/node_grid.hpp"
#include "core/random.hpp"

namespace trainsim::configurator {

// How a worse objective (delta > 0, both in seconds) is scaled before exp(-scaled / T).
using UphillScale = std::function<double(double delta, double current)>;

// Pipette's scale: the objective in milliseconds, delta' = delta_ms / 10^(int(log10 delta_ms) + 1)
// with Python's int() (truncation toward zero). delta' is in [0.1, 1) for delta >= 1 ms but in
// [0.01, 0.1) for 0.1 ms <= delta < 1 ms: sub-millisecond steps are accepted more easily.
double pipette_uphill(double delta, double current);
// The oracle's scale: delta relative to the current objective.
double relative_uphill(double delta, double current);

struct AnnealingOptions {
  int iterations = 20000;  // moves evaluated (Pipette stops on a 10 s wall clock instead)
  uint64_t seed = 1;
  double t0 = 1, cooling = 0.999;  // T <- cooling * T per move (Pipette's values)
  int keep = 3;                    // best (and worst) distinct grids kept (Pipette keeps 3 of each)
  // Every `reheat_every` moves T returns to t0 and the walk restarts from the best state.
  // 0 (Pipette's schedule): never.
  int reheat_every = 0;
  UphillScale uphill = pipette_uphill;
};

struct AnnealedGrid {
  NodeGrid grid;
  double objective = 0;
};

// The moves, on the flat permutation (row-major grid). Pipette's: reversal of [i, j) (two-opt,
// j exclusive as in its slice), insertion of p[from] at position `to` (either direction), swap,
// insertion of the route p[i..j] at position `at` of what remains, and of the reversed route.
void reverse_segment(std::vector<int>& p, int i, int j);
void insert_element(std::vector<int>& p, int from, int to);
void insert_route(std::vector<int>& p, int i, int j, int at, bool reversed);
// One of the five moves, each equally likely, with a != b drawn uniformly, i = min, j = max
// (the released code's draws are not stated). `p` has size >= 2.
void random_move(std::vector<int>& p, Rng& rng);

// One annealing walk, stepped by the caller so that several walks can share batched
// objective evaluations (the oracle simulates a batch of candidates in parallel children):
//   while (chain.running()) chain.feedback(objective(chain.propose()));
class AnnealingChain {
 public:
  AnnealingChain(const NodeGrid& start, double start_objective, const AnnealingOptions& options);
  bool running() const { return step_ < options_.iterations && cur_.nodes.size() >= 2; }
  // The next candidate: a random move from the current state.
  const NodeGrid& propose();
  // The objective of the last proposed candidate: accepted if not worse, else with probability
  // exp(-uphill(delta, current) / T).
  void feedback(double objective);
  // Up to `keep` best distinct grids seen (start and accepted states), best first.
  const std::vector<AnnealedGrid>& best() const { return best_; }
  // Up to `keep` worst distinct grids evaluated, worst first.
  const std::vector<AnnealedGrid>& worst() const { return worst_; }

 private:
  AnnealingOptions options_;
  Rng rng_;
  NodeGrid cur_, next_;
  double cur_obj_ = 0, temp_ = 1;
  int step_ = 0;
  std::vector<AnnealedGrid> best_, worst_;
};

// Runs one chain to its end with a synchronous objective.
struct AnnealingResult {
  std::vector<AnnealedGrid> best, worst;
};
AnnealingResult anneal(const NodeGrid& start, const std::function<double(const NodeGrid&)>& objective,
                       const AnnealingOptions& options);

// A seeded random placement of the units (Fisher-Yates over the portable Rng): Pipette's start.
NodeGrid random_grid(int units, int pp, Rng& rng, int units_per_node = 1);

}  // namespace trainsim::configurator
