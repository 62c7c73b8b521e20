#include "training/moe_programs.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "parallel/expert_layout.hpp"
#include "training/buckets.hpp"
#include "training/programs.hpp"
#include "workload/memory.hpp"
#include "workload/moe_memory.hpp"
#include "workload/moe_ops.hpp"

namespace trainsim {

using program::Collective;
using program::Role;
using schedule::OpType;
using workload::PassTimes;

namespace {

// Seconds of the forward kernels of `ops` that selective recomputation re-runs (core attention).
double core_attention_forward(const workload::ComputeModel& cm, const std::vector<workload::Op>& ops) {
  double s = 0;
  for (const auto& op : ops)
    if (op.pass == workload::Pass::Forward && op.core_attention) s += cm.op_time(op);
  return s;
}

// One GPU type's costs of the parts of a layer that do not depend on the routing. With context
// parallelism the flash-attention kernels (`core`) are written by the dense generator with their
// KV traffic (docs/training.md, "Context parallelism"), so `dense_layer` and `attention` leave
// them out; full recomputation still re-runs them.
struct FixedCosts {
  PassTimes dense_layer, attention, embedding, lm_head;
  PassTimes dense_layer_gemm, attention_gemm;  // their GEMMs' seconds (tp_comm_overlap hides TP collectives behind them)
  double dense_recompute = 0, attention_recompute = 0;  // forward seconds re-run in the backward
  PassTimes core;                                       // one layer's flash-attention kernels (cp > 1)
};

// Seconds of the flash-attention kernels of `ops` per pass (what ring attention overlaps).
PassTimes flash_attention(const workload::ComputeModel& cm, const std::vector<workload::Op>& ops) {
  return kernel_times(cm, ops, workload::OpKind::Attention);
}

// One MoE layer's FFN on one GPU for one micro-batch, given its routing.
struct FfnCosts {
  PassTimes route, experts, unroute;  // shared experts inside `experts` (they run beside them)
  PassTimes shared_gemm;              // the shared experts' GEMMs (their TP collectives' partners)
  double gathered_rows = 0;  // rows the GPU's experts compute (gathered over expert TP)
};

class MoeExtension final : public TrainingExtension {
 public:
  MoeExtension(const TrainingSpec& spec, const PlatformSpec& platform, uint64_t seed, std::string prefix)
      : model_(spec.model), plan_(spec.plan), platform_(platform), seed_(seed), prefix_(std::move(prefix)),
        layout_(spec.plan) {
    const auto& p = plan_;
    if (!expert_hsdp_supported(p))
      throw InputError(p.where, "fsdp", "HSDP shard groups split expert-DP blocks; expected tp x fsdp.shard_group a "
                                        "multiple of ep x expert_tp with rank_order ep_inner, or no shard_group");
    // HSDP: experts sharded over the expert-DP ranks inside a dense shard group, replicated
    // across the groups (docs/moe.md, "Sharded data parallelism").
    expert_shard_ = p.zero_stage >= 3 && p.shard_ranks() < p.dp ? p.tp * p.shard_ranks() / (layout_.ep() * layout_.expert_tp())
                                                                  : layout_.expert_dp();
    // With tp > 1 the attention runs sequence-parallel (validate_plan) and a MoE block routes
    // its rank's b s / tp tokens (Megatron-Core's alltoall token dispatcher).
    shard_.micro_batch = p.micro_batch, shard_.tp = p.tp, shard_.seq_parallel = p.tp > 1 && p.sequence_parallel;
    shard_.flash_attention = p.flash_attention, shard_.fused_bias_dropout_add = p.fused_bias_dropout_add;
    shard_.gemm_precision = p.gemm_precision;
    shard_.cp = p.cp;  // this rank's s / cp tokens of each sequence (the load-balanced chunks)
    tp_bytes_ = p.tp > 1 ? tp_message_bytes(model_, p) : 0.0;
    moe_shard_.layer = shard_, moe_shard_.expert_tp = p.expert_tp(), moe_shard_.grouped_gemm = p.experts.grouped_gemm;
    // Layers of each (stage, chunk), in the dense generator's placement (costs.hpp; under
    // DualPipe each virtual stage on two ranks).
    const auto per_vs = virtual_stage_layers(p, model_);
    std::vector<int> next(per_vs.size() + 1, 0);
    for (size_t vs = 0; vs < per_vs.size(); ++vs) next[vs + 1] = next[vs] + per_vs[vs];
    first_.assign(p.pp, std::vector<int>(p.chunks)), count_ = first_;
    for (int s = 0; s < p.pp; ++s)
      for (int c = 0; c < p.chunks; ++c) {
        const int vs = chunk_placement(p).virtual_stage(s, c);
        first_[s][c] = next[vs], count_[s][c] = per_vs[vs];
      }
    // Parameters per GPU: dense (reduced over dp by the dense generator) and routed experts.
    workload::MoeMemoryShape shape;
    shape.micro_batch = p.micro_batch, shape.tp = p.tp, shape.ep = p.experts.ep, shape.expert_tp = p.expert_tp();
    dense_params_.assign(p.pp, std::vector<double>(p.chunks, 0)), expert_chunk_params_ = dense_params_;
    expert_params_.assign(p.pp, 0);
    for (int l = 0; l < model_.layers; ++l) layer_params_.push_back(workload::moe_layer_parameters(model_, l, shape));
    for (int s = 0; s < p.pp; ++s)
      for (int c = 0; c < p.chunks; ++c)
        for (int l = first_[s][c]; l < first_[s][c] + count_[s][c]; ++l) {
          const auto& lp = layer_params_[l];
          dense_params_[s][c] += lp.dense, expert_chunk_params_[s][c] += lp.expert, expert_params_[s] += lp.expert;
        }
    tokens_.assign(p.experts.ep, workload::routed_tokens(model_, moe_shard_));
  }

