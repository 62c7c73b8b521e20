#include "configurator/search_space.hpp"

namespace trainsim::configurator {

std::vector<ConfigPoint> search_space(const workload::ModelSpec& model, int global_batch, int nodes,
                                      int gpus_per_node, Stages stages) {
  std::vector<ConfigPoint> out;
  const int gpus = nodes * gpus_per_node;
  const int max_pp = stages == Stages::WholeNodes ? nodes : gpus;
  for (int pp = 1; pp <= max_pp; ++pp) {
    if ((stages == Stages::WholeNodes ? nodes : gpus) % pp != 0 || model.layers % pp != 0) continue;
    for (int tp : {1, 2, 4, 8}) {
      if (tp > gpus_per_node || gpus_per_node % tp != 0 || model.heads % tp != 0) continue;
      if (model.kv_heads % tp != 0 && tp % model.kv_heads != 0) continue;
      if (gpus % (pp * tp) != 0) continue;
      const int dp = gpus / (pp * tp);
      if (global_batch % dp != 0) continue;
      for (int mb : {1, 2, 4, 8}) {
        if ((global_batch / dp) % mb != 0) continue;
        ConfigPoint c;
        c.pp = pp, c.tp = tp, c.dp = dp, c.micro_batch = mb;
        if (nodes % pp == 0) {
          c.d_in = gpus_per_node / tp, c.d_out = nodes / pp;
        } else {  // stages smaller than a node (or straddling two): units of tp GPUs
          c.units_per_node = gpus_per_node / tp;
          c.d_in = 1, c.d_out = dp;
        }
        c.micro_batches = global_batch / (dp * mb);
        out.push_back(c);
      }
    }
  }
  return out;
}

NodeGrid default_grid(const ConfigPoint& c, int nodes) {
  return megatron_grid(nodes * c.units_per_node, c.pp, c.units_per_node);
}

std::string config_text(const ConfigPoint& c) {
  return "pp" + std::to_string(c.pp) + " tp" + std::to_string(c.tp) + " dp" + std::to_string(c.dp) + " mb" +
         std::to_string(c.micro_batch);
}

}  // namespace trainsim::configurator
