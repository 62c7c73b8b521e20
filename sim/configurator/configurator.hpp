#pragma once
// The configurators: each turns (model, global batch, cluster shape, bandwidth matrix) into
// configurations ranked by its own prediction. docs/pipette.md describes every method.
//
// This library holds model code only. What needs the training simulator (per-stage compute
// times, the memory estimator, simulated runs) comes in as functions, so the model code can be
// tested against hand computations; configurator/training_bridge.hpp builds them.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "configurator/amp_model.hpp"
#include "configurator/annealing.hpp"
#include "configurator/bandwidth.hpp"
#include "configurator/node_grid.hpp"
#include "configurator/pipette_model.hpp"
#include "configurator/search_space.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::configurator {

enum class Method { Pipette, PipetteCorrected, Amp, AmpCorrected, Megatron, MegatronMb1, Random, Oracle };
const std::vector<std::pair<std::string, Method>>& method_names();
std::string method_name(Method m);
std::optional<Method> parse_method(const std::string& name);
// The methods that rank by a model (no simulation): every method but the oracle.
std::vector<Method> model_methods();

// What the compute and memory models say about one configuration and layer split.
struct StageEstimate {
  double t_f = 0, t_b = 0;     // seconds per micro-batch on the slowest stage (TP communication in)
  double stage_params = 0;     // parameters held by one GPU of the largest stage
  double memory = 0;           // bytes, largest stage's estimate (the simulator's estimator)
  AmpLayerCosts layer_fwd;     // forward per layer type (AMP's per-layer profile)
};
// `layers_per_stage` empty: the even split.
using CostFn = std::function<StageEstimate(const ConfigPoint&, const std::vector<int>& layers_per_stage)>;

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
  std::vector<int> layers_per_stage;  // empty: even split
  double predicted = 0;  // seconds per iteration by the method's own model; NaN if it has none
  double memory = 0;     // bytes, estimator's largest stage
  bool fits = true;      // memory <= limit

  // Megatron's rank order (the written scenario needs no explicit mapping).
  bool default_order() const;
};

// "pp4 tp8 dp4 mb1 @ n0 n2 | n1 n3" plus the layer split when uneven: identifies what a
// simulation of the recommendation runs. The grid as it is: a rotation of its rows simulates the
// same time (tested), but the time reported for a recommendation is that of its own mapping.
std::string placement_key(const Recommendation& r);
// The mapping column of the tables: "default" or the grid, and the split when uneven.
std::string mapping_text(const Recommendation& r);
// The same cut to `max_chars` (" ..." at the end) for terminal tables: a sub-node placement of
// 128 GPUs names every unit; the CSV files keep the whole text.
std::string mapping_text(const Recommendation& r, size_t max_chars);

// The search space (search_space.hpp) less the configurations the simulator cannot run: those
// for which the compute model refuses a shard (its InputError decides, so the rules live once,
// in workload/). Every method and the oracle draw from it: `pipette` and `random` with whole-node
// stages (Pipette's released placement), every other method and the oracle with sub-node ones.
std::vector<ConfigPoint> runnable_space(const ConfigureInput& in, Stages stages);

// Ranked configurations of a model method (best first). Pipette, its corrected variant and the
// random mapping drop configurations that do not fit; AMP has no memory model and keeps them
// (`fits` says which would fail); Megatron's rules order by preference, fitting first.
std::vector<Recommendation> configure(Method method, const ConfigureInput& in, const ConfigureOptions& opt);

// Pipette's search under explicit rules: configure() runs it with PipetteRules::released() for
// `pipette`, corrected() for `pipette-corrected`, and without the annealing for `random`; the
// deviations measurement (bench/pipette_deviations.cpp) varies one rule at a time.
struct PipetteSearch {
  PipetteRules rules = PipetteRules::released();
  bool anneal = true;          // false: a seeded random placement instead of the annealing
  bool memory_filter = true;   // drop configurations whose estimate exceeds in.memory_limit
  Stages stages = Stages::WholeNodes;  // SubNode: also stages smaller than a node (pipette-corrected)
};
std::vector<Recommendation> pipette_configure(const ConfigureInput& in, const ConfigureOptions& opt,
                                              const PipetteSearch& search, Method label);
// The model's inputs for one configuration, and the annealing pipette_configure() runs for it
// (random start and seed per configuration; kept best and worst mappings).
PipetteTerms pipette_terms(const ConfigureInput& in, const ConfigPoint& c, const PipetteRules& rules);
AnnealingResult pipette_anneal(const ConfigureInput& in, const ConfigureOptions& opt, const PipetteRules& rules,
                               const ConfigPoint& c);

// Explicit GPU of each Megatron rank for a recommendation (empty for the default order).
std::vector<int> recommendation_mapping(const Recommendation& r, int gpus_per_node);

}  // namespace trainsim::configurator
