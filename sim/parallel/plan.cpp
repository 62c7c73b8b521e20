#include "parallel/plan.hpp"

#include <algorithm>
#include <numeric>
#include <set>

namespace trainsim {

namespace {
std::string str(long long v) { return std::to_string(v); }

// Expert parallelism (docs/moe.md, "Layout"): the tp x dp ranks of a pipeline stage are also
// expert_tp x ep x expert_dp ranks.
void validate_experts(const ParallelPlan& p, const workload::ModelSpec& model) {
  auto fail = [&](const std::string& key, const std::string& msg) { throw InputError(p.where, key, msg); };
  const ExpertPlan& x = p.experts;
  if (!model.is_moe()) {
    if (x.ep != 1) fail("parallelism.ep", "expert parallelism needs a model with experts; expected family: moe, or ep 1");
    if (x.expert_tp != 0 && x.expert_tp != p.tp)
      fail("parallelism.expert_tp", "expert tensor parallelism needs a model with experts; expected family: moe, or no expert_tp");
    return;
  }
  const int E = model.moe.experts, etp = p.expert_tp();
  if (x.ep < 1) fail("parallelism.ep", "must be at least 1");
  if (etp < 1) fail("parallelism.expert_tp", "must be at least 1");
  if (E % x.ep != 0) fail("parallelism.ep", "ep = " + str(x.ep) + " does not divide the " + str(E) + " experts; expected a divisor of " + str(E));
  if (model.moe.expert_ffn_hidden % etp != 0)
    fail("parallelism.expert_tp", "expert_tp = " + str(etp) + " must divide expert_ffn_hidden (" +
                                      str(model.moe.expert_ffn_hidden) + ")");
  if ((p.tp * p.cp * p.dp) % (x.ep * etp) != 0)
    fail("parallelism.ep", "ep x expert_tp = " + str(x.ep * etp) + " must divide the " +
                               (p.cp > 1 ? "tp x cp x dp = " : "tp x dp = ") + str(p.tp * p.cp * p.dp) +
                               " ranks of a pipeline stage (the rest is expert data parallelism)");
  if (p.tp > 1 && !p.sequence_parallel)
    fail("sequence_parallel", "MoE layers with tp > 1 route the sequence-parallel shard of each rank (as Megatron-Core); expected sequence_parallel: true");
  if (p.tp > 1 && model.seq_len % p.tp != 0)
    fail("parallelism.tp", "tp = " + str(p.tp) + " must divide seq_len (" + str(model.seq_len) + ") for sequence parallelism");
  if (model.moe.shared_ffn_hidden % p.tp != 0)
    fail("parallelism.tp", "tp = " + str(p.tp) + " must divide shared_expert_ffn_hidden (" +
                               str(model.moe.shared_ffn_hidden) + ")");
  if (!p.flash_attention && model.mla.enabled())
    fail("attention", "multi-head latent attention is modelled with flash attention only");
  workload::validate(x.routing);
}
}  // namespace

// DualPipe in training jobs (docs/schedules.md, "DualPipe in training jobs"): what the
// schedule needs, and what the generator does not combine with it yet.
void validate_dualpipe(const ParallelPlan& p) {
  auto fail = [&](const std::string& key, const std::string& msg) { throw InputError(p.where, key, msg); };
  const int m = p.micro_batches();
  if (p.pp % 2 != 0)
    fail("parallelism.pp", "dualpipe runs pairs of mirrored stages; expected an even pp, got " + str(p.pp));
  if (m % 2 != 0 || m < 2 * p.pp)
    fail("global_batch", "dualpipe sends half the micro-batches each way and needs at least 2 x pp of them; expected an "
                         "even number of micro-batches per pipeline >= " + str(2 * p.pp) + ", got " + str(m));
  if (p.zero_stage >= 3)
    fail("zero_stage", "ZeRO-3 with dualpipe (gathering both weight copies per unit) is not modelled; expected zero_stage 0 to 2");
}

void validate_plan(const ParallelPlan& p, const workload::ModelSpec& model, int platform_gpus) {
  auto fail = [&](const std::string& key, const std::string& msg) { throw InputError(p.where, key, msg); };
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1) fail("parallelism", "tp, cp, pp and dp must be at least 1");
  if (p.gpus() > platform_gpus)
    fail("parallelism", std::string(p.cp > 1 ? "tp x cp x pp x dp" : "tp x pp x dp") + " = " + str(p.gpus()) +
                            " GPUs but the platform has " + str(platform_gpus));
  if (p.cp > 1) {
    // Causal load balancing cuts each sequence into 2cp equal chunks (Megatron-Core, Llama 3).
    if (model.seq_len % (2 * p.cp) != 0)
      fail("parallelism.cp", "cp = " + str(p.cp) + " needs the sequence length (" + str(model.seq_len) +
                                 ") to divide into 2 x cp = " + str(2 * p.cp) + " chunks");
    if (!p.flash_attention)
      fail("parallelism.cp", "context parallelism runs fused (flash) attention; expected attention: flash");
    // ZeRO-3 shards over the dp x cp group; HSDP's shard groups are cut from the dp ranks alone.
    if (p.zero_stage >= 3 && p.shard_ranks() < p.dp)
      fail("parallelism.cp", "context parallelism with HSDP shard groups is not modelled yet; expected "
                             "fsdp.shard_group equal to dp (plain ZeRO-3) with cp > 1");
    if (p.sequence_parallel && (model.seq_len / p.cp) % p.tp != 0)
      fail("parallelism.cp", "the " + str(model.seq_len / p.cp) + " tokens per context-parallel rank do not split over tp = " +
                                 str(p.tp) + " for sequence parallelism");
  }
  if (model.heads % p.tp != 0)
    fail("parallelism.tp", "tp = " + str(p.tp) + " must divide the number of attention heads (" + str(model.heads) + ")");
  if (model.kv_heads % p.tp != 0 && p.tp % model.kv_heads != 0)
    fail("parallelism.tp", "tp = " + str(p.tp) + " and the KV-head count (" + str(model.kv_heads) + ") must divide one another");
  if (p.micro_batch < 1) fail("micro_batch", "must be at least 1");
  if (p.global_batch % (p.micro_batch * p.dp) != 0)
    fail("global_batch", "global batch " + str(p.global_batch) + " is not divisible by micro_batch x dp = " +
                             str(p.micro_batch * p.dp));
  const int m = p.micro_batches();
  if (m < 1) fail("global_batch", "gives no micro-batch per pipeline");
  const bool per_virtual_stage = !p.layers_per_virtual_stage.empty();
  // Without an explicit split every virtual stage needs a layer; with one, the first and last
  // may hold only the embedding or the LM head.
  const bool bidirectional = schedule::chunk_layout(p.schedule) == schedule::ChunkLayout::Bidirectional;
  // DualPipe cuts the model into pp stages (each rank holds two of them, docs/schedules.md).
  const int model_stages = bidirectional ? p.pp : p.pp * p.chunks;
  if (model_stages > model.layers + (per_virtual_stage ? 2 : 0))
    fail("parallelism.pp", (bidirectional ? "pp = " : "pp x chunks = ") + str(model_stages) +
                               " virtual stages but the model has only " + str(model.layers) + " layers");
  if (bidirectional) validate_dualpipe(p);
  const bool v_shape = schedule::chunk_layout(p.schedule) != schedule::ChunkLayout::Looped;
  if (v_shape && p.chunks != 2)
    fail("chunks", "schedule " + std::string(schedule::to_string(p.schedule)) + " runs 2 model chunks per stage (" +
                       (bidirectional ? "one per direction" : "a V") + "); expected chunks: 2, got " + str(p.chunks));
  const bool interleaved = p.schedule == schedule::ScheduleKind::Interleaved1F1B;
  if (!v_shape && interleaved != (p.chunks > 1))
    fail("schedule", std::string(interleaved ? "" : "chunks > 1 needs schedule ") +
                         std::string(schedule::to_string(schedule::ScheduleKind::Interleaved1F1B)) +
                         (interleaved ? " needs chunks >= 2" : ""));
  if (interleaved && m % p.pp != 0)
    fail("global_batch", "interleaved 1F1B needs the micro-batches per pipeline (" + str(m) +
                             ") to be a multiple of pp (" + str(p.pp) + ")");
  if (p.zero_stage < 0 || p.zero_stage > 3) fail("zero_stage", "must be 0, 1, 2 or 3");
  if (per_virtual_stage && !p.layers_per_stage.empty())
    fail("layers_per_virtual_stage", "given with layers_per_stage; expected one of them");
  if (per_virtual_stage) {
    const int vs_count = model_stages;
    if (static_cast<int>(p.layers_per_virtual_stage.size()) != vs_count)
      fail("layers_per_virtual_stage", "has " + str(p.layers_per_virtual_stage.size()) + " entries; expected " +
                                           (bidirectional ? "pp = " : "pp x chunks = ") + str(vs_count) + " (model order)");
    long long sum = std::accumulate(p.layers_per_virtual_stage.begin(), p.layers_per_virtual_stage.end(), 0LL);
    if (sum != model.layers)
      fail("layers_per_virtual_stage", "sums to " + str(sum) + "; expected the model's " + str(model.layers) + " layers");
    for (int vs = 1; vs + 1 < vs_count; ++vs)
      if (p.layers_per_virtual_stage[vs] < 1)
        fail("layers_per_virtual_stage", "virtual stage " + str(vs) +
                                             " has no layer; expected at least 1 (only the first and last, which "
                                             "hold the embedding and the LM head, may have 0)");
  } else if (!p.layers_per_stage.empty()) {
    if (static_cast<int>(p.layers_per_stage.size()) != p.pp)
      fail("layers_per_stage", "has " + str(p.layers_per_stage.size()) + " entries but pp = " + str(p.pp));
    long long sum = std::accumulate(p.layers_per_stage.begin(), p.layers_per_stage.end(), 0LL);
    if (sum != model.layers) fail("layers_per_stage", "sums to " + str(sum) + " but the model has " + str(model.layers) + " layers");
    for (int l : p.layers_per_stage)
      if (l < (bidirectional ? 1 : p.chunks)) fail("layers_per_stage", "every stage needs at least one layer per chunk");
    if (p.chunks > 1 && !bidirectional)
      for (int l : p.layers_per_stage)
        if (l % p.chunks != 0)
          fail("layers_per_stage", "with chunks = " + str(p.chunks) +
                                       " every stage's layers must divide by it; layers_per_virtual_stage gives "
                                       "each chunk its own count");
  } else if (model.layers % (p.pp * p.chunks) != 0 && p.chunks > 1 && !bidirectional) {
    fail("parallelism", "the " + str(model.layers) + " layers do not split evenly into pp x chunks = " +
                            str(p.pp * p.chunks) + " virtual stages; layers_per_virtual_stage gives each its own count");
  }
  if (p.order == RankOrder::Explicit) {
    if (static_cast<int>(p.mapping.size()) != p.gpus())
      fail("mapping", "has " + str(p.mapping.size()) + " entries but the plan has " + str(p.gpus()) + " ranks");
    std::set<int> seen;
    for (int g : p.mapping) {
      if (g < 0 || g >= platform_gpus) fail("mapping", "GPU " + str(g) + " is outside 0.." + str(platform_gpus - 1));
      if (!seen.insert(g).second) fail("mapping", "GPU " + str(g) + " appears twice");
    }
  }
  if (p.iterations < 1) fail("iterations", "must be at least 1");
  if (p.bucket_bytes <= 0) fail("bucket_size", "must be positive");
  if (p.grad_reduce_bytes != 2 && p.grad_reduce_bytes != 4) fail("grad_reduce_precision", "must be bf16 or fp32");
  if (p.overlap_param_gather && (p.zero_stage < 1 || p.zero_stage > 2))
    fail("overlap_param_gather", "needs the distributed optimizer (zero_stage 1 or 2), got zero_stage " + str(p.zero_stage) +
                                     " (ZeRO-3 gathers parameters per unit: fsdp.prefetch)");
  if (p.tp_comm_overlap && (p.tp < 2 || !p.sequence_parallel))
    fail("tp_comm_overlap", "needs tensor parallelism (tp >= 2) with sequence_parallel: true, as Megatron-Core does");
  if (p.fsdp.unit_layers < 1) fail("fsdp.unit_layers", "must be at least 1");
  if (p.fsdp.prefetch < 0) fail("fsdp.prefetch", "must be at least 0");
  if (p.fsdp.shard_group < 0 || (p.fsdp.shard_group > 0 && p.dp % p.fsdp.shard_group != 0))
    fail("fsdp.shard_group", "shard group of " + str(p.fsdp.shard_group) + " data-parallel ranks must divide dp = " + str(p.dp));
  validate_experts(p, model);
}

