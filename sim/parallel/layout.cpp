#include "parallel/layout.hpp"

namespace trainsim {

RankLayout::RankLayout(const ParallelPlan& plan) : tp_(plan.tp), pp_(plan.pp), dp_(plan.dp) {
  const int n = gpus();
  gpu_of_rank_.resize(n);
  for (int r = 0; r < n; ++r) gpu_of_rank_[r] = plan.order == RankOrder::Explicit ? plan.mapping[r] : r;
}

std::vector<int> RankLayout::tp_group(int stage, int dp) const {
  std::vector<int> g;
  for (int t = 0; t < tp_; ++t) g.push_back(gpu({stage, dp, t}));
  return g;
}

std::vector<int> RankLayout::dp_group(int stage, int tp) const {
  std::vector<int> g;
  for (int d = 0; d < dp_; ++d) g.push_back(gpu({stage, d, tp}));
  return g;
}

std::vector<int> RankLayout::pp_group(int dp, int tp) const {
  std::vector<int> g;
  for (int s = 0; s < pp_; ++s) g.push_back(gpu({s, dp, tp}));
  return g;
}

}  // namespace trainsim
