#pragma once
// Pipette's search space: pp over the divisors of both the node count and the layer count
// (every stage holds whole nodes), tp in {1, 2, 4, 8} within a node (and dividing the heads),
// micro-batch in {1, 2, 4, 8} dividing the per-replica batch; dp = GPUs / (pp tp).
#include <string>
#include <vector>

#include "workload/model_spec.hpp"

namespace trainsim::configurator {

struct ConfigPoint {
  int pp = 1, tp = 1, dp = 1, micro_batch = 1;
  int d_in = 1, d_out = 1;  // data-parallel replicas inside a node / across node rows
  int micro_batches = 1;    // m = global batch / (dp * micro_batch), per pipeline
  bool operator==(const ConfigPoint& o) const {
    return pp == o.pp && tp == o.tp && dp == o.dp && micro_batch == o.micro_batch;
  }
};

std::vector<ConfigPoint> search_space(const workload::ModelSpec& model, int global_batch, int nodes,
                                      int gpus_per_node);

// "pp4 tp8 dp4 mb1"
std::string config_text(const ConfigPoint& c);

}  // namespace trainsim::configurator
