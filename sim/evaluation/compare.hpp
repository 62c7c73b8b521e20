#pragma once
// `trainsim compare`'s evaluation as library code (docs/pipette.md, "compare output"): each
// configurator's rankings held against the simulator and its oracle — the error of its pick,
// its speed-up over Megatron's rule, the gain of its mapping, the rank correlation of its
// predicted and simulated times — and the tables written from them. Callable from tests and
// benches; the command only reads options and prints.
#include <cstdint>
#include <functional>
#include <vector>

#include "configurator/configurator.hpp"
#include "configurator/oracle.hpp"
#include "configurator/rank_correlation.hpp"
#include "output/trace.hpp"

namespace trainsim::evaluation {

using configurator::Method;
using configurator::Recommendation;

// A pick as Megatron's rank order would place it (the same configuration and split, the default
// node grid): what its mapping gains over the default.
Recommendation in_default_order(const Recommendation& r);

// A method's ranking (the oracle's too): the runs compare needs simulated.
using RankingOf = std::function<std::vector<Recommendation>(Method)>;

// Megatron's pick, then for each method its top `top` (out-of-memory ones too) and its pick in
// Megatron's order: everything compare_methods reads from the cache beyond the feasible space.
std::vector<Recommendation> runs_to_compare(const Recommendation& megatron_pick, const std::vector<Method>& methods,
                                            const RankingOf& ranking_of, int top);

// One of a method's top K.
struct Candidate {
  Recommendation rec;
  double simulated = 0;       // seconds (NaN: the child failed)
  double simulated_rank = 0;  // average rank of `simulated` within the top K
  bool oom = false;           // the simulator's memory check refused it
};

struct MethodComparison {
  Method method = Method::Pipette;
  std::vector<Candidate> top;                // in the method's order; empty: nothing fits
  configurator::RankAgreement agreement;     // over the feasible space the method ranks (oracle: n only)
  // Of its pick (top.front()); NaN when it has none.
  double error = 0;                 // (predicted - simulated) / simulated
  double speedup_vs_megatron = 0;   // Megatron's pick's simulated seconds / the pick's
  double default_order_s = 0;       // the pick under Megatron's rank order, simulated
  double mapping_gain = 0;          // default_order_s / the pick's simulated seconds
};

struct Comparison {
  double megatron_s = 0;  // Megatron's rule, simulated
  std::vector<MethodComparison> methods;
  // The written tables: `candidates` (each method's top K), `methods` (one row per method),
  // `space` (every configuration each method ranks that fits, the oracle's out-of-memory ones too).
  output::Table candidates, methods_table, space;
};

// Every method of `methods` against the cache's simulated runs (runs_to_compare and the
// feasible space must be in it). `seed`: the bootstrap of the rank correlations.
Comparison compare_methods(const std::vector<Method>& methods, const RankingOf& ranking_of,
                           const configurator::OracleResult& oracle, const configurator::SimulationCache& cache,
                           const Recommendation& megatron_pick, int top, uint64_t seed);

}  // namespace trainsim::evaluation
