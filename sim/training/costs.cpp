#include "training/costs.hpp"

#include "schedule/schedule.hpp"
#include "workload/memory.hpp"

namespace trainsim {

double ring_all_reduce_time(double bytes, int n, const TpLink& link) {
  if (n <= 1 || bytes <= 0) return 0;
  return 2.0 * (n - 1) / n * bytes / link.bandwidth + 2.0 * (n - 1) * link.latency;
}

double pipeline_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan) {
  const double full = 2.0 * plan.micro_batch * model.seq_len * model.hidden;  // bf16 activations
  // With sequence parallelism the tensor is already split over the TP ranks; with the
  // scatter/gather optimisation each rank sends its 1/tp slice and the receiver all-gathers.
  if (plan.tp > 1 && (plan.sequence_parallel || plan.scatter_gather)) return full / plan.tp;
  return full;
}

double tp_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan) {
  return 2.0 * plan.micro_batch * model.seq_len * model.hidden;
}

std::vector<int> virtual_stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model) {
  const auto layers = stage_layers(plan, model);
  std::vector<int> out(static_cast<size_t>(plan.pp) * plan.chunks);
  for (int s = 0; s < plan.pp; ++s)
    for (int c = 0; c < plan.chunks; ++c)
      out[schedule::model_chunk_stage(s, c, plan.pp)] = layers[s] / plan.chunks + (c < layers[s] % plan.chunks ? 1 : 0);
  return out;
}

std::vector<int> stage_of_layers(const ParallelPlan& plan, const workload::ModelSpec& model) {
  std::vector<int> out;
  const auto per_vs = virtual_stage_layers(plan, model);
  for (size_t vs = 0; vs < per_vs.size(); ++vs)
    out.insert(out.end(), per_vs[vs], schedule::rank_of_virtual_stage(static_cast<int>(vs), plan.pp));
  return out;
}

std::vector<StageCosts> stage_costs(const workload::ModelSpec& model, const ParallelPlan& plan,
                                    const workload::ComputeModel& compute, const TpLink& tp_link) {
  const int b = plan.micro_batch, t = plan.tp;
  const auto layer = compute.layer(model, b, t, plan.sequence_parallel, plan.recompute, plan.flash_attention,
                                   plan.fused_bias_dropout_add);
  const double ar = ring_all_reduce_time(tp_message_bytes(model, plan), t, tp_link);
  // Megatron: two TP all-reduces (or all-gather + reduce-scatter pairs with sequence
  // parallelism, same volume) per layer forward, two in backward, two more when the full
  // recomputation re-runs the forward.
  const int fwd_per_layer = t > 1 ? 2 : 0;
  const int bwd_per_layer = t > 1 ? (plan.recompute == workload::Recompute::Full ? 4 : 2) : 0;
  const double tp_fwd_layer = 2 * ar;
  const double tp_bwd_layer = (plan.recompute == workload::Recompute::Full ? 4 : 2) * ar;
  const double layer_params = workload::layer_parameters_per_rank(model, t);

  std::vector<StageCosts> out(plan.pp);
  for (auto& st : out) st.chunks.resize(plan.chunks);
  // Layer indices follow the virtual-stage order.
  const auto per_vs = virtual_stage_layers(plan, model);
  int next_layer = 0;
  for (int vs = 0; vs < static_cast<int>(per_vs.size()); ++vs) {
    auto& ch = out[schedule::rank_of_virtual_stage(vs, plan.pp)].chunks[schedule::chunk_of_virtual_stage(vs, plan.pp)];
    ch.layers = per_vs[vs];
    ch.first_layer = next_layer;
    next_layer += ch.layers;
    ch.fwd_compute = ch.layers * layer.fwd;
    ch.bwd_input_compute = ch.layers * layer.bwd_input;
    ch.bwd_weight = ch.layers * layer.bwd_weight;
    ch.tp_fwd_count = ch.layers * fwd_per_layer;
    ch.tp_bwd_count = ch.layers * bwd_per_layer;
    ch.fwd = ch.layers * (layer.fwd + tp_fwd_layer);
    ch.bwd_input = ch.layers * (layer.bwd_input + tp_bwd_layer);
    ch.tp_fwd = ch.layers * tp_fwd_layer;
    ch.tp_bwd = ch.layers * tp_bwd_layer;
    ch.params = ch.layers * layer_params;
  }
  // Embedding on the first virtual stage, LM head (final norm, logits, loss) on the last.
  auto& first = out[0].chunks[0];
  auto& last = out[plan.pp - 1].chunks[plan.chunks - 1];
  const auto emb = compute.embedding(model, b, t, plan.sequence_parallel);
  const auto head = compute.lm_head(model, b, t, plan.sequence_parallel);
  const int ar_count = t > 1 ? 1 : 0;
  first.embedding = true;
  first.fwd += emb.fwd + ar;  // vocab-parallel embedding: one all-reduce of the output
  first.fwd_compute += emb.fwd;
  first.tp_fwd += ar;
  first.tp_fwd_count += ar_count;
  first.bwd_weight += emb.bwd();
  first.params += workload::embedding_parameters(model) / t;
  last.lm_head = true;
  last.fwd += head.fwd;
  last.fwd_compute += head.fwd;
  last.bwd_input += head.bwd_input + ar;  // column-parallel head: all-reduce of the input grad
  last.bwd_input_compute += head.bwd_input;
  last.tp_bwd += ar;
  last.tp_bwd_count += ar_count;
  last.bwd_weight += head.bwd_weight;
  last.params += workload::lm_head_parameters(model) / t;
  // Tied embeddings across stages: the last stage keeps its own copy of the word embeddings,
  // kept equal by an all-reduce of their gradients with the first stage (Megatron).
  if (model.tied_embeddings && plan.pp > 1) last.params += double(model.vocab) * model.hidden / t;
  return out;
}

}  // namespace trainsim
