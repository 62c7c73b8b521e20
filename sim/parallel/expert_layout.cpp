#include "parallel/expert_layout.hpp"

#include <map>

#include "core/error.hpp"

namespace trainsim {

ExpertLayout::ExpertLayout(const ParallelPlan& plan)
    : ranks_(plan),
      tp_(plan.tp),
      dp_(plan.dp),
      pp_(plan.pp),
      cp_(plan.cp),
      ep_(plan.experts.ep),
      etp_(plan.expert_tp()),
      edp_(plan.expert_dp()),
      order_(plan.experts.order) {
  if (ep_ < 1 || etp_ < 1 || ep_ * etp_ * edp_ != tp_ * cp_ * dp_)
    throw InternalError("ExpertLayout: ep x expert_tp must divide tp x cp x dp (validate_plan first)");
}

// Within a stage the local rank is tp + tp_size x (cp + cp_size x dp) (Megatron-Core's order,
// RankLayout); the expert coordinates split the same number, expert_tp fastest.
ExpertCoord ExpertLayout::coord(int rank) const {
  const int per_stage = tp_ * cp_ * dp_, local = rank % per_stage;
  ExpertCoord c;
  c.stage = rank / per_stage;
  c.etp = local % etp_;
  if (order_ == ExpertRankOrder::EpInner) {
    c.ep = (local / etp_) % ep_;
    c.edp = local / (etp_ * ep_);
  } else {
    c.edp = (local / etp_) % edp_;
    c.ep = local / (etp_ * edp_);
  }
  return c;
}

int ExpertLayout::rank(const ExpertCoord& c) const {
  const int local = order_ == ExpertRankOrder::EpInner ? c.etp + etp_ * (c.ep + ep_ * c.edp)
                                                        : c.etp + etp_ * (c.edp + edp_ * c.ep);
  return local + tp_ * cp_ * dp_ * c.stage;
}

std::vector<int> ExpertLayout::ep_group(int stage, int edp, int etp) const {
  std::vector<int> g;
  for (int e = 0; e < ep_; ++e) g.push_back(ranks_.gpu_of_rank(rank({stage, edp, e, etp})));
  return g;
}

std::vector<int> ExpertLayout::expert_dp_group(int stage, int ep, int etp) const {
  std::vector<int> g;
  for (int d = 0; d < edp_; ++d) g.push_back(ranks_.gpu_of_rank(rank({stage, d, ep, etp})));
  return g;
}

std::vector<int> ExpertLayout::expert_tp_group(int stage, int edp, int ep) const {
  std::vector<int> g;
  for (int t = 0; t < etp_; ++t) g.push_back(ranks_.gpu_of_rank(rank({stage, edp, ep, t})));
  return g;
}

std::vector<std::vector<int>> ExpertLayout::ep_groups(int stage) const {
  std::vector<std::vector<int>> out;
  for (int d = 0; d < edp_; ++d)
    for (int t = 0; t < etp_; ++t) out.push_back(ep_group(stage, d, t));
  return out;
}

int node_of_gpu(const PlatformSpec& platform, int gpu) {
  int first_gpu = 0, first_node = 0;
  for (const auto& c : platform.clusters) {
    const int gpus = c.nodes * c.gpus_per_node;
    if (gpu < first_gpu + gpus) return first_node + (gpu - first_gpu) / c.gpus_per_node;
    first_gpu += gpus;
    first_node += c.nodes;
  }
  throw InternalError("node_of_gpu: GPU " + std::to_string(gpu) + " is not on the platform");
}

workload::ExpertPlacement expert_placement(const std::vector<int>& group, int experts, const PlatformSpec& platform) {
  workload::ExpertPlacement p;
  p.experts = experts;
  p.ep = int(group.size());
  std::map<int, int> renumber;
  for (int gpu : group) {
    const int node = node_of_gpu(platform, gpu);
    const auto it = renumber.emplace(node, int(renumber.size())).first;
    p.node_of_rank.push_back(it->second);
  }
  return p;
}

bool expert_hsdp_supported(const ParallelPlan& p) {
  if (p.zero_stage < 3 || p.shard_ranks() >= p.dp) return true;
  return p.experts.order == ExpertRankOrder::EpInner && (p.tp * p.shard_ranks()) % (p.experts.ep * p.expert_tp()) == 0;
}

}  // namespace trainsim
