#include "parallel/layout.hpp"

namespace trainsim {

RankLayout::RankLayout(const ParallelPlan& plan) : tp_(plan.tp), pp_(plan.pp), dp_(plan.dp), cp_(plan.cp) {
  const int n = gpus();
  gpu_of_rank_.resize(n);
  for (int r = 0; r < n; ++r) gpu_of_rank_[r] = plan.order == RankOrder::Explicit ? plan.mapping[r] : r;
}

std::vector<int> RankLayout::tp_group(int stage, int dp, int cp) const {
  std::vector<int> g;
  for (int t = 0; t < tp_; ++t) g.push_back(gpu({stage, dp, t, cp}));
  return g;
}

std::vector<int> RankLayout::dp_group(int stage, int tp, int cp) const {
  std::vector<int> g;
  for (int d = 0; d < dp_; ++d) g.push_back(gpu({stage, d, tp, cp}));
  return g;
}

std::vector<int> RankLayout::pp_group(int dp, int tp, int cp) const {
  std::vector<int> g;
  for (int s = 0; s < pp_; ++s) g.push_back(gpu({s, dp, tp, cp}));
  return g;
}

std::vector<int> RankLayout::cp_group(int stage, int dp, int tp) const {
  std::vector<int> g;
  for (int c = 0; c < cp_; ++c) g.push_back(gpu({stage, dp, tp, c}));
  return g;
}

std::vector<int> RankLayout::dp_cp_group(int stage, int tp) const {
  std::vector<int> g;
  for (int d = 0; d < dp_; ++d)
    for (int c = 0; c < cp_; ++c) g.push_back(gpu({stage, d, tp, c}));
  return g;
}

}  // namespace trainsim
