#include "training/costs.hpp"

#include <algorithm>
#include <array>

#include "schedule/schedule.hpp"
#include "workload/ops.hpp"
#include "workload/memory.hpp"
#include "workload/ops.hpp"

namespace trainsim {

PartCosts& PartCosts::operator+=(const PartCosts& o) {
  fwd_compute += o.fwd_compute, bwd_input_compute += o.bwd_input_compute, bwd_weight += o.bwd_weight;
  fwd_gemm += o.fwd_gemm, bwd_input_gemm += o.bwd_input_gemm, bwd_weight_gemm += o.bwd_weight_gemm;
  tp_fwd_count += o.tp_fwd_count, tp_bwd_count += o.tp_bwd_count;
  params += o.params;
  return *this;
}

PartCosts PartCosts::scaled(int n) const {
  PartCosts p;
  p.fwd_compute = n * fwd_compute, p.bwd_input_compute = n * bwd_input_compute, p.bwd_weight = n * bwd_weight;
  p.fwd_gemm = n * fwd_gemm, p.bwd_input_gemm = n * bwd_input_gemm, p.bwd_weight_gemm = n * bwd_weight_gemm;
  p.tp_fwd_count = n * tp_fwd_count, p.tp_bwd_count = n * tp_bwd_count;
  p.params = n * params;
  return p;
}

namespace {

// GEMM seconds of one layer per pass (the roofline op times of its GEMM kernels), each capped
// by the pass's time: [forward, input backward (+ the recomputed forward's under full
// recomputation), weight backward].
std::array<double, 3> layer_gemm_seconds(const workload::ModelSpec& model, const ParallelPlan& plan,
                                         const workload::ComputeModel& compute, const workload::LayerTimes& layer) {
  const auto ops = workload::layer_ops(model, {plan.micro_batch, plan.tp, plan.sequence_parallel, plan.flash_attention,
                                                plan.fused_bias_dropout_add});
  const workload::PassTimes t = kernel_times(compute, ops, workload::OpKind::Gemm);
  std::array<double, 3> g{t.fwd, t.bwd_input, t.bwd_weight};
  if (plan.recompute == workload::Recompute::Full) g[1] += g[0];
  g[0] = std::min(g[0], layer.fwd), g[1] = std::min(g[1], layer.bwd_input), g[2] = std::min(g[2], layer.bwd_weight);
  return g;
}

// The embedding (vocab-parallel: one all-reduce of its output) added to the chunk holding it.
void add_embedding(ChunkCosts& first, const workload::PassTimes& emb, double ar, int ar_count, const PartParams& part) {
  first.embedding = true;
  first.fwd += emb.fwd + ar;  // vocab-parallel embedding: one all-reduce of the output
  first.fwd_compute += emb.fwd;
  first.tp_fwd += ar;
  first.tp_fwd_count += ar_count;
  first.bwd_weight += emb.bwd();
  first.params += part.embedding;
  first.embedding_part.fwd_compute = emb.fwd;
  first.embedding_part.bwd_weight = emb.bwd();
  first.embedding_part.tp_fwd_count = ar_count;
  first.embedding_part.params = part.embedding;
}

// The LM head (final norm, logits, loss; column-parallel) added to the chunk holding it.
void add_lm_head(ChunkCosts& last, const workload::PassTimes& head, double ar, int ar_count, const PartParams& part,
                 const workload::ModelSpec& model, int t) {
  last.lm_head = true;
  last.fwd += head.fwd;
  last.fwd_compute += head.fwd;
  last.bwd_input += head.bwd_input + ar;  // column-parallel head: all-reduce of the input grad
  last.bwd_input_compute += head.bwd_input;
  last.tp_bwd += ar;
  last.tp_bwd_count += ar_count;
  last.bwd_weight += head.bwd_weight;
  last.params += workload::lm_head_parameters(model) / t;  // (two sums: figures kept bit for bit)
  last.params += part.tied_copy;
  last.head_part.fwd_compute = head.fwd;
  last.head_part.bwd_input_compute = head.bwd_input;
  last.head_part.bwd_weight = head.bwd_weight;
  last.head_part.tp_bwd_count = ar_count;
  last.head_part.params = part.head;
}


}  // namespace

workload::PassTimes kernel_times(const workload::ComputeModel& compute, const std::vector<workload::Op>& ops,
                                 workload::OpKind kind) {
  workload::PassTimes t;
  for (const auto& op : ops)
    if (op.kind == kind)
      (op.pass == workload::Pass::Forward ? t.fwd : op.pass == workload::Pass::BackwardInput ? t.bwd_input : t.bwd_weight) +=
          compute.op_time(op);
  return t;
}

double ring_all_reduce_time(double bytes, int n, const TpLink& link) {
  if (n <= 1 || bytes <= 0) return 0;
  return 2.0 * (n - 1) / n * bytes / link.bandwidth + 2.0 * (n - 1) * link.latency;
}

double kv_block_bytes(const workload::ModelSpec& model, const ParallelPlan& plan) {
  const workload::KvWidths kv = workload::kv_widths_per_rank(model, plan.tp);
  return 2.0 * plan.micro_batch * (double(model.seq_len) / plan.cp) * (kv.k + kv.v);
}

double pipeline_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan) {
  // bf16 activations of this context-parallel rank's tokens.
  const double full = 2.0 * plan.micro_batch * model.seq_len * model.hidden / plan.cp;
  // With sequence parallelism the tensor is already split over the TP ranks; with the
  // scatter/gather optimisation each rank sends its 1/tp slice and the receiver all-gathers.
  if (plan.tp > 1 && (plan.sequence_parallel || plan.scatter_gather)) return full / plan.tp;
  return full;
}