  void add_slots(program::Builder& b) override {
    ep_slot_ = b.slot("ep"), edp_slot_ = b.slot("edp"), tp_slot_ = b.slot("tp");
    if (expert_shard_ < layout_.expert_dp()) edp_replica_slot_ = b.slot("edp-replica");
    // The dense generator's tp-comm stream (interned there first), with tp_comm_overlap.
    if (plan_.tp_comm_overlap && plan_.tp > 1) tp_comm_stream_ = b.stream(program::kTpStream);
    // DualPipe's F&B pairs run one micro-batch's all-to-alls beside the other's compute.
    if (plan_.schedule == schedule::ScheduleKind::DualPipe && layout_.ep() > 1 && plan_.cp == 1)
      ep_stream_ = b.stream(program::kEpStream);
    if (layout_.expert_tp() > 1) etp_slot_ = b.slot("etp");
  }

  // Per stage: an EP group per (expert-DP index, expert-TP rank), an expert-DP group per (EP
  // rank, expert-TP rank), an expert-TP group per (expert-DP index, EP rank). Names without
  // expert TP are those of the expert_tp = 1 generator.
  void add_groups(program::Builder& b, std::vector<std::vector<int32_t>>& groups) override {
    const int ep = layout_.ep(), edp = layout_.expert_dp(), etp = layout_.expert_tp();
    auto name = [&](const char* kind, int s, int i, int t) {
      std::string n = prefix_ + kind + "#" + std::to_string(s) + "." + std::to_string(i);
      if (etp > 1 && t >= 0) (n += '.') += std::to_string(t);
      return n;
    };
    auto ints = [](const std::vector<int>& v) { return std::vector<int32_t>(v.begin(), v.end()); };
    for (int s = 0; s < plan_.pp; ++s)
      for (int t = 0; t < etp; ++t) {
        if (ep > 1)
          for (int d = 0; d < edp; ++d) {
            const int g = b.group(name("ep", s, d, t), ints(layout_.ep_group(s, d, t)));
            for (int e = 0; e < ep; ++e) groups[layout_.rank({s, d, e, t})][ep_slot_] = g;
          }
        // DualPipe: the experts of stages s and pp-1-s live on both ranks s and pp-1-s; one
        // expert-DP group over both reduces them (made at the lower stage). (DualPipe refuses
        // ZeRO-3, so its expert shard is then the whole expert-DP group.)
        const int pair = weight_copies(plan_) > 1 ? plan_.pp - 1 - s : s;
        if (edp * weight_copies(plan_) > 1 && expert_shard_ == edp && pair >= s)
          for (int e = 0; e < ep; ++e) {
            auto members = layout_.expert_dp_group(s, e, t);
            if (pair != s) {
              const auto other = layout_.expert_dp_group(pair, e, t);
              members.insert(members.end(), other.begin(), other.end());
            }
            const int g = b.group(name("edp", s, e, t), ints(members));
            for (int stage : {s, pair})
              for (int d = 0; d < edp; ++d) groups[layout_.rank({stage, d, e, t})][edp_slot_] = g;
          }
        if (expert_shard_ < edp)
          // HSDP: shard groups of consecutive expert-DP ranks (those inside one dense shard
          // group), and the replicas of each shard position across them.
          for (int e = 0; e < ep; ++e) {
            const auto members = layout_.expert_dp_group(s, e, t);
            const int g = expert_shard_, replicas = edp / g;
            for (int k = 0; k < replicas; ++k) {
              const int shard = b.group(name("edp", s, e, t) + ".shard" + std::to_string(k),
                                        ints({members.begin() + k * g, members.begin() + (k + 1) * g}));
              for (int d = k * g; d < (k + 1) * g; ++d) groups[layout_.rank({s, d, e, t})][edp_slot_] = shard;
            }
            for (int i = 0; i < g; ++i) {
              std::vector<int> across;
              for (int k = 0; k < replicas; ++k) across.push_back(members[k * g + i]);
              const int rep = b.group(name("edp", s, e, t) + ".replica" + std::to_string(i), ints(across));
              for (int k = 0; k < replicas; ++k) groups[layout_.rank({s, k * g + i, e, t})][edp_replica_slot_] = rep;
            }
          }
        if (etp > 1 && t == 0)
          for (int d = 0; d < edp; ++d)
            for (int e = 0; e < ep; ++e) {
              const int g = b.group(name("etp", s, d, e), ints(layout_.expert_tp_group(s, d, e)));
              for (int u = 0; u < etp; ++u) groups[layout_.rank({s, d, e, u})][etp_slot_] = g;
            }
      }
  }

