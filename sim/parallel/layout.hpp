#pragma once
// Rank layout: which GPU runs (pipeline stage, data-parallel replica, tensor-parallel rank),
// and the process groups that follow from it.
#include <vector>

#include "parallel/plan.hpp"

namespace trainsim {

struct RankCoord {
  int stage = 0, dp = 0, tp = 0;
};

class RankLayout {
 public:
  explicit RankLayout(const ParallelPlan& plan);

  int gpus() const { return tp_ * pp_ * dp_; }
  // Megatron's global rank of a coordinate: tp + tp_size * (dp + dp_size * stage).
  int rank(const RankCoord& c) const { return c.tp + tp_ * (c.dp + dp_ * c.stage); }
  RankCoord coord(int rank) const { return {rank / (tp_ * dp_), (rank / tp_) % dp_, rank % tp_}; }
  int gpu(const RankCoord& c) const { return gpu_of_rank_[rank(c)]; }
  int gpu_of_rank(int rank) const { return gpu_of_rank_[rank]; }
  // The GPU of every rank, by rank: the GPUs the job runs on.
  const std::vector<int>& gpus_of_ranks() const { return gpu_of_rank_; }

  std::vector<int> tp_group(int stage, int dp) const;  // GPUs, by tp rank
  std::vector<int> dp_group(int stage, int tp) const;  // GPUs, by dp rank
  std::vector<int> pp_group(int dp, int tp) const;     // GPUs, by stage

 private:
  int tp_, pp_, dp_;
  std::vector<int> gpu_of_rank_;
};

}  // namespace trainsim
