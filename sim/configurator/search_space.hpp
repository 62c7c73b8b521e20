#pragma once
// The configurators' search space: tp in {1, 2, 4, 8} within a node (and dividing the heads),
// micro-batch in {1, 2, 4, 8} dividing the per-replica batch, dp = GPUs / (pp tp), pp dividing
// the layer count and
//   - Stages::WholeNodes: the node count (every stage holds whole nodes: Pipette's released v3,
//     whose placement is a node permutation read as (nodes/pp) x pp);
//   - Stages::SubNode: the GPU count (AMP's enumeration: stages may be smaller than a node, so
//     several stages share one; placed in units of tp GPUs when pp does not divide the nodes).
#include <string>
#include <vector>

#include "configurator/node_grid.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::configurator {

struct ConfigPoint {
  int pp = 1, tp = 1, dp = 1, micro_batch = 1;
  int d_in = 1, d_out = 1;  // data-parallel replicas inside a placement unit / across unit rows
  int micro_batches = 1;    // m = global batch / (dp * micro_batch), per pipeline
  // Placement units per node: 1 when every stage holds whole nodes, gpus_per_node / tp when the
  // stages are smaller than a node (node_grid.hpp).
  int units_per_node = 1;
  bool sub_node() const { return units_per_node > 1; }
  bool operator==(const ConfigPoint& o) const {
    return pp == o.pp && tp == o.tp && dp == o.dp && micro_batch == o.micro_batch;
  }
};

enum class Stages { WholeNodes, SubNode };

std::vector<ConfigPoint> search_space(const workload::ModelSpec& model, int global_batch, int nodes,
                                      int gpus_per_node, Stages stages = Stages::SubNode);

// Megatron's order for the configuration on `nodes` nodes, at its placement granularity.
NodeGrid default_grid(const ConfigPoint& c, int nodes);

// "pp4 tp8 dp4 mb1"
std::string config_text(const ConfigPoint& c);

}  // namespace trainsim::configurator