  std::vector<StageCosts> stage_costs(const workload::ComputeModel& compute) const override {
    // Context parallelism: the dense generator runs every layer's flash attention (dense and MoE
    // layers share the attention) with its KV traffic before the rest of the op.
    const PassTimes core = plan_.cp > 1 ? flash_attention(compute, workload::attention_ops(model_, shard_)) : PassTimes{};
    const double kv_block = plan_.cp > 1 ? kv_block_bytes(model_, plan_) : 0.0;
    std::vector<StageCosts> out(plan_.pp);
    for (int s = 0; s < plan_.pp; ++s) {
      out[s].chunks.resize(plan_.chunks);
      for (int c = 0; c < plan_.chunks; ++c) {
        auto& ch = out[s].chunks[c];
        ch.first_layer = first_[s][c], ch.layers = count_[s][c], ch.params = dense_params_[s][c];
        ch.attention_fwd = ch.layers * core.fwd, ch.attention_bwd = ch.layers * core.bwd();
        ch.kv_block_bytes = kv_block;
      }
    }
    const schedule::Placement placement = chunk_placement(plan_);
    const int last_vs = placement.virtual_stages() - 1;
    // As for a dense model (part_params): vocabulary-split over tp, a tied head on another stage
    // with its own copy of the word embeddings; on every rank holding them (two under DualPipe).
    const PartParams parts = part_params(model_, plan_);
    for (int s = 0; s < plan_.pp; ++s)
      for (int c = 0; c < plan_.chunks; ++c) {
        auto& ch = out[s].chunks[c];
        if (placement.virtual_stage(s, c) == 0) ch.embedding = true, ch.params += parts.embedding;
        if (placement.virtual_stage(s, c) == last_vs) ch.lm_head = true, ch.params += parts.head;
      }
    return out;
  }

  double optimizer_params(int rank) const override {
    const auto co = layout_.coord(rank);
    return expert_params_[co.stage] / (plan_.zero_stage >= 1 ? expert_shard_ * weight_copies(plan_) : 1);
  }

  // Expert gradients in the plan's reduction precision, or with AllGather the distributed
  // optimizer's bf16 parameters: all the stage's buckets after the backward (or the step).
  void collectives(program::ProgramWriter& w, int stream, int rank, int issued, CollectiveKind kind) override {
    if (layout_.expert_dp() * weight_copies(plan_) <= 1) return;
    const double per_param = kind == CollectiveKind::AllGather ? workload::kWeightBytesPerParam : plan_.grad_reduce_bytes;
    const double bytes = expert_params_[layout_.coord(rank).stage] * per_param;
    if (bytes <= 0) return;
    w.wait(stream, issued);
    w.collective(stream, edp_slot_, expert_dp_collective(kind, bytes, std::max(1.0, std::ceil(bytes / plan_.bucket_bytes))),
                 Role::DpComm);
  }

  double unit_params(int rank, int chunk, int first, int count) const override {
    const int s = layout_.coord(rank).stage, from = first_[s][chunk] + first;
    double params = 0;
    for (int l = from; l < from + count; ++l) params += layer_params_[l].dense;
    const schedule::Placement placement = chunk_placement(plan_);
    const int vs = placement.virtual_stage(s, chunk);
    const PartParams parts = part_params(model_, plan_);
    if (vs == 0 && first == 0) params += parts.embedding;
    if (vs == placement.virtual_stages() - 1 && first + count == count_[s][chunk]) params += parts.head;
    return params;
  }

  // ZeRO-3: the unit's routed experts (E / ep experts at 1 / expert_tp width per MoE layer)
  // gathered, or their gradients reduce-scattered, over expert-DP (torchtitan's FSDP + EP and
  // DeepSpeed-MoE shard expert parameters over the expert-data-parallel group).
  void unit_collective(program::ProgramWriter& w, int stream, int rank, CollectiveKind kind, int chunk, int first,
                       int count) override {
    if (layout_.expert_dp() <= 1) return;
    const int from = first_[layout_.coord(rank).stage][chunk] + first;
    double params = 0;
    for (int l = from; l < from + count; ++l) params += layer_params_[l].expert;
    const double bytes = params * (kind == CollectiveKind::AllGather ? workload::kWeightBytesPerParam : plan_.grad_reduce_bytes);
    if (bytes <= 0) return;
    if (expert_shard_ > 1) w.collective(stream, edp_slot_, expert_dp_collective(kind, bytes, 1), Role::DpComm);
    // HSDP: the reduced shard then all-reduced across the replicas.
    if (kind == CollectiveKind::ReduceScatter && edp_replica_slot_ >= 0)
      w.collective(stream, edp_replica_slot_, expert_dp_collective(CollectiveKind::AllReduce, bytes / expert_shard_, 1),
                   Role::DpComm);
  }

