#pragma once
// Which layers a method synchronises after which inner step, what each synchronisation
// exchanges and when its result is needed: the schedule of the paper's per-step DAG
// (docs/diloco.md, "Model"), independent of SimGrid so that it can be checked by hand.
#include <vector>

#include "scenario/diloco_spec.hpp"

namespace trainsim {

class SyncPlan {
 public:
  SyncPlan(const DilocoModel& model, const DilocoMethod& method, int workers);

  int layers() const { return layers_; }
  int inner_steps() const { return h_; }
  int fragments() const { return static_cast<int>(fragment_layers_.size()); }
  const std::vector<int>& fragment_layers(int fragment) const { return fragment_layers_[fragment]; }
  int fragment_of(int layer) const { return fragment_of_[layer]; }

  // Fragments synchronised after inner step `step` (0-based): fragment p when
  // (step + 1) mod H == offset(p), offsets spread evenly over H (the last one at H).
  const std::vector<int>& fragments_after(int step) const;
  int offset(int fragment) const { return offsets_[fragment]; }

  // A reduce started after step s is needed by the forward of its layer in step s + 1 + lag.
  int result_lag() const { return lag_; }

  // Bytes of one layer's values as exchanged (parameters / L x bits / 8).
  double layer_bytes() const { return layer_bytes_; }
  // Exchange of one layer among the workers: `rounds` sequential ring steps, each sending
  // `chunk` bytes from every worker to the next. Ring all-reduce (reduce-scatter then
  // all-gather, values reduced in the exchanged format): 2(M-1) steps of S/M. Below 16 bits
  // the values are not re-quantised per hop: each worker's unreduced values travel the ring
  // (all-gather, M-1 steps of S) and are accumulated in FP32 after receipt.
  int ring_steps() const { return ring_steps_; }
  double ring_chunk() const { return ring_chunk_; }
  double bytes_sent_per_worker_per_layer() const { return ring_steps_ * ring_chunk_; }

  // Extra memory per GPU of a worker with `gpus` GPUs: FP32 outer parameters and Nesterov
  // momentum, sharded over the worker's GPUs; streaming keeps only the current fragment's.
  double extra_memory_per_gpu(double parameters, int gpus) const;

 private:
  int layers_, h_, lag_;
  SyncAlgorithm algorithm_;
  std::vector<std::vector<int>> fragment_layers_;
  std::vector<int> fragment_of_, offsets_;
  std::vector<std::vector<int>> by_step_;  // index (step mod H) -> fragments
  double layer_bytes_, ring_chunk_;
  int ring_steps_;
};

}  // namespace trainsim