double tp_message_bytes(const workload::ModelSpec& model, const ParallelPlan& plan) {
  return 2.0 * plan.micro_batch * model.seq_len * model.hidden / plan.cp;
}

std::vector<double> chunk_activation_weights(const ParallelPlan& plan, const workload::ModelSpec& model, int stage) {
  const auto per_vs = virtual_stage_layers(plan, model);
  std::vector<double> w(static_cast<size_t>(plan.chunks));
  double sum = 0;
  const schedule::Placement placement = chunk_placement(plan);
  for (int c = 0; c < plan.chunks; ++c) sum += w[c] = per_vs[placement.virtual_stage(stage, c)];
  if (sum == 0) w.assign(w.size(), 1.0);
  return w;
}

std::vector<int> stage_of_layers(const ParallelPlan& plan, const workload::ModelSpec& model) {
  std::vector<int> out;
  const auto per_vs = virtual_stage_layers(plan, model);
  for (size_t vs = 0; vs < per_vs.size(); ++vs)
    out.insert(out.end(), per_vs[vs], chunk_placement(plan).rank_of(static_cast<int>(vs)));
  return out;
}

PartParams part_params(const workload::ModelSpec& model, const ParallelPlan& plan) {
  const int t = plan.tp;
  PartParams p;
  p.embedding = workload::embedding_parameters(model) / t;
  // A MoE model's layers differ (workload/moe_memory.hpp asks per layer): layer stays 0.
  if (!model.is_moe()) p.layer = workload::layer_parameters_per_rank(model, t);
  // Tied embeddings across stages: the last stage keeps its own copy of the word embeddings,
  // kept equal by an all-reduce of their gradients with the first stage (Megatron).
  if (tied_embedding_copy(plan, model)) p.tied_copy = double(model.vocab) * model.hidden / t;
  p.head = workload::lm_head_parameters(model) / t + p.tied_copy;
  return p;
}

