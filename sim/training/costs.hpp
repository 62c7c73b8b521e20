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

// One piece of a chunk for one micro-batch (the embedding, one transformer layer or the LM
// head), the grain FSDP units are made of (training/fsdp.hpp).
struct PartCosts {
  double fwd_compute = 0, bwd_input_compute = 0, bwd_weight = 0;  // seconds, as in ChunkCosts
  // GEMM seconds inside each of those: what tensor-parallel communication overlap can hide
  // behind (tp_comm_overlap, docs/training.md). 0 for the embedding and the LM head.
  double fwd_gemm = 0, bwd_input_gemm = 0, bwd_weight_gemm = 0;
  int tp_fwd_count = 0, tp_bwd_count = 0;
  double params = 0;  // held by one GPU (TP shard)
  PartCosts& operator+=(const PartCosts& o);
  PartCosts scaled(int n) const;  // n copies (n layers)
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
  // GEMM seconds inside fwd_compute, bwd_input_compute, bwd_weight (layers only).
  double fwd_gemm = 0, bwd_input_gemm = 0, bwd_weight_gemm = 0;
  // The chunk by parts: every layer costs `layer`; `embedding` and `head` are zero when the
  // chunk holds neither. Totals above equal embedding + layers x layer + head.
  PartCosts embedding_part, layer_part, head_part;
  // Context parallelism (plan.cp > 1): the flash-attention kernels inside fwd_compute and
  // bwd_input_compute (the window ring attention's KV transfers overlap), and the bytes of
  // K and V one rank holds per layer (one ring block; cp blocks are the gathered tensor).
  double attention_fwd = 0, attention_bwd = 0;
  double kv_block_bytes = 0;
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

// Parameters one GPU holds (TP shard) of each kind of part: the embedding (first virtual
// stage), one transformer layer, the LM head with the final norm (last virtual stage; with tied
// embeddings under pipelining, its own copy of the word embeddings). The one rule stage_costs
// and the FSDP buffers use.
struct PartParams {
  double embedding = 0, layer = 0, head = 0;
  double tied_copy = 0;  // part of `head`: the word-embedding copy
};
PartParams part_params(const workload::ModelSpec& model, const ParallelPlan& plan);

// Costs of every stage (size pp) for one micro-batch of the plan.
std::vector<StageCosts> stage_costs(const workload::ModelSpec& model, const ParallelPlan& plan,
                                    const workload::ComputeModel& compute, const TpLink& tp_link);

// Bytes of K and V of one layer held by one context-parallel rank (its seq_len / cp tokens, its
// tensor-parallel share of the heads), bf16: 2 b (s/cp) (k + v) with workload::kv_widths_per_rank
// (GQA: k = v = kv_local; MLA: the per-head up-projected K and V, not the latent). Ring attention passes
// cp-1 such blocks per layer forward and 2(cp-1) backward (KV and dKV); the all-gather variant
// gathers cp of them forward and backward and reduce-scatters the dKV.
double kv_block_bytes(const workload::ModelSpec& model, const ParallelPlan& plan);

// Bytes one GPU sends to the next pipeline stage per micro-batch (activation or its gradient).
double pipeline_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan);

// Bytes of one tensor-parallel all-reduce: one micro-batch's bf16 activation on this context-
// parallel rank (2 b s h / cp).
double tp_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan);

// virtual_stage_layers (the layers of each virtual stage) lives beside stage_layers in
// parallel/plan.hpp.

// How the activations of stage `stage` are shared among its chunks: each chunk's layer count
// (activations grow with layers), or 1 each when the stage holds no layer (embedding or LM head
// alone). Used with schedule::peak_weighted_in_flight by the memory estimate and the programs.
std::vector<double> chunk_activation_weights(const ParallelPlan& plan, const workload::ModelSpec& model, int stage);

// The pipeline stage that holds each transformer layer.
std::vector<int> stage_of_layers(const ParallelPlan& plan, const workload::ModelSpec& model);

}  // namespace trainsim