  // overlap_grad_reduce: the chunk's expert buckets (their own buffers in Megatron-Core, reduced
  // over expert-DP) in at most 4 groups (training/buckets.hpp), group g going out once the MoE
  // layers its buckets cover are done (every MoE layer of a stage holds the same experts'
  // parameters, so the buckets spread evenly over them).
  void release_gradients(program::ProgramWriter& w, int stream, int rank, int issued, CollectiveKind kind, int chunk,
                         int layer) override {
    if (layout_.expert_dp() * weight_copies(plan_) <= 1) return;  // (DualPipe: the pair makes a group)
    const int s = layout_.coord(rank).stage, first = first_[s][chunk], n = count_[s][chunk];
    const double bytes = expert_chunk_params_[s][chunk] * plan_.grad_reduce_bytes;
    if (bytes <= 0) return;
    int moe_layers = 0, done = 0;  // MoE layers of the chunk, and those done once `layer` is
    for (int l = first; l < first + n; ++l)
      if (model_.is_moe_layer(l)) ++moe_layers, done += l >= first + layer;
    const int buckets = static_cast<int>(std::max(1.0, std::ceil(bytes / plan_.bucket_bytes)));
    const auto groups = release_groups(buckets);
    const bool moe = model_.is_moe_layer(first + layer);
    const int before = complete_groups(groups, buckets, moe_layers, done - moe), after = complete_groups(groups, buckets, moe_layers, done);
    if (after > before) w.wait(stream, issued);
    for (int g = before; g < after; ++g)
      w.collective(stream, edp_slot_, expert_dp_collective(kind, bytes * groups[g] / buckets, groups[g]), Role::DpComm);
  }

  // The distributed optimizer's overlapped all-gather of `share` of the chunk's experts over
  // expert-DP, beside the dense bucket group of the same share (Megatron-Core keeps expert
  // parameters in their own buffers, gathered over the expert-data-parallel group).
  void parameter_gather(program::ProgramWriter& w, int stream, int rank, int chunk, double share) override {
    if (layout_.expert_dp() * weight_copies(plan_) <= 1) return;
    const double bytes = expert_chunk_params_[layout_.coord(rank).stage][chunk] * workload::kWeightBytesPerParam * share;
    if (bytes <= 0) return;
    // its share of the buckets
    const double count = share * std::max(1.0, std::ceil(bytes / share / plan_.bucket_bytes));
    w.collective(stream, edp_slot_, expert_dp_collective(CollectiveKind::AllGather, bytes, count), Role::DpComm);
  }

  void pass(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& op,
            const std::function<void(int)>& at_layer) override {
    if (ep_stream_ < 0) return write_op(w, stream, rank, iteration, op, at_layer);
    // DualPipe: the EP slot's all-to-alls live on the ep-comm stream (one stream per slot), the
    // compute stream waiting for each. The op's layers are interleaved with the stream's waits,
    // so the caller's hook runs for every layer before a forward (overlap_param_gather at the
    // chunk's first forward: it waits for all of the chunk's parameters) or after a backward
    // (overlap_grad_reduce at the chunk's last: its buckets go out at the op's end) instead of
    // layer by layer. (ZeRO-3, whose per-unit gathers need the hook between layers, is refused
    // with DualPipe: parallel/plan.cpp.)
    const int layers = count_[layout_.coord(rank).stage][op.chunk];
    const bool forward = op.type == schedule::OpType::Forward;
    if (at_layer && forward)
      for (int k = 0; k < layers; ++k) at_layer(k);
    std::vector<Item> items[1];
    record(w, stream, rank, iteration, op, items[0]);
    interleave(w, stream, items);
    if (at_layer && !forward)
      for (int k = layers - 1; k >= 0; --k) at_layer(k);
  }

  // DualPipe's F&B (docs/moe.md, "DualPipe"): forward `f` and backward `b` of two micro-batches
  // interleaved as DeepSeek-V3's Fig. 4 does: each op is cut at its all-to-alls into compute
  // segments c_0 a_1 c_1 ... a_k c_k; the compute stream runs f.c_0, b.c_0, f.c_1, b.c_1, ...,
  // the "ep-comm" stream the all-to-alls f.a_1, b.a_1, f.a_2, ... in that order, each all-to-all
  // starting when the compute segment before it ended and each compute segment waiting for the
  // all-to-all before it: one micro-batch's dispatch and combine run during the other's compute.
  void overlapped_pair(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& f,
                       const schedule::PipelineOp& b) override {
    if (ep_stream_ < 0) {  // nothing to overlap: back to back
      write_op(w, stream, rank, iteration, f, {});
      write_op(w, stream, rank, iteration, b, {});
      return;
    }
    std::vector<Item> items[2];
    record(w, stream, rank, iteration, f, items[0]);
    record(w, stream, rank, iteration, b, items[1]);
    interleave(w, stream, items);
  }

 private:
  // What write_op() writes, one op at a time: a compute op (slot -1) or a collective on `slot`.
  struct Item {
    int slot = -1;
    double seconds = 0;
    Collective c;
    Role role = Role::Forward;
  };
  std::vector<Item>* recording_ = nullptr;  // record() collects write_op()'s ops here
  int ep_stream_ = -1;                      // "ep-comm" under DualPipe with ep > 1, else -1

