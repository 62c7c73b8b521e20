#pragma once
// Expert-parallel layout (docs/moe.md, "Layout"): where each rank sits among the experts of its
// pipeline stage, and the process groups that follow: EP groups (the all-to-all of dispatch and
// combine), expert-DP groups (the experts' gradient reduction), expert-TP groups. The attention
// keeps RankLayout's tp / dp groups: with expert_tp != tp or ep not dividing dp the two
// partitions of a stage differ ("parallel folding", Megatron-Core MoE).
#include <vector>

#include "parallel/layout.hpp"
#include "platform/spec.hpp"
#include "workload/routing.hpp"

namespace trainsim {

struct ExpertCoord {
  int stage = 0, edp = 0, ep = 0, etp = 0;
};

class ExpertLayout {
 public:
  // plan.experts must be valid for the model (validate_plan).
  explicit ExpertLayout(const ParallelPlan& plan);

  int ep() const { return ep_; }
  int expert_tp() const { return etp_; }
  int expert_dp() const { return edp_; }
  // Coordinate of a global rank, and back (the rank's GPU: ranks().gpu_of_rank(rank)).
  ExpertCoord coord(int rank) const;
  int rank(const ExpertCoord& c) const;
  const RankLayout& ranks() const { return ranks_; }

  std::vector<int> ep_group(int stage, int edp, int etp) const;        // GPUs, by EP rank
  std::vector<int> expert_dp_group(int stage, int ep, int etp) const;  // GPUs, by expert-DP rank
  std::vector<int> expert_tp_group(int stage, int edp, int ep) const;  // GPUs, by expert-TP rank
  // Every EP group of a stage, (edp, etp) in row-major order: expert_dp x expert_tp groups.
  std::vector<std::vector<int>> ep_groups(int stage) const;

 private:
  RankLayout ranks_;
  int tp_, dp_, pp_, cp_, ep_, etp_, edp_;
  ExpertRankOrder order_;
};

// ZeRO-3 with HSDP shard groups (fsdp.shard_group g < dp): whether a dense shard group (g
// consecutive dp ranks x tp) holds whole expert-DP blocks, so that the expert-DP groups split
// into shard groups of their own, tp g / (ep expert_tp) ranks each (EP-inner order, ep x
// expert_tp dividing tp x g; docs/moe.md "Sharded data parallelism"). True without HSDP.
bool expert_hsdp_supported(const ParallelPlan& plan);

// Global node index of a GPU: clusters in file order, then nodes (platform/spec.hpp numbering).
int node_of_gpu(const PlatformSpec& platform, int gpu);

// The routing placement of an EP group (GPUs by EP rank): contiguous experts per rank, and each
// rank's node renumbered 0.. in order of first appearance within the group.
workload::ExpertPlacement expert_placement(const std::vector<int>& ep_group_gpus, int experts,
                                           const PlatformSpec& platform);

}  // namespace trainsim
