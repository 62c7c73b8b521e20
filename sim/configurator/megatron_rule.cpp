#include "configurator/megatron_rule.hpp"

#include <algorithm>

namespace trainsim::configurator {

double megatron_microbatch_cost(const RuleCandidate& c) {
  return (c.config.micro_batches + c.config.pp - 1) * (c.t_f + c.t_b);
}

std::vector<RuleCandidate> megatron_order(std::vector<RuleCandidate> cands, MicroBatchRule rule) {
  std::stable_sort(cands.begin(), cands.end(), [rule](const RuleCandidate& a, const RuleCandidate& b) {
    if (a.fits != b.fits) return a.fits;
    if (a.config.tp != b.config.tp) return a.config.tp > b.config.tp;
    if (a.config.pp != b.config.pp) return a.config.pp < b.config.pp;
    if (rule == MicroBatchRule::One) return a.config.micro_batch < b.config.micro_batch;
    return megatron_microbatch_cost(a) < megatron_microbatch_cost(b);
  });
  return cands;
}

}  // namespace trainsim::configurator
