#include "diloco/sync_plan.hpp"

#include <cmath>

namespace trainsim {

SyncPlan::SyncPlan(const DilocoModel& model, const DilocoMethod& method, int workers)
    : layers_(model.layers), algorithm_(method.algorithm) {
  if (model.layers < 1 || workers < 1) throw InternalError("SyncPlan: needs layers and workers");
  const bool data_parallel = method.algorithm == SyncAlgorithm::DataParallel;
  h_ = data_parallel ? 1 : method.inner_steps;
  if (h_ < 1) throw InternalError("SyncPlan: H must be positive");

  // Fragments: one for data-parallel and DiLoCo (the whole model), P = ceil(L / k) otherwise.
  int p = 1;
  if (method.algorithm == SyncAlgorithm::Streaming) {
    int k = method.layers_per_fragment > 0 ? method.layers_per_fragment : 1;
    p = (layers_ + k - 1) / k;
  }
  fragment_layers_.assign(p, {});
  fragment_of_.assign(layers_, 0);
  const int k = (layers_ + p - 1) / p;
  for (int l = 0; l < layers_; ++l) {
    int f = method.pattern == FragmentPattern::Strided ? l % p : l / k;
    fragment_of_[l] = f;
    fragment_layers_[f].push_back(l);
  }

  // Offsets spread over H: fragment f synchronises when (step + 1) mod H == round((f+1) H / P)
  // mod H, so the last fragment syncs with DiLoCo's period end and the others before it.
  by_step_.assign(h_, {});
  offsets_.assign(p, 0);
  for (int f = 0; f < p; ++f) {
    offsets_[f] = static_cast<int>(std::lround(static_cast<double>(f + 1) * h_ / p)) % h_;
    by_step_[(offsets_[f] + h_ - 1) % h_].push_back(f);
  }

  // Eager updates apply the outer step one whole round late: the result of a sync is needed
  // just before the fragment's next sync computes its pseudo-gradient (H - 1 steps later).
  lag_ = method.eager ? h_ - 1 : method.overlap_steps;
  if (lag_ < 0 || (lag_ >= h_ && !data_parallel && h_ > 1))
    throw InternalError("SyncPlan: overlap must be below H");

  layer_bytes_ = model.parameters / layers_ * method.bits / 8.0;
  if (workers == 1) {
    ring_steps_ = 0;
    ring_chunk_ = 0;
  } else if (method.bits < 16) {
    ring_steps_ = workers - 1;
    ring_chunk_ = layer_bytes_;
  } else {
    ring_steps_ = 2 * (workers - 1);
    ring_chunk_ = layer_bytes_ / workers;
  }
}

const std::vector<int>& SyncPlan::fragments_after(int step) const { return by_step_[step % h_]; }

double SyncPlan::extra_memory_per_gpu(double parameters, int gpus) const {
  if (algorithm_ == SyncAlgorithm::DataParallel) return 0;
  // Largest fragment: with an uneven split the biggest one bounds the memory.
  size_t largest = 0;
  for (const auto& f : fragment_layers_) largest = std::max(largest, f.size());
  const double share = algorithm_ == SyncAlgorithm::Streaming ? static_cast<double>(largest) / layers_ : 1.0;
  return 2.0 * 4.0 * parameters * share / gpus;
}

}  // namespace trainsim
