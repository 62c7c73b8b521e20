#pragma once
// Rank layout: which GPU runs (pipeline stage, data-parallel replica, tensor-parallel rank),
// and the process groups that follow from it.
#include <vector>

#include "parallel/plan.hpp"

namespace trainsim {

struct RankCoord {
  int stage = 0, dp = 0, tp = 0;
  int cp = 0;  // context-parallel rank (0 without context parallelism)
};

class RankLayout {
 public:
  explicit RankLayout(const ParallelPlan& plan);

  int gpus() const { return tp_ * cp_ * pp_ * dp_; }
  // Megatron-Core's global rank of a coordinate (order tp-cp-dp-pp, tensor parallel fastest):
  // tp + tp_size * (cp + cp_size * (dp + dp_size * stage)); without cp, tp + tp_size * (dp +
  // dp_size * stage).
  int rank(const RankCoord& c) const { return c.tp + tp_ * (c.cp + cp_ * (c.dp + dp_ * c.stage)); }
  RankCoord coord(int rank) const {
    return {rank / (tp_ * cp_ * dp_), (rank / (tp_ * cp_)) % dp_, rank % tp_, (rank / tp_) % cp_};
  }
  int gpu(const RankCoord& c) const { return gpu_of_rank_[rank(c)]; }
  int gpu_of_rank(int rank) const { return gpu_of_rank_[rank]; }
  // The GPU of every rank, by rank: the GPUs the job runs on.
  const std::vector<int>& gpus_of_ranks() const { return gpu_of_rank_; }

  std::vector<int> tp_group(int stage, int dp, int cp = 0) const;  // GPUs, by tp rank
  std::vector<int> dp_group(int stage, int tp, int cp = 0) const;  // GPUs, by dp rank
  std::vector<int> pp_group(int dp, int tp, int cp = 0) const;     // GPUs, by stage
  std::vector<int> cp_group(int stage, int dp, int tp) const;      // GPUs, by cp rank (the KV ring)
  // The gradient-reduction group of (stage, tp): every (dp, cp) rank, dp-major (Megatron-Core's
  // data-parallel group with context parallelism; dp_group when cp = 1).
  std::vector<int> dp_cp_group(int stage, int tp) const;

 private:
  int tp_, pp_, dp_, cp_;
  std::vector<int> gpu_of_rank_;
};

}  // namespace trainsim
