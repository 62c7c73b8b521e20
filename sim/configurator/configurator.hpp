#pragma once
// The configurators: each turns (model, global batch, cluster shape, bandwidth matrix) into
// configurations ranked by its own prediction. docs/pipette.md describes every method.
//
// This library holds model code only. What needs the training simulator (per-stage compute
// times, the memory estimator, simulated runs) comes in as functions, so the library does
// not link against the simulator; configurator/training_bridge.hpp builds them.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "configurator/bandwidth.hpp"
#include "configurator/node_grid.hpp"
#include "configurator/search_space.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::configurator {

enum class Method { Pipette, PipetteCorrected, Amp, Megatron, Random, Oracle };
const std::vector<std::pair<std::string, Method>>& method_names();
std::string method_name(Method m);
std::optional<Method> parse_method(const std::string& name);

// What the compute and memory models say about one configuration.
struct StageEstimate {
  double t_f = 0, t_b = 0;     // seconds per micro-batch on the slowest stage (TP communication in)
  double stage_params = 0;     // parameters held by one GPU of the largest stage
  double memory = 0;           // bytes, largest stage's estimate
};
using CostFn = std::function<StageEstimate(const ConfigPoint&)>;

struct ConfigureInput {
  workload::ModelSpec model;
  int global_batch = 1;
  int nodes = 1, gpus_per_node = 8;
  NodeBandwidth bandwidth;
  CostFn costs;
  double memory_limit = 0;  // bytes per GPU a configuration may use
};

struct ConfigureOptions {
  int iterations = 20000;  // annealing budget per configuration
  uint64_t seed = 1;
};

struct Recommendation {
  Method method = Method::Pipette;
  ConfigPoint config;
  NodeGrid grid;
  bool default_order = false;  // Megatron rank order (no explicit mapping needed)
  double predicted = 0;        // seconds per iteration by the method's own model; NaN if it has none
  double memory = 0;           // bytes, estimator's largest stage
  bool fits = true;            // memory <= limit
};

// Ranked configurations of `method` (best first). Pipette, its corrected variant and the
// random mapping drop configurations that do not fit; AMP has no memory model and keeps them
// (`fits` says which would fail); Megatron's heuristic orders by preference, fitting first.
// The oracle is rank_by_simulation() over the corrected variant's candidates.
std::vector<Recommendation> configure(Method method, const ConfigureInput& in, const ConfigureOptions& opt);

// Simulated seconds per iteration of each recommendation (NaN when the run failed) and
// whether the simulated run reports out-of-memory stages.
struct SimulatedRun {
  double seconds = 0;
  bool oom = false;
};
using SimulateFn = std::function<std::vector<SimulatedRun>(const std::vector<Recommendation>&)>;

// The oracle: the corrected Pipette candidates (every feasible configuration, or the
// `limit` best by that model when limit > 0), each simulated with its annealed placement and
// with Megatron's rank order; ranked by simulated time (predicted = simulated).
std::vector<Recommendation> oracle(const ConfigureInput& in, const ConfigureOptions& opt, int limit,
                                   const SimulateFn& simulate);

// Explicit GPU of each Megatron rank for a recommendation (empty for the default order).
std::vector<int> recommendation_mapping(const Recommendation& r, int gpus_per_node);

}  // namespace trainsim::configurator
