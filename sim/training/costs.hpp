#pragma once
// What each pipeline chunk costs: compute time of its passes for one micro-batch (tensor-
// parallel communication included), the bytes it sends to the next stage, its parameters.
// Pure value code over the compute model; the simulator only asks these numbers.
#include <vector>

#include "parallel/plan.hpp"
#include "workload/compute_model.hpp"

namespace trainsim {

// Tensor-parallel collectives are modelled in closed form (ring over the TP group's
// bottleneck link): TP groups live inside NVLink domains whose ports carry no other traffic
// in the layouts we model; see docs/training.md.
struct TpLink {
  double bandwidth = 0;  // bottleneck per-direction bandwidth between ring neighbours
  double latency = 0;    // largest neighbour route latency
};

struct ChunkCosts {
  int first_layer = 0, layers = 0;
  bool embedding = false, lm_head = false;
  double fwd = 0;         // seconds per micro-batch, TP communication included
  double bwd_input = 0;   // activation gradients (+ recomputation), TP communication included
  double bwd_weight = 0;  // weight gradients
  double tp_fwd = 0, tp_bwd = 0;  // the TP communication inside fwd and bwd_input
  double params = 0;      // parameters of this chunk held by one GPU (TP shard)
  double bwd() const { return bwd_input + bwd_weight; }
};

struct StageCosts {
  std::vector<ChunkCosts> chunks;  // by chunk index on this stage
  double params() const {
    double p = 0;
    for (const auto& c : chunks) p += c.params;
    return p;
  }
};

// Seconds of a ring all-reduce of `bytes` over `n` ranks: 2(n-1)/n * bytes/B + 2(n-1) * L.
double ring_all_reduce_time(double bytes, int n, const TpLink& link);

// Costs of every stage (size pp) for one micro-batch of the plan.
std::vector<StageCosts> stage_costs(const workload::ModelSpec& model, const ParallelPlan& plan,
                                    const workload::ComputeModel& compute, const TpLink& tp_link);

// Bytes one GPU sends to the next pipeline stage per micro-batch (activation or its gradient).
double pipeline_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan);

}  // namespace trainsim