  // Writes schedule op `op` (TrainingExtension::pass), or records its ops when recording_ is set.
  void write_op(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& op,
                const std::function<void(int)>& at_layer) {
    const ExpertCoord co = layout_.coord(rank);
    select_rank(rank, co);
    const FixedCosts& f = fixed(layout_.ranks().gpu_of_rank(rank));
    const int first = first_[co.stage][op.chunk], n = count_[co.stage][op.chunk];
    const schedule::Placement placement = chunk_placement(plan_);
    const int vs = placement.virtual_stage(co.stage, op.chunk);
    const bool embedding = vs == 0;
    const bool head = vs == placement.virtual_stages() - 1;
    const bool full = plan_.recompute == workload::Recompute::Full;
    const bool selective = plan_.recompute == workload::Recompute::Selective;
    const bool ep = layout_.ep() > 1, etp = layout_.expert_tp() > 1;
    // Kernels between two expert-parallel collectives are summed into one compute op, followed
    // by their tensor-parallel all-reduces (`tp` of them; with sequence parallelism each stands
    // for an all-gather + reduce-scatter pair of the same volume, as in the dense generator).
    // With tp_comm_overlap the all-reduces run beside the GEMMs they belong to (`gemm`: the
    // attention's, a dense layer's and the shared experts', not the router's or the routed
    // experts'), by the dense generator's rule (write_tp_pass).
    double pending = 0, gemm = 0;
    int tp = 0;
    Role role = Role::Forward;
    auto flush = [&] {
      if (recording_) {  // DualPipe's ops, interleaved later (tp_comm_overlap is refused with it)
        if (pending > 0) put(w, stream, {-1, pending, {}, role});
        if (tp > 0 && tp_bytes_ > 0) put(w, stream, {tp_slot_, 0, tp_all_reduces(tp), Role::TpComm});
      } else if (pending > 0 || tp > 0) {
        write_tp_pass(w, {stream, tp_comm_stream_, tp_slot_, plan_.tp}, pending, gemm, 1, tp_all_reduces(tp), role);
      }
      pending = 0, gemm = 0, tp = 0;
    };
    // An all-to-all of layer l, micro-batch op.micro_batch: as flows with this GPU's per-peer
    // bytes (`which` picks them, offsets()), or in closed form.
    auto all_to_all = [&](int l, int Offsets::*which, double bytes_per_element) {
      flush();
      Collective c;
      c.kind = CollectiveKind::AllToAll, c.algorithm = CollectiveAlgorithm::Direct;
      c.granularity = plan_.experts.all_to_all;
      if (c.granularity != Granularity::ClosedForm) {
        c.per_peer = offsets(w, co, l, iteration, op.micro_batch).*which;
      } else {
        // Closed forms do not synchronise: the barrier makes the group wait for its last member.
        Collective barrier;
        barrier.kind = CollectiveKind::Barrier, barrier.algorithm = CollectiveAlgorithm::Direct;
        put(w, stream, {ep_slot_, 0, barrier, Role::Wait});
        c.bytes = sample(co, co.etp, l, iteration, op.micro_batch).closed_form_rows * model_.hidden * bytes_per_element;
      }
      put(w, stream, {ep_slot_, 0, c, Role::Collective});
    };
    // Expert tensor parallelism: the rows the expert-TP group received are all-gathered before
    // the experts (each rank then computes every row with its 1/expert_tp of the width) and
    // their outputs reduce-scattered after (Megatron-Core's alltoall dispatcher); in the
    // backward the transposes, a gather of the output gradients and a reduce-scatter of the
    // input gradients. Closed form over the "etp" group, S = the gathered rows.
    auto expert_tp = [&](CollectiveKind kind, const FfnCosts& c, double bytes_per_element) {
      if (!etp) return;
      flush();
      Collective x;
      x.kind = kind, x.algorithm = CollectiveAlgorithm::Ring, x.granularity = Granularity::ClosedForm;
      x.bytes = c.gathered_rows * model_.hidden * bytes_per_element;
      put(w, stream, {etp_slot_, 0, x, Role::Collective});
    };
    // The caller's hook at layer k of the chunk, once the kernels so far (and their TP
    // collectives) are written: before each layer of a forward whose parameters are still being
    // gathered (overlap_param_gather), after each layer of the chunk's last backward, which
    // releases the gradient buckets the layer completes (overlap_grad_reduce).
    auto hook = [&](int k) {
      if (!at_layer) return;
      flush();
      at_layer(k);
    };
    const double dispatch_bytes = workload::operand_bytes(plan_.gemm_precision);
    const int tp_attention = tp_bytes_ > 0 ? 1 : 0, tp_dense = 2 * tp_attention;
    const int tp_shared = model_.moe.shared_ffn_hidden > 0 ? tp_attention : 0;
    switch (op.type) {
      case OpType::Forward: {
        role = Role::Forward;
        // Parameters still being gathered (overlap_param_gather): the caller's waits go before
        // each layer (and the embedding).
        hook(0);
        if (embedding) pending += f.embedding.fwd, tp += tp_attention;  // vocab-parallel embedding
        for (int l = first; l < first + n; ++l) {
          if (l > first) hook(l - first);
          if (!model_.is_moe_layer(l)) {
            pending += f.dense_layer.fwd, gemm += f.dense_layer_gemm.fwd, tp += tp_dense;
            continue;
          }
          const FfnCosts& c = ffn(co, l, iteration, op.micro_batch);
          pending += f.attention.fwd + c.route.fwd, gemm += f.attention_gemm.fwd, tp += tp_attention;
          if (ep) all_to_all(l, &Offsets::dispatch, dispatch_bytes);
          expert_tp(CollectiveKind::AllGather, c, dispatch_bytes);
          // dispatch above: this GPU's rows to the experts' GPUs
          pending += c.experts.fwd, gemm += c.shared_gemm.fwd, tp += tp_shared;
          expert_tp(CollectiveKind::ReduceScatter, c, 2);
          if (ep) all_to_all(l, &Offsets::combine, 2);
          pending += c.unroute.fwd;  // combine above: the experts' outputs back to their tokens' GPUs
        }
        if (head) pending += f.lm_head.fwd;
        flush();
        return;
      }
      case OpType::BackwardWeight: {
        role = Role::BackwardWeight;
        if (head) pending += f.lm_head.bwd_weight;
        for (int l = first + n - 1; l >= first; --l) {
          if (!model_.is_moe_layer(l)) {
            pending += f.dense_layer.bwd_weight;
          } else {
            const FfnCosts& c = ffn(co, l, iteration, op.micro_batch);
            pending += f.attention.bwd_weight + c.route.bwd_weight + c.experts.bwd_weight + c.unroute.bwd_weight;
          }
          hook(l - first);
        }
        if (embedding) pending += f.embedding.bwd_weight;
        flush();
        return;
      }
      case OpType::Backward:
      case OpType::BackwardInput: {
        const bool weights = op.type == OpType::Backward;
        role = weights ? Role::Backward : Role::BackwardInput;
        auto bwd = [&](const PassTimes& t) { return t.bwd_input + (weights ? t.bwd_weight : 0); };
        // GEMMs of a backward, and of the forward full recomputation re-runs in it.
        auto bwd_gemm = [&](const PassTimes& t) { return bwd(t) + (full ? t.fwd : 0); };
        // Full recomputation re-runs the forward's kernels and its TP all-reduces.
        const int again = full ? 2 : 1;
        if (head) pending += bwd(f.lm_head), tp += tp_attention;  // column-parallel head: its input gradient
        for (int l = first + n - 1; l >= first; --l) {
          if (!model_.is_moe_layer(l)) {
            pending += bwd(f.dense_layer) + (full ? f.dense_layer.fwd + f.core.fwd : selective ? f.dense_recompute : 0);
            gemm += bwd_gemm(f.dense_layer_gemm), tp += again * tp_dense;
            hook(l - first);
            continue;
          }
          const FfnCosts& c = ffn(co, l, iteration, op.micro_batch);
          // Full recomputation re-runs the layer's forward kernels (its all-to-alls are not
          // repeated: the routed rows are kept, docs/moe.md).
          if (full) pending += f.attention.fwd + f.core.fwd + c.route.fwd + c.experts.fwd + c.unroute.fwd;
          pending += bwd(c.unroute);
          if (ep) all_to_all(l, &Offsets::combine_t, 2);  // combine's transpose: output gradients to the experts' GPUs
          expert_tp(CollectiveKind::AllGather, c, 2);
          pending += bwd(c.experts), gemm += bwd_gemm(c.shared_gemm), tp += again * tp_shared;
          expert_tp(CollectiveKind::ReduceScatter, c, 2);
          if (ep) all_to_all(l, &Offsets::dispatch_t, 2);  // dispatch's transpose: input gradients back
          pending += bwd(c.route) + bwd(f.attention) + (selective ? f.attention_recompute : 0);
          gemm += bwd_gemm(f.attention_gemm), tp += again * tp_attention;
          hook(l - first);
        }
        if (embedding && weights) pending += f.embedding.bwd_weight;
        flush();
        return;
      }
    }
  }