std::vector<StageCosts> stage_costs(const workload::ModelSpec& model, const ParallelPlan& plan,
                                    const workload::ComputeModel& compute, const TpLink& tp_link) {
  const int b = plan.micro_batch, t = plan.tp;
  const auto layer = compute.layer(model, b, t, plan.sequence_parallel, plan.recompute, plan.flash_attention,
                                   plan.fused_bias_dropout_add, plan.cp);
  // The flash-attention kernels of one layer (what ring attention overlaps its transfers with).
  double attention_fwd = 0, attention_bwd = 0;
  if (plan.cp > 1)
    for (const auto& op : workload::layer_ops(model, {b, t, plan.sequence_parallel, plan.flash_attention,
                                                      plan.fused_bias_dropout_add, plan.cp}))
      if (op.kind == workload::OpKind::Attention)
        (op.pass == workload::Pass::Forward ? attention_fwd : attention_bwd) += compute.op_time(op);
  const double kv_block = plan.cp > 1 ? kv_block_bytes(model, plan) : 0.0;
  const double ar = ring_all_reduce_time(tp_message_bytes(model, plan), t, tp_link);
  // Megatron: two TP all-reduces (or all-gather + reduce-scatter pairs with sequence
  // parallelism, same volume) per layer forward, two in backward, two more when the full
  // recomputation re-runs the forward.
  const int fwd_per_layer = t > 1 ? 2 : 0;
  const int bwd_per_layer = t > 1 ? (plan.recompute == workload::Recompute::Full ? 4 : 2) : 0;
  const double tp_fwd_layer = 2 * ar;
  const double tp_bwd_layer = (plan.recompute == workload::Recompute::Full ? 4 : 2) * ar;
  const PartParams part = part_params(model, plan);
  const double layer_params = part.layer;
  const auto gemm = layer_gemm_seconds(model, plan, compute, layer);
  PartCosts one_layer;
  one_layer.fwd_compute = layer.fwd, one_layer.bwd_input_compute = layer.bwd_input, one_layer.bwd_weight = layer.bwd_weight;
  one_layer.fwd_gemm = gemm[0], one_layer.bwd_input_gemm = gemm[1], one_layer.bwd_weight_gemm = gemm[2];
  one_layer.tp_fwd_count = fwd_per_layer, one_layer.tp_bwd_count = bwd_per_layer;
  one_layer.params = layer_params;

  std::vector<StageCosts> out(plan.pp);
  for (auto& st : out) st.chunks.resize(plan.chunks);
  // Layer indices follow the virtual-stage order. Each (stage, chunk) gets its virtual stage's
  // costs: under DualPipe every virtual stage sits on two ranks (the two weight copies).
  const auto per_vs = virtual_stage_layers(plan, model);
  const schedule::Placement placement = chunk_placement(plan);
  const int last_vs = placement.virtual_stages() - 1;
  std::vector<int> first_layer(per_vs.size() + 1, 0);
  for (size_t vs = 0; vs < per_vs.size(); ++vs) first_layer[vs + 1] = first_layer[vs] + per_vs[vs];
  const auto emb = compute.embedding(model, b, t, plan.sequence_parallel, plan.cp);
  const auto head = compute.lm_head(model, b, t, plan.sequence_parallel, plan.cp);
  const int ar_count = t > 1 ? 1 : 0;
  for (int s = 0; s < plan.pp; ++s)
    for (int c = 0; c < plan.chunks; ++c) {
      const int vs = placement.virtual_stage(s, c);
      auto& ch = out[s].chunks[c];
      ch.layers = per_vs[vs];
      ch.first_layer = first_layer[vs];
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
      ch.fwd_gemm = ch.layers * gemm[0];
      ch.bwd_input_gemm = ch.layers * gemm[1];
      ch.bwd_weight_gemm = ch.layers * gemm[2];
      ch.layer_part = one_layer;
      ch.attention_fwd = ch.layers * attention_fwd;
      ch.attention_bwd = ch.layers * attention_bwd;
      ch.kv_block_bytes = kv_block;
      // Embedding on the first virtual stage, LM head (final norm, logits, loss) on the last.
      if (vs == 0) add_embedding(ch, emb, ar, ar_count, part);
      if (vs == last_vs) add_lm_head(ch, head, ar, ar_count, part, model, t);
    }
  return out;
}

}  // namespace trainsim
