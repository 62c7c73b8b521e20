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
  // Computation alone, seconds per micro-batch (what programs' compute ops take).
  double fwd_compute = 0;        // forward
  double bwd_input_compute = 0;  // activation gradients (+ recomputation)
  double bwd_weight = 0;         // weight gradients
  // Tensor-parallel all-reduces of one activation (tp_message_bytes) inside the forward and
  // the input-gradient backward (programs' closed-form collectives).
  int tp_fwd_count = 0, tp_bwd_count = 0;
  // Their closed-form seconds over the TpLink given to stage_costs, and the pass times with
  // them (for cost models that do not simulate: configurators).
  double tp_fwd = 0, tp_bwd = 0;
  double fwd = 0, bwd_input = 0;
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

// Bytes of one tensor-parallel all-reduce: one micro-batch's bf16 activation (2 b s h).
double tp_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan);

// Transformer layers of each virtual stage, in virtual-stage order (pp x chunks entries): stage
// s's layers (stage_layers) split over its chunks, the first ones taking the remainder; chunk c
// of stage s is virtual stage schedule::model_chunk_stage(s, c, pp) (the one placement rule).
std::vector<int> virtual_stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

// The pipeline stage that holds each transformer layer.
std::vector<int> stage_of_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

}  // namespace trainsim