  // The ops of one or two schedule ops (`items`, as recorded) written with their EP all-to-alls
  // on the ep-comm stream: compute segments of the ops in turn on `stream`, each all-to-all after
  // the segment before it, each segment after its op's all-to-all before it.
  template <size_t N>
  void interleave(program::ProgramWriter& w, int stream, const std::vector<Item> (&items)[N]) {
    size_t next[N] = {};
    int ready[N];  // event of the op's last all-to-all, which its next segment waits for
    std::fill(ready, ready + N, -1);
    const auto is_ep = [&](const Item& x) { return x.slot >= 0 && x.slot == ep_slot_; };
    // One step of op k: its next compute segment, then the all-to-all after it on the EP stream.
    auto step = [&](size_t k) {
      const auto& list = items[k];
      size_t& i = next[k];
      if (ready[k] >= 0) w.wait(stream, ready[k]), ready[k] = -1;
      for (; i < list.size() && !is_ep(list[i]); ++i) put(w, stream, list[i]);
      if (i == list.size()) return;
      w.wait(ep_stream_, w.record(stream));
      for (; i < list.size() && is_ep(list[i]); ++i) put(w, ep_stream_, list[i]);
      ready[k] = w.record(ep_stream_);
    };
    for (bool left = true; left;) {
      left = false;
      for (size_t k = 0; k < N; ++k)
        if (next[k] < items[k].size()) step(k), left = true;
    }
    for (size_t k = 0; k < N; ++k)
      if (ready[k] >= 0) w.wait(stream, ready[k]);
  }

  void record(program::ProgramWriter& w, int stream, int rank, int iteration, const schedule::PipelineOp& op,
              std::vector<Item>& into) {
    recording_ = &into;
    write_op(w, stream, rank, iteration, op, {});
    recording_ = nullptr;
  }

  void put(program::ProgramWriter& w, int stream, const Item& x) {
    if (recording_) return recording_->push_back(x);
    if (x.slot < 0) return w.compute(stream, x.seconds, x.role);
    w.collective(stream, x.slot, x.c, x.role);
  }

  // A collective of `bytes` over the expert-DP group, `count` buckets' latencies.
  Collective expert_dp_collective(CollectiveKind kind, double bytes, double count) const {
    Collective c;
    c.kind = kind, c.algorithm = plan_.dp_algorithm, c.bytes = bytes, c.count = count;
    return c;
  }

