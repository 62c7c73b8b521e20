#pragma once
// The oracle: what the simulator itself says is the fastest configuration and placement
// (docs/pipette.md, "Oracle"). Every configuration of the search space that fits in memory by
// the simulator's estimate is simulated under Megatron's order and under every placement a
// model method proposed for it; the configurations within `margin` of the best are then
// placement-searched with the simulator as the objective: exhaustively over the node
// permutations modulo row rotation where they fit the budget, else by a seeded annealing with
// that budget of moves. Configurations over the memory limit are reported, not dropped.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "configurator/configurator.hpp"

namespace trainsim::configurator {

using Progress = std::function<void(size_t done, size_t total)>;

// Simulated seconds per iteration (NaN when the run failed) and whether the simulated run
// reports stages over the GPU's memory.
struct SimulatedRun {
  double seconds = 0;
  bool oom = false;
};
using SimulateFn = std::function<std::vector<SimulatedRun>(const std::vector<Recommendation>&, const Progress&)>;
// Runs of independent chains (the oracle's annealing walks: each walk's next move depends on its
// own results only); `chains[i]` is the chain of recs[i]. One shard of a sharded compare
// (scaleout/runs.hpp) simulates only its own walks' runs and leaves the others without a result:
// those walks stop there, and go on in their own shard.
using ChainSimulateFn = std::function<std::vector<std::optional<SimulatedRun>>(
    const std::vector<Recommendation>&, const std::vector<size_t>&, const Progress&)>;

// Simulated runs by placement_key(): a placement is simulated once per session, whichever
// method or search step asks for it.
class SimulationCache {
 public:
  // Without `chains`, chain runs are simulated like any batch.
  explicit SimulationCache(SimulateFn simulate, ChainSimulateFn chains = {})
      : simulate_(std::move(simulate)), chains_(std::move(chains)) {}
  // Simulates, in one batch, the placements of `recs` not simulated yet. The simulate function
  // is called even when none is left: a sharded search counts every batch as a round.
  void ensure(const std::vector<Recommendation>& recs, const Progress& progress = {});
  // The same for runs of independent chains (ChainSimulateFn): a run left to another shard
  // has no result afterwards (find() is null).
  void ensure_chains(const std::vector<Recommendation>& recs, const std::vector<size_t>& chains,
                     const Progress& progress = {});
  const SimulatedRun* find(const Recommendation& r) const;
  const SimulatedRun& at(const Recommendation& r) const;  // InternalError if never simulated
  size_t size() const { return runs_.size(); }

 private:
  SimulateFn simulate_;
  ChainSimulateFn chains_;
  std::map<std::string, SimulatedRun> runs_;
};

struct OracleOptions {
  int budget = 64;       // placements evaluated per searched configuration
  double margin = 0.05;  // configurations within this fraction of the best are searched
  uint64_t seed = 1;
  // The space it simulates: stages smaller than a node included (SubNode), or whole nodes only
  // (bench/pipette_deviations.cpp, to compare its budgeted search with every node permutation).
  Stages stages = Stages::SubNode;
};

enum class SearchKind { Proposals, Exhaustive, Annealing, OutOfMemory };
std::string search_kind_name(SearchKind k);  // "proposals", "exhaustive", "annealing", "out of memory"

// What the oracle did for one configuration of the search space.
struct ConfigSearch {
  ConfigPoint config;
  SearchKind kind = SearchKind::Proposals;
  long long classes = 0;  // placements modulo row rotation (saturated at 1e15); 0 if not searched
  int evaluated = 0;      // distinct placements simulated for it
  double memory = 0;      // bytes, the simulator's estimate (largest stage)
  Recommendation best;    // fastest placement found; predicted = its simulated seconds
};

struct OracleResult {
  std::vector<Recommendation> ranked;  // best placement of each feasible configuration, fastest first
  std::vector<ConfigSearch> searches;  // every configuration of the space, search-space order
};

// `proposals`: every model method's recommendations (configure() for model_methods()).
OracleResult oracle(const ConfigureInput& in, const OracleOptions& options,
                    const std::vector<Recommendation>& proposals, SimulationCache& cache,
                    const Progress& progress = {});

}  // namespace trainsim::configurator
