#pragma once
// How Megatron-LM users choose a configuration without a configurator: the guidance of
// Narayanan et al., "Efficient Large-Scale Language Model Training on GPU Clusters Using
// Megatron-LM" (SC'21), section 3 (docs/pipette.md, "Megatron's rule"):
//   takeaway 1: tensor parallelism up to the GPUs of a server (g);
//   takeaway 2: the smallest model-parallel size t x p whose model fits in GPU memory, data
//               parallelism over the rest;
//   takeaway 3 / eq. (section 3.4): the micro-batch b minimising (b'/b + p - 1)(t_f(b) + t_b(b)),
//               b' = B/d, with t_f, t_b measured for one micro-batch on one stage.
// `MicroBatch::One` keeps micro-batch 1 (trainsim's earlier rule, shown beside it).
#include <vector>

#include "configurator/search_space.hpp"

namespace trainsim::configurator {

enum class MicroBatchRule { Eq3_4, One };

struct RuleCandidate {
  ConfigPoint config;
  bool fits = true;
  double t_f = 0, t_b = 0;  // one micro-batch on the slowest stage
  double memory = 0;        // bytes, the estimator's largest stage
};

// (m + pp - 1)(t_f + t_b): the section 3.4 cost of a micro-batch size (m = b'/b).
double megatron_microbatch_cost(const RuleCandidate& c);

// The candidates in the order the rule prefers them (the pick first): fitting before not
// fitting, then the largest tp, the fewest pipeline stages, and the micro-batch by `rule`.
// Stable: equal candidates keep their input order.
std::vector<RuleCandidate> megatron_order(std::vector<RuleCandidate> candidates, MicroBatchRule rule);

}  // namespace trainsim::configurator