  // `count` closed-form ring all-reduces of one activation over the attention's TP group.
  Collective tp_all_reduces(int count) const {
    Collective c;
    c.kind = CollectiveKind::AllReduce, c.algorithm = CollectiveAlgorithm::Ring, c.granularity = Granularity::ClosedForm;
    c.bytes = count * tp_bytes_, c.count = count;
    return c;
  }

  const workload::ModelSpec& model_;
  const ParallelPlan& plan_;
  const PlatformSpec& platform_;
  uint64_t seed_;
  std::string prefix_;
  ExpertLayout layout_;
  workload::LayerShard shard_;
  workload::MoeShard moe_shard_;
  std::vector<std::vector<int>> first_, count_;  // [stage][chunk]: first layer, layers
  std::vector<std::vector<double>> dense_params_;
  std::vector<workload::LayerParameters> layer_params_;  // per layer: dense and routed-expert parameters per GPU
  std::vector<double> expert_params_;  // [stage]: routed-expert parameters per GPU
  std::vector<std::vector<double>> expert_chunk_params_;  // [stage][chunk]: the same per chunk
  std::vector<int64_t> tokens_;        // tokens each EP rank routes per micro-batch
  int ep_slot_ = -1, edp_slot_ = -1, tp_slot_ = -1, etp_slot_ = -1;
  int tp_comm_stream_ = -1;
  int expert_shard_ = 1;           // expert-DP ranks an expert's states are sharded over (ZeRO >= 1)
  int edp_replica_slot_ = -1;      // HSDP: the replicas of an expert shard
  double tp_bytes_ = 0;  // one attention-TP all-reduce (tp_message_bytes), 0 without TP
  std::map<const GpuModel*, std::pair<workload::ComputeModel, FixedCosts>> fixed_;

  // Routing of the current stage's EP groups, by (iteration, layer, micro-batch, group).
  using Key = std::tuple<int, int, int, int>;
  int stage_ = -1;
  struct Sample : workload::RoutingSample {
    // Rows of the symmetric all-to-all (each member sending rows / ep to each) whose busiest
    // link carries what the drawn one's busiest member does (closed-form all-to-alls).
    double closed_form_rows = 0;
  };
  std::map<Key, Sample> samples_;
  std::map<int, workload::ExpertPlacement> placements_;  // by expert-DP index (group)
  // The current rank's FFN costs and all-to-all offsets, by (iteration, layer, micro-batch).
  int rank_ = -1;
  std::map<Key, FfnCosts> ffn_;
  struct Offsets {
    int dispatch = 0, combine = 0, combine_t = 0, dispatch_t = 0;
  };
  std::map<Key, Offsets> offsets_;
  const workload::ComputeModel* compute_ = nullptr;

  void select_rank(int rank, const ExpertCoord& co) {
    if (rank == rank_) return;
    rank_ = rank, ffn_.clear(), offsets_.clear();
    if (co.stage != stage_) stage_ = co.stage, samples_.clear(), placements_.clear();
  }

  const FixedCosts& fixed(int gpu) {
    const GpuModel& g = platform_.clusters[cluster_of_gpu(platform_, gpu)].gpu;
    auto it = fixed_.find(&g);
    if (it == fixed_.end()) {
      workload::ComputeModel cm(g);
      FixedCosts f;
      const int b = plan_.micro_batch, tp = plan_.tp;
      if (model_.moe.dense_layers > 0) {
        const auto ops = workload::layer_ops(model_, shard_);
        f.dense_layer = cm.pass_times(ops), f.dense_recompute = core_attention_forward(cm, ops);
        f.dense_layer_gemm = kernel_times(cm, ops, workload::OpKind::Gemm);
      }
      const auto att = workload::attention_ops(model_, shard_);
      f.attention = cm.pass_times(att), f.attention_recompute = core_attention_forward(cm, att);
      f.attention_gemm = kernel_times(cm, att, workload::OpKind::Gemm);
      if (plan_.cp > 1) {
        f.core = flash_attention(cm, att);
        for (PassTimes* t : {&f.attention, &f.dense_layer})
          t->fwd -= f.core.fwd, t->bwd_input -= f.core.bwd_input, t->bwd_weight -= f.core.bwd_weight;
      }
      f.embedding = cm.embedding(model_, b, tp, shard_.seq_parallel);
      f.lm_head = cm.lm_head(model_, b, tp, shard_.seq_parallel);
      it = fixed_.emplace(&g, std::make_pair(std::move(cm), f)).first;
    }
    compute_ = &it->second.first;
    return it->second.second;
  }

  // The routing of the EP group of expert-TP rank `etp` in co's stage and expert-DP index.
  const Sample& sample(const ExpertCoord& co, int etp, int layer, int iteration, int mb) {
    const int in_stage = co.edp * layout_.expert_tp() + etp;  // = co.edp without expert TP
    const Key key{iteration, layer, mb, in_stage};
    auto it = samples_.find(key);
    if (it != samples_.end()) return it->second;
    auto pl = placements_.find(in_stage);
    if (pl == placements_.end())
      pl = placements_.emplace(in_stage, expert_placement(layout_.ep_group(co.stage, co.edp, etp), model_.moe.experts, platform_))
               .first;
    // The group index makes each EP group of the job draw its own tokens.
    const int group = co.stage * layout_.expert_dp() * layout_.expert_tp() + in_stage;
    Sample s{workload::route_tokens(plan_.experts.routing, model_.moe, pl->second, tokens_, seed_,
                                    {iteration, layer, mb, group})};
    s.closed_form_rows = closed_form_rows(s);
    return samples_.emplace(key, std::move(s)).first->second;
  }