schedule::Placement chunk_placement(const ParallelPlan& plan) {
  return schedule::Placement::of({plan.schedule, plan.pp, plan.micro_batches(), plan.chunks});
}

int weight_copies(const ParallelPlan& plan) {
  return chunk_placement(plan).layout == schedule::ChunkLayout::Bidirectional ? 2 : 1;
}

bool tied_embedding_copy(const ParallelPlan& plan, const workload::ModelSpec& model) {
  return model.tied_embeddings && weight_copies(plan) == 1 && embedding_stage(plan) != lm_head_stage(plan);
}

std::vector<int> layers_of_stage(const ParallelPlan& plan, const workload::ModelSpec& model, int stage) {
  const auto per_vs = virtual_stage_layers(plan, model);
  std::vector<int> first(per_vs.size() + 1, 0);
  for (size_t vs = 0; vs < per_vs.size(); ++vs) first[vs + 1] = first[vs] + per_vs[vs];
  const schedule::Placement placement = chunk_placement(plan);
  std::vector<int> out;
  for (int c = 0; c < plan.chunks; ++c) {
    const int vs = placement.virtual_stage(stage, c);
    for (int l = first[vs]; l < first[vs + 1]; ++l) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int embedding_stage(const ParallelPlan& plan) { return chunk_placement(plan).rank_of(0); }

int lm_head_stage(const ParallelPlan& plan) {
  const schedule::Placement placement = chunk_placement(plan);
  return placement.rank_of(placement.virtual_stages() - 1);
}

std::vector<int> stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model) {
  if (!plan.layers_per_virtual_stage.empty()) {
    std::vector<int> out(plan.pp, 0);
    for (size_t vs = 0; vs < plan.layers_per_virtual_stage.size(); ++vs)
      out[chunk_placement(plan).rank_of(static_cast<int>(vs))] += plan.layers_per_virtual_stage[vs];
    return out;
  }
  if (!plan.layers_per_stage.empty()) return plan.layers_per_stage;
  // Even split; when the layers do not divide, the first `layers % pp` stages take one more
  // (predictable; an explicit `layers_per_stage` expresses anything else).
  std::vector<int> out(plan.pp, model.layers / plan.pp);
  for (int s = 0; s < model.layers % plan.pp; ++s) ++out[s];
  return out;
}

std::vector<int> virtual_stage_layers(const ParallelPlan& plan, const workload::ModelSpec& model) {
  if (!plan.layers_per_virtual_stage.empty()) return plan.layers_per_virtual_stage;
  const auto layers = stage_layers(plan, model);
  const schedule::Placement placement = chunk_placement(plan);
  // DualPipe: the model's pp stages are the virtual stages (each rank holds two of them).
  if (placement.layout == schedule::ChunkLayout::Bidirectional) return layers;
  std::vector<int> out(static_cast<size_t>(plan.pp) * plan.chunks);
  for (int s = 0; s < plan.pp; ++s)
    for (int c = 0; c < plan.chunks; ++c)
      out[placement.virtual_stage(s, c)] = layers[s] / plan.chunks + (c < layers[s] % plan.chunks ? 1 : 0);
  return out;
}

}  // namespace trainsim