  // docs/moe.md, "Closed-form all-to-alls". Within a node: the most rows any member sends to
  // or receives from the others, times n / (n - 1). Across nodes the InfiniBand ports bound it:
  // the most tokens any member sends to other nodes (once per node, as DeepSeek's dispatch
  // deduplicates them and forwards over NVLink), or any node receives from the others per GPU,
  // times n / (n - g) for g members per node. The combine and the backward's transposes move
  // the same counts the other way.
  static double closed_form_rows(const workload::RoutingSample& s) {
    const int n = s.ep;
    double busiest = 0;
    if (s.nodes <= 1) {
      for (int r = 0; r < n; ++r) {
        double out = 0, in = 0;
        for (int p = 0; p < n; ++p)
          if (p != r) out += double(s.rows(r, p)), in += double(s.rows(p, r));
        busiest = std::max({busiest, out, in});
      }
      return busiest * n / (n - 1);
    }
    std::vector<double> into(s.nodes, 0), members(s.nodes, 0);
    for (int r = 0; r < n; ++r) {
      const int own = s.node_of_rank[r];
      members[own] += 1;
      double out = 0;
      for (int node = 0; node < s.nodes; ++node)
        if (node != own) out += double(s.node_tokens[std::size_t(r) * s.nodes + node]), into[node] += double(s.node_tokens[std::size_t(r) * s.nodes + node]);
      busiest = std::max(busiest, out);
    }
    for (int node = 0; node < s.nodes; ++node) busiest = std::max(busiest, into[node] / members[node]);
    const double g = double(n) / s.nodes;
    return busiest * n / (n - g);
  }

  const FfnCosts& ffn(const ExpertCoord& co, int layer, int iteration, int mb) {
    const Key key{iteration, layer, mb, 0};
    auto it = ffn_.find(key);
    if (it != ffn_.end()) return it->second;
    const auto& s = sample(co, co.etp, layer, iteration, mb);
    // With expert TP the GPU's experts compute the rows every member of its expert-TP group
    // received (each from its own EP group's routing).
    std::vector<int64_t> rows = s.local_expert_rows(co.ep);
    for (int t = 0; t < layout_.expert_tp(); ++t)
      if (t != co.etp) {
        const auto other = sample(co, t, layer, iteration, mb).local_expert_rows(co.ep);
        for (size_t e = 0; e < rows.size(); ++e) rows[e] += other[e];
      }
    const auto ops = workload::moe_ffn_ops(model_, moe_shard_, s.rows_sent(co.ep), rows);
    FfnCosts c;
    for (int64_t r : rows) c.gathered_rows += double(r);
    c.route = compute_->pass_times(ops.route);
    std::vector<workload::Op> experts = ops.experts;
    experts.insert(experts.end(), ops.shared.begin(), ops.shared.end());
    c.experts = compute_->pass_times(experts);
    c.shared_gemm = kernel_times(*compute_, ops.shared, workload::OpKind::Gemm);
    c.unroute = compute_->pass_times(ops.unroute);
    return ffn_.emplace(key, c).first->second;
  }

  // Offsets in the program's values of the bytes this GPU sends to each EP rank: the dispatch
  // sends its routed rows (1-byte elements with FP8 GEMMs: DeepSeek-V3 dispatches in FP8), the
  // combine the rows its experts computed for each source (bf16); the backward's transposes
  // send bf16 gradients the other way (combine's transpose the dispatch's rows, dispatch's
  // transpose the combine's).
  Offsets offsets(program::ProgramWriter& w, const ExpertCoord& co, int layer, int iteration, int mb) {
    const Key key{iteration, layer, mb, 0};
    auto it = offsets_.find(key);
    if (it != offsets_.end()) return it->second;
    const auto& s = sample(co, co.etp, layer, iteration, mb);
    auto& values = w.program().values;
    auto push = [&](bool outgoing, double bytes_per_element) {
      const int at = static_cast<int>(values.size());
      for (int p = 0; p < s.ep; ++p)
        values.push_back(p == co.ep ? 0 : double(outgoing ? s.rows(co.ep, p) : s.rows(p, co.ep)) * model_.hidden * bytes_per_element);
      return at;
    };
    Offsets o;
    o.combine_t = push(true, 2), o.combine = o.dispatch_t = push(false, 2);
    const double dispatch_bytes = workload::operand_bytes(plan_.gemm_precision);
    o.dispatch = dispatch_bytes == 2 ? o.combine_t : push(true, dispatch_bytes);
    return offsets_.emplace(key, o).first->second;
  }
};

}  // namespace

std::unique_ptr<TrainingExtension> make_moe_extension(const TrainingSpec& spec, const PlatformSpec& platform,
                                                      uint64_t seed, const std::string& prefix) {
  return std::make_unique<MoeExtension>(spec, platform, seed, prefix);
}

}  // namespace trainsim
