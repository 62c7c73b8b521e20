#include "training/programs.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <tuple>

#include "core/random.hpp"
#include "parallel/layout.hpp"
#include "schedule/in_flight.hpp"
#include "schedule/schedule.hpp"
#include "training/accounting.hpp"
#include "training/buckets.hpp"
#include "training/costs.hpp"
#include "training/fsdp.hpp"
#include "training/moe_programs.hpp"
#include "training/simulator.hpp"

namespace trainsim {

using program::Collective;
using program::MarkerKind;
using program::MemoryCategory;
using program::Role;
using schedule::OpType;

std::vector<double> straggler_factors(const StragglerSpec& s, int gpus, uint64_t seed) {
  std::vector<double> f(gpus, 1.0);
  if (s.sigma > 0) {
    Rng rng = Rng(seed).fork("stragglers");
    for (auto& x : f) x = rng.lognormal(s.sigma);
  }
  for (auto [g, factor] : s.gpus)
    if (g >= 0 && g < gpus) f[g] = factor;
  return f;
}

int cluster_of_gpu(const PlatformSpec& platform, int gpu) {
  int first = 0;
  for (size_t c = 0; c < platform.clusters.size(); ++c) {
    first += platform.clusters[c].nodes * platform.clusters[c].gpus_per_node;
    if (gpu < first) return static_cast<int>(c);
  }
  throw InternalError("GPU " + std::to_string(gpu) + " is not on the platform");
}

void write_tp_pass(program::ProgramWriter& w, const TpStreams& s, double compute, double gemm, double share,
                   const Collective& tp, Role role) {
  if (s.tp_comm < 0 || tp.count <= 0) {
    w.compute(s.compute, compute * share, role);
    if (tp.count > 0) w.collective(s.compute, s.slot, tp, Role::TpComm);
    return;
  }
  const double hidden = std::min(gemm, compute) * (s.tp - 1) / s.tp;
  w.compute(s.compute, (compute - hidden) * share, role);
  w.wait(s.tp_comm, w.record(s.compute));
  w.collective(s.tp_comm, s.slot, tp, Role::TpComm);
  const int done = w.record(s.tp_comm);
  w.compute(s.compute, hidden * share, role);
  w.wait(s.compute, done);
}

namespace {

// Gradient buckets are released in groups (training/buckets.hpp).

// Everything one rank's program is made of, shared by the ranks of the job.
struct Job {
  const TrainingSpec& spec;
  const ParallelPlan& plan;
  schedule::Schedule sched;
  schedule::Placement placement;
  int pp = 1, dp = 1, tp = 1, cp = 1, m = 1, v = 1, V = 1;
  double pp_bytes = 0, tp_bytes = 0, full_activation = 0, embedding_grad_bytes = 0;
  double grad_bytes = 2;  // per gradient element reduced (grad_reduce_precision)
  bool gather_after_recv = false, embedding_sync = false, has_dp = false, zero3 = false;
  bool hsdp = false;            // ZeRO-3 sharded within groups of the DP group, replicated across
  bool param_overlap = false;   // distributed optimizer's all-gather during the next forward
  bool tp_overlap = false;      // TP collectives on the tp-comm stream beside the GEMMs
  CollectiveKind grad_collective = CollectiveKind::AllReduce;
  std::vector<std::vector<int>> last_grad_op{};      // [stage][chunk]: op whose end completes its gradients
  std::vector<std::vector<int>> first_forward_op{};  // [stage][chunk]: the chunk's first forward
  std::vector<workload::MemoryEstimate> memory{};    // per stage
  std::vector<std::vector<double>> activation_per_op{};  // [stage][chunk]: one (micro-batch, chunk)'s activations
  // [stage]: its chunks by descending virtual stage, the order every member of a gradient group
  // reduces them in (under DualPipe the pair's ranks hold the same two stages as chunks 0 and 1
  // the other way round; the distributed optimizer's all-gathers run in the reverse order).
  std::vector<std::vector<int>> reduction_order{};
  TrainingExtension* ext = nullptr;  // a layered generator (expert parallelism), or none
  // Slots and streams.
  int cs = 0, ds = 0, ts = -1, pp_slot = 0, tp_slot = 0, dp_slot = 0, emb_slot = 0, replica_slot = -1;
  int cps = -1, cp_slot = -1;  // context parallelism: the KV stream and group (cp > 1)

  int bucket_count(double bytes) const { return std::max(1, static_cast<int>(std::ceil(bytes / plan.bucket_bytes))); }
  uint64_t tag(int it, int dir, int mb, int vs) const {
    return ((static_cast<uint64_t>(it) * 2 + dir) * V + vs) * m + mb;
  }
};

Collective collective(CollectiveKind kind, CollectiveAlgorithm algorithm, double bytes, double count = 1,
                      Granularity granularity = Granularity::Aggregated) {
  Collective c;
  c.kind = kind, c.algorithm = algorithm, c.bytes = bytes, c.count = count, c.granularity = granularity;
  return c;
}

// What one schedule op runs of a chunk or an FSDP unit: its kernels' seconds, the GEMM seconds
// among them, its tensor-parallel all-reduces.
struct Work {
  double compute = 0, gemm = 0;
  int tp_count = 0;
  Role role = Role::Forward;
};

Work work_of(const PartCosts& p, OpType type) {
  switch (type) {
    case OpType::Forward: return {p.fwd_compute, p.fwd_gemm, p.tp_fwd_count, Role::Forward};
    case OpType::Backward:
      return {p.bwd_input_compute + p.bwd_weight, p.bwd_input_gemm + p.bwd_weight_gemm, p.tp_bwd_count, Role::Backward};
    case OpType::BackwardInput: return {p.bwd_input_compute, p.bwd_input_gemm, p.tp_bwd_count, Role::BackwardInput};
    case OpType::BackwardWeight: return {p.bwd_weight, p.bwd_weight_gemm, 0, Role::BackwardWeight};
  }
  return {};
}

// A whole chunk as one part (its totals).
PartCosts whole(const ChunkCosts& c) {
  PartCosts p;
  p.fwd_compute = c.fwd_compute, p.bwd_input_compute = c.bwd_input_compute, p.bwd_weight = c.bwd_weight;
  p.fwd_gemm = c.fwd_gemm, p.bwd_input_gemm = c.bwd_input_gemm, p.bwd_weight_gemm = c.bwd_weight_gemm;
  p.tp_fwd_count = c.tp_fwd_count, p.tp_bwd_count = c.tp_bwd_count;
  p.params = c.params;
  return p;
}

// Writes the program of one rank of stage `stage`.
class RankWriter {
 public:
  RankWriter(const Job& job, program::Program& p, int rank, int stage, const StageCosts& costs, double optimizer_seconds,
             int cp_rank = 0)
      : job_(job), w_(p), rank_(rank), stage_(stage), costs_(costs), optimizer_seconds_(optimizer_seconds), cp_rank_(cp_rank) {
    if (!job_.zero3) return;
    for (int ch = 0; ch < static_cast<int>(costs_.chunks.size()); ++ch) {
      const auto& c = costs_.chunks[ch];
      auto& layers = unit_layers_.emplace_back();
      if (job_.ext) {
        // A layered generator writes whole ops: units of layers only, the embedding in the
        // chunk's first, the head in its last; each unit's dense parameters from the generator.
        auto& units = units_.emplace_back();
        int first = 0;
        for (int n : fsdp_unit_layers(c.layers, job_.plan.fsdp.unit_layers)) {
          units.emplace_back().params = job_.ext->unit_params(rank_, ch, first, n);
          layers.push_back(n), first += n;
        }
        continue;
      }
      units_.push_back(fsdp_units(c, job_.plan.fsdp.unit_layers));
      // Transformer layers of each unit, in fsdp_units' order (embedding, layer units, head).
      if (c.embedding) layers.push_back(0);
      for (int n : fsdp_unit_layers(c.layers, job_.plan.fsdp.unit_layers)) layers.push_back(n);
      if (c.lm_head) layers.push_back(0);
    }
    // The iteration's gathers in the order the units run: a forward walks its chunk's units
    // forwards, an (input) backward backwards; weight-gradient ops need no parameters.
    const auto& ops = job_.sched[stage_];
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
      if (ops[i].type == OpType::BackwardWeight) continue;
      for (int u : unit_order(ops[i])) {
        gather_sequence_.push_back(gather_bytes(ops[i].chunk, u));
        gather_unit_.emplace_back(ops[i].chunk, u);
      }
    }
  }

  void write() {
    const auto& mem = job_.memory[stage_];
    // Model state, communication buffers and framework memory are held throughout.
    w_.alloc(job_.cs, MemoryCategory::Weights, mem.weights);
    w_.alloc(job_.cs, MemoryCategory::Gradients, mem.gradients);
    w_.alloc(job_.cs, MemoryCategory::Optimizer, mem.optimizer);
    w_.alloc(job_.cs, MemoryCategory::CommBuffers, mem.comm_buffers);
    w_.alloc(job_.cs, MemoryCategory::Overhead, mem.overhead);
    for (int it = 0; it < job_.plan.iterations; ++it) iteration(it);
  }

 private:
  const Job& job_;
  program::ProgramWriter w_;
  int rank_;
  int stage_;
  const StageCosts& costs_;
  double optimizer_seconds_;
  int cp_rank_;
  // ZeRO-3: per chunk its units (forward order); the iteration's gathers in order (bf16
  // bytes, 0 for a unit without parameters: skipped), their events once issued, the next one.
  std::vector<std::vector<PartCosts>> units_;
  std::vector<std::vector<int>> unit_layers_;  // [chunk][unit]: transformer layers of the unit
  std::vector<double> gather_sequence_;
  std::vector<std::pair<int, int>> gather_unit_;  // (chunk, unit) of each gather
  std::vector<int> gathered_;
  int next_gather_ = 0;
  // Distributed optimizer with overlap_param_gather: per chunk, the events of its bucket
  // groups' all-gathers issued at the iteration's start.
  std::vector<std::vector<int>> params_ready_;

  std::vector<int> unit_order(const schedule::PipelineOp& op) const {
    const int n = static_cast<int>(units_[op.chunk].size());
    std::vector<int> order(n);
    for (int u = 0; u < n; ++u) order[u] = op.type == OpType::Forward ? u : n - 1 - u;
    return order;
  }
  double gather_bytes(int chunk, int unit) const {
    return units_[chunk][unit].params * workload::kWeightBytesPerParam;
  }

  // The dp-comm stream runs `c` (on `slot`) once the compute stream has reached this point.
  void on_comm_stream_after(int issued, int slot, const Collective& c) {
    w_.wait(job_.ds, issued);
    w_.collective(job_.ds, slot, c, Role::DpComm);
  }

  // `share` of a compute op's kernels and of its tensor-parallel all-reduces (buckets released
  // part-way through an op split it), by write_tp_pass.
  void pass(const Work& x, double share) {
    const Collective tp = collective(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring,
                                     x.tp_count * share * job_.tp_bytes, x.tp_count * share, Granularity::ClosedForm);
    write_tp_pass(w_, {job_.cs, job_.tp_overlap ? job_.ts : -1, job_.tp_slot, job_.tp}, x.compute, x.gemm, share, tp,
                  x.role);
  }

  // Gradients of `bytes` (already in reduction precision) reduced over the DP group.
  void reduce_gradients(int issued, CollectiveKind kind, double bytes, double count) {
    on_comm_stream_after(issued, job_.dp_slot, collective(kind, job_.plan.dp_algorithm, bytes, count));
  }

  // Context parallelism: the chunk's flash-attention kernels (`seconds`) with the traffic that
  // brings them the whole sequence's keys and values (docs/training.md, "Context parallelism").
  // Ring: the KV blocks (and backward the dKV blocks) go round the CP group on their own
  // stream while the attention runs; the op waits for the last one. All-gather: KV gathered
  // before the attention, dKV reduce-scattered after it, on the compute stream. `recomputed`:
  // the forward attention that full recomputation re-runs inside a backward op, with its
  // forward traffic again (Megatron recomputes the whole layer, ring or all-gather included).
  // `layers` of the chunk take part (all of them, or one ZeRO-3 unit's: `unit` keeps its tags apart).
  void context_parallel_attention(int it, const schedule::PipelineOp& op, int vs, const ChunkCosts& c, int layers,
                                  int unit, double seconds, Role role, bool recomputed = false) {
    const bool forward = op.type == OpType::Forward || recomputed;
    const int cp = job_.cp;
    if (layers == 0) return;
    if (job_.plan.cp_comm == CpComm::Ring) {
      const double bytes = layers * (cp - 1) * c.kv_block_bytes * (forward ? 1 : 2);
      // Own tag space: the pipeline's tags on the same (micro-batch, virtual stage) stay distinct,
      // and so do the recomputed forward's and each unit's (tag() stays below 2^40).
      const uint64_t tag = job_.tag(it, forward ? 0 : 1, op.micro_batch, vs) | (uint64_t{1} << 62) |
                           (recomputed ? uint64_t{1} << 61 : 0) | (static_cast<uint64_t>(unit) << 40);
      w_.wait(job_.cps, w_.record(job_.cs));
      w_.send(job_.cps, job_.cp_slot, (cp_rank_ + 1) % cp, bytes, tag);
      w_.recv(job_.cps, job_.cp_slot, (cp_rank_ + cp - 1) % cp, bytes, tag);
      w_.compute(job_.cs, seconds, role);
      w_.wait(job_.cs, w_.record(job_.cps));
      return;
    }
    const double gathered = layers * cp * c.kv_block_bytes;
    w_.collective(job_.cs, job_.cp_slot, collective(CollectiveKind::AllGather, CollectiveAlgorithm::Ring, gathered, layers),
                  Role::Collective);
    w_.compute(job_.cs, seconds, role);
    if (!forward)
      w_.collective(job_.cs, job_.cp_slot,
                    collective(CollectiveKind::ReduceScatter, CollectiveAlgorithm::Ring, gathered, layers),
                    Role::Collective);
  }

  // Context parallelism: the attention kernels of `layers` of the chunk (all, or one ZeRO-3
  // unit's) run first, with their KV traffic (after the recomputed forward's, under full
  // recomputation); `x` keeps the rest of the op's compute.
  void attention_first(int it, const schedule::PipelineOp& op, int vs, const ChunkCosts& c, int layers, int unit,
                       Work& x) {
    if (job_.cp <= 1 || op.type == OpType::BackwardWeight || c.layers == 0) return;
    const double share = double(layers) / c.layers;
    if (op.type != OpType::Forward && job_.plan.recompute == workload::Recompute::Full) {
      context_parallel_attention(it, op, vs, c, layers, unit, c.attention_fwd * share, x.role, true);
      x.compute -= c.attention_fwd * share;
    }
    const double attention = (op.type == OpType::Forward ? c.attention_fwd : c.attention_bwd) * share;
    context_parallel_attention(it, op, vs, c, layers, unit, attention, x.role);
    x.compute -= attention;
  }

  void buckets(int chunk, CollectiveKind kind, int issued) {
    const double bytes = costs_.chunks[chunk].params * job_.grad_bytes;
    reduce_gradients(issued, kind, bytes, job_.bucket_count(bytes));
  }

  // ZeRO-3: issues the gathers of the units from the next one to `prefetch` beyond it, then
  // waits for the next one's parameters.
  void gather_next_unit() {
    const int j = next_gather_++;
    if (gather_sequence_[j] <= 0) return;
    const int last = std::min<int>(j + job_.plan.fsdp.prefetch, static_cast<int>(gather_sequence_.size()) - 1);
    int issued = -1;
    for (int k = j; k <= last; ++k) {
      if (gathered_[k] >= 0 || gather_sequence_[k] <= 0) continue;
      if (issued < 0) issued = w_.record(job_.cs);
      on_comm_stream_after(issued, job_.dp_slot,
                           collective(CollectiveKind::AllGather, job_.plan.dp_algorithm, gather_sequence_[k]));
      if (job_.ext) unit_collective(CollectiveKind::AllGather, gather_unit_[k].first, gather_unit_[k].second);
      gathered_[k] = w_.record(job_.ds);
    }
    w_.wait(job_.cs, gathered_[j]);
  }

  // ZeRO-3: a unit's gradients (`bytes`) reduce-scattered over the shard group once the compute
  // stream is here (HSDP: then the shard all-reduced across the replicas).
  void reduce_unit_gradients(double bytes) {
    reduce_gradients(w_.record(job_.cs), CollectiveKind::ReduceScatter, bytes, 1);
    if (job_.hsdp)
      w_.collective(job_.ds, job_.replica_slot,
                    collective(CollectiveKind::AllReduce, job_.plan.dp_algorithm, bytes / job_.plan.shard_ranks()),
                    Role::DpComm);
  }

  // A layered generator's own collective of unit `unit` of `chunk` (its experts over expert-DP).
  void unit_collective(CollectiveKind kind, int chunk, int unit) {
    const auto& layers = unit_layers_[chunk];
    int first = 0;
    for (int u = 0; u < unit; ++u) first += layers[u];
    job_.ext->unit_collective(w_, job_.ds, rank_, kind, chunk, first, layers[unit]);
  }

  // ZeRO-3 with a layered generator, which writes the op: its units' gathers and reductions at
  // their boundaries through the at_layer hook. A forward gathers before each unit's first
  // layer; a backward gathers the last unit before the op, and as it walks back, once a unit's
  // first layer is done, reduce-scatters that unit's gradients (ops that make weight
  // gradients) and gathers the unit before it (ops that need parameters). The first unit's
  // reduction waits for the op's end (the embedding's weight gradients come last).
  void sharded_layered_op(int it, const schedule::PipelineOp& op, int vs) {
    const auto& c = costs_.chunks[op.chunk];
    Work x = work_of(whole(c), op.type);
    attention_first(it, op, vs, c, c.layers, 0, x);
    const int n = static_cast<int>(units_[op.chunk].size());
    const bool forward = op.type == OpType::Forward, gathers = op.type != OpType::BackwardWeight;
    const bool grads = op.type == OpType::Backward || op.type == OpType::BackwardWeight;
    std::vector<int> starts;  // first layer of each unit
    for (int u = 0, first = 0; u < n; first += unit_layers_[op.chunk][u++]) starts.push_back(first);
    auto reduce = [&](int u) {
      reduce_unit_gradients(units_[op.chunk][u].params * job_.grad_bytes);
      unit_collective(CollectiveKind::ReduceScatter, op.chunk, u);
    };
    int unit = forward ? -1 : n - 1;
    if (!forward && gathers && n > 0) gather_next_unit();
    job_.ext->pass(w_, job_.cs, rank_, it, op, [&](int layer) {
      if (forward) {
        if (unit + 1 < n && layer == starts[unit + 1]) ++unit, gather_next_unit();
        return;
      }
      if (unit <= 0 || layer != starts[unit]) return;
      if (grads) reduce(unit);
      --unit;
      if (gathers) gather_next_unit();
    });
    if (grads && n > 0) reduce(0);
  }

  // ZeRO-3: one schedule op, unit by unit.
  void sharded_op(int it, const schedule::PipelineOp& op, int vs) {
    if (job_.ext) return sharded_layered_op(it, op, vs);
    const auto& units = units_[op.chunk];
    for (int u : unit_order(op)) {
      if (op.type != OpType::BackwardWeight) gather_next_unit();
      Work x = work_of(units[u], op.type);
      attention_first(it, op, vs, costs_.chunks[op.chunk], unit_layers_[op.chunk][u], u, x);
      pass(x, 1);
      if ((op.type == OpType::Backward || op.type == OpType::BackwardWeight) && units[u].params > 0)
        reduce_unit_gradients(units[u].params * job_.grad_bytes);
    }
  }

  // Distributed optimizer with overlap_param_gather: the all-gather of the parameters the
  // previous step updated, chunk by chunk in forward (virtual-stage) order and bucket group by
  // bucket group, issued at the iteration's start; each chunk's first forward waits for them
  // group by group. (The reduction order reversed, as the gather after the step: under DualPipe
  // both ranks of a pair then gather the same stage first.)
  void issue_parameter_gathers() {
    params_ready_.assign(job_.v, {});
    const int issued = w_.record(job_.cs);
    const auto& order = job_.reduction_order[stage_];
    for (auto c = order.rbegin(); c != order.rend(); ++c) {
      const int ch = *c;
      const double bytes = costs_.chunks[ch].params * workload::kWeightBytesPerParam;
      const int n = job_.bucket_count(bytes);
      for (int in_group : release_groups(n)) {
        on_comm_stream_after(issued, job_.dp_slot,
                             collective(CollectiveKind::AllGather, job_.plan.dp_algorithm, bytes * in_group / n, in_group));
        if (job_.ext) job_.ext->parameter_gather(w_, job_.ds, rank_, ch, double(in_group) / n);
        params_ready_[ch].push_back(w_.record(job_.ds));
      }
    }
  }

  void dense_op(int it, int i, const schedule::PipelineOp& op, int vs) {
    const auto& c = costs_.chunks[op.chunk];
    Work x = work_of(whole(c), op.type);
    // Context parallelism: the attention kernels first, with their KV traffic; the rest of the
    // op (its GEMMs and other kernels) after.
    attention_first(it, op, vs, c, c.layers, 0, x);
    if (job_.param_overlap && i == job_.first_forward_op[stage_][op.chunk]) {
      // Its buckets' parameters arrive while it runs: each group's share waits for its gather.
      const double bytes = c.params * workload::kWeightBytesPerParam;
      const int n = job_.bucket_count(bytes);
      const auto groups = release_groups(n);
      if (job_.ext) {
        // A layered generator writes the op: group g is waited for before the layer in which its
        // share of the op starts, floor(F_g x layers) with F_g the share of the groups before it.
        const int layers = std::max(1, c.layers);
        int next = 0, done = 0;
        job_.ext->pass(w_, job_.cs, rank_, it, op, [&](int layer) {
          for (; next < static_cast<int>(groups.size()) && done * layers < (layer + 1) * n; done += groups[next++])
            w_.wait(job_.cs, params_ready_[op.chunk][next]);
        });
        return;
      }
      for (size_t g = 0; g < groups.size(); ++g) {
        w_.wait(job_.cs, params_ready_[op.chunk][g]);
        pass(x, double(groups[g]) / n);
      }
    } else if (job_.plan.overlap_grad_reduce && (job_.has_dp || job_.ext) && i == job_.last_grad_op[stage_][op.chunk]) {
      // Gradients of the chunk's layers become final as this op walks back through them:
      // release its buckets at even points of the op (at most kMaxReleasePoints groups).
      const double bytes = c.params * job_.grad_bytes;
      const int n = job_.bucket_count(bytes);
      if (job_.ext) {
        // A layered generator writes the op: after each layer but the chunk's first (walking
        // back) the dense groups the layers done complete go out over dp (complete_groups), the
        // rest after the op (the first stage's embedding gradients come last); after every
        // layer the generator's own buckets (experts over expert-DP) by its rule.
        const auto groups = release_groups(n);
        int released = 0;
        auto release = [&](int upto, int issued) {
          for (; released < upto; ++released)
            reduce_gradients(issued, job_.grad_collective, bytes * groups[released] / n, groups[released]);
        };
        job_.ext->pass(w_, job_.cs, rank_, it, op, [&](int layer) {
          const int issued = w_.record(job_.cs);
          if (job_.has_dp && layer > 0) release(complete_groups(groups, n, c.layers, c.layers - layer), issued);
          job_.ext->release_gradients(w_, job_.ds, rank_, issued, job_.grad_collective, op.chunk, layer);
        });
        if (job_.has_dp) release(static_cast<int>(groups.size()), w_.record(job_.cs));
        return;
      }
      for (int in_group : release_groups(n)) {
        pass(x, double(in_group) / n);
        reduce_gradients(w_.record(job_.cs), job_.grad_collective, bytes * in_group / n, in_group);
      }
    } else if (job_.ext) {
      job_.ext->pass(w_, job_.cs, rank_, it, op, {});
    } else {
      pass(x, 1);
    }
  }

  // The pipeline receive of op's input (activation or output gradient), when it has one.
  void receive(int it, const schedule::PipelineOp& op) {
    const int vs = job_.placement.virtual_stage(stage_, op.chunk);
    const bool forward = op.type == OpType::Forward;
    const bool needs_input = forward ? vs > 0 : (op.type != OpType::BackwardWeight && vs < job_.V - 1);
    if (!needs_input) return;
    const int src = job_.placement.rank_of(forward ? vs - 1 : vs + 1, op.micro_batch);
    w_.recv(job_.cs, job_.pp_slot, src, job_.pp_bytes, job_.tag(it, forward ? 0 : 1, op.micro_batch, vs),
            job_.gather_after_recv ? job_.tp_slot : -1, job_.gather_after_recv ? job_.full_activation : 0);
  }

  // The pipeline send of op's output to the next virtual stage (or its input gradient back).
  void send(int it, const schedule::PipelineOp& op) {
    const int vs = job_.placement.virtual_stage(stage_, op.chunk);
    const bool forward = op.type == OpType::Forward;
    const bool sends = forward ? vs < job_.V - 1 : (op.type != OpType::BackwardWeight && vs > 0);
    if (!sends) return;
    const int dst_vs = forward ? vs + 1 : vs - 1;
    w_.send(job_.cs, job_.pp_slot, job_.placement.rank_of(dst_vs, op.micro_batch), job_.pp_bytes,
            job_.tag(it, forward ? 0 : 1, op.micro_batch, dst_vs));
  }

  void iteration(int it) {
    const auto& ops = job_.sched[stage_];
    const int cs = job_.cs;
    w_.marker(cs, MarkerKind::Iteration, it);
    gathered_.assign(gather_sequence_.size(), -1);
    next_gather_ = 0;
    if (job_.param_overlap) issue_parameter_gathers();
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
      const auto& op = ops[i];
      const int vs = job_.placement.virtual_stage(stage_, op.chunk);
      w_.marker(cs, MarkerKind::MicroBatch, op.micro_batch);
      w_.marker(cs, MarkerKind::Chunk, op.chunk);
      if (op.overlapped_with_next && job_.ext && job_.cp == 1 && !job_.zero3) {
        // DualPipe's F&B with experts: both inputs, then the two ops interleaved by the layered
        // generator (each one's all-to-alls beside the other's compute), then both outputs.
        const auto& other = ops[++i];
        // (A chunk's first forward and last backward are never half of a pair: pairs start after
        // the rank's first backward and end before its last forward.)
        for (const int at : {i - 1, i}) {
          const auto& x = ops[at];
          if ((job_.plan.overlap_grad_reduce && at == job_.last_grad_op[stage_][x.chunk]) ||
              (job_.param_overlap && at == job_.first_forward_op[stage_][x.chunk]))
            throw InternalError("dualpipe: a chunk's first forward or last backward is half of an F&B pair");
        }
        receive(it, op), receive(it, other);
        w_.alloc(cs, MemoryCategory::Activations, job_.activation_per_op[stage_][op.chunk]);
        job_.ext->overlapped_pair(w_, cs, rank_, it, op, other);
        if (schedule::is_input_backward(other.type))
          w_.free(cs, MemoryCategory::Activations, job_.activation_per_op[stage_][other.chunk]);
        send(it, op), send(it, other);
        continue;
      }
      receive(it, op);
      if (op.type == OpType::Forward) w_.alloc(cs, MemoryCategory::Activations, job_.activation_per_op[stage_][op.chunk]);
      if (job_.zero3) sharded_op(it, op, vs);
      else dense_op(it, i, op, vs);
      if (schedule::is_input_backward(op.type)) w_.free(cs, MemoryCategory::Activations, job_.activation_per_op[stage_][op.chunk]);
      send(it, op);
    }
    w_.marker(cs, MarkerKind::MicroBatch, 0, true);
    w_.marker(cs, MarkerKind::Chunk, 0, true);
    // Gradient synchronisation, then the optimizer step.
    const bool holds_embedding = stage_ == embedding_stage(job_.plan) || stage_ == lm_head_stage(job_.plan);
    if (job_.has_dp || job_.ext || (job_.embedding_sync && holds_embedding)) {
      const int issued = w_.record(cs);
      if (!job_.plan.overlap_grad_reduce && !job_.zero3 && job_.has_dp) {
        for (int ch : job_.reduction_order[stage_]) buckets(ch, job_.grad_collective, issued);
      }
      if (job_.ext && !job_.plan.overlap_grad_reduce && !job_.zero3)
        job_.ext->collectives(w_, job_.ds, rank_, issued, job_.grad_collective);
      if (job_.embedding_sync && holds_embedding)
        on_comm_stream_after(issued, job_.emb_slot,
                             collective(CollectiveKind::AllReduce, job_.plan.dp_algorithm, job_.embedding_grad_bytes));
      // Waits for everything the dp-comm stream was given so far.
      w_.wait(cs, w_.record(job_.ds));
    }
    w_.compute(cs, optimizer_seconds_, Role::Optimizer);
    // (Expert parameters have their own expert-DP group, which may exist without dp: tp > 1.)
    if (job_.plan.zero_stage >= 1 && job_.plan.zero_stage < 3 && (job_.has_dp || job_.ext) && !job_.param_overlap) {
      // Distributed optimizer: all-gather the updated bf16 parameters (ZeRO-3 gathers them
      // before each use instead; with overlap_param_gather the next iteration's forward does).
      const int issued = w_.record(cs);
      const auto& order = job_.reduction_order[stage_];
      for (auto c = order.rbegin(); c != order.rend() && job_.has_dp; ++c) {
        const int ch = *c;
        const double bytes = costs_.chunks[ch].params * workload::kWeightBytesPerParam;
        on_comm_stream_after(issued, job_.dp_slot,
                             collective(CollectiveKind::AllGather, job_.plan.dp_algorithm, bytes, job_.bucket_count(bytes)));
      }
      if (job_.ext) job_.ext->collectives(w_, job_.ds, rank_, issued, CollectiveKind::AllGather);
      w_.wait(cs, w_.record(job_.ds));
    }
    w_.marker(cs, MarkerKind::Iteration, it, true);
  }
};

}  // namespace

void add_training_programs(program::Builder& b, const TrainingSpec& spec, const PlatformSpec& platform, uint64_t seed,
                           const std::string& prefix, int replica, const RankEdit& edit) {
  const ParallelPlan& plan = spec.plan;
  const auto& model = spec.model;
  validate_plan(plan, model, platform.total_gpus());
  const RankLayout layout(plan);
  Job job{spec, plan, schedule::make_schedule({plan.schedule, plan.pp, plan.micro_batches(), plan.chunks}),
          chunk_placement(plan)};
  job.pp = plan.pp, job.dp = plan.dp, job.tp = plan.tp, job.cp = plan.cp, job.m = plan.micro_batches(), job.v = plan.chunks;
  job.V = job.placement.virtual_stages();
  job.pp_bytes = pipeline_message_bytes(model, plan);
  job.tp_bytes = tp_message_bytes(model, plan);
  job.full_activation = tp_message_bytes(model, plan);  // this context-parallel rank's bf16 activation
  job.gather_after_recv = plan.tp > 1 && plan.scatter_gather && !plan.sequence_parallel;
  job.embedding_sync = tied_embedding_copy(plan, model);
  job.grad_bytes = plan.grad_reduce_bytes;
  job.embedding_grad_bytes = job.grad_bytes * model.vocab * model.hidden / plan.tp;
  // Gradients are reduced over dp x cp (x the pair of ranks holding each stage under DualPipe).
  job.has_dp = plan.dp * plan.cp * weight_copies(plan) > 1;
  job.zero3 = plan.zero_stage >= 3 && job.has_dp;
  job.hsdp = job.zero3 && plan.shard_ranks() < plan.dp;
  job.param_overlap = plan.overlap_param_gather && job.has_dp && plan.zero_stage >= 1 && plan.zero_stage < 3;
  job.tp_overlap = plan.tp_comm_overlap && plan.tp > 1;
  job.grad_collective = plan.zero_stage >= 1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  job.last_grad_op.assign(plan.pp, std::vector<int>(plan.chunks, -1));
  job.first_forward_op.assign(plan.pp, std::vector<int>(plan.chunks, -1));
  for (int s = 0; s < plan.pp; ++s)
    for (int i = 0; i < static_cast<int>(job.sched[s].size()); ++i) {
      const auto& op = job.sched[s][i];
      if (op.type == OpType::Backward || op.type == OpType::BackwardWeight) job.last_grad_op[s][op.chunk] = i;
      if (op.type == OpType::Forward && job.first_forward_op[s][op.chunk] < 0) job.first_forward_op[s][op.chunk] = i;
    }
  for (int s = 0; s < plan.pp; ++s) {
    auto& order = job.reduction_order.emplace_back(plan.chunks);
    for (int c = 0; c < plan.chunks; ++c) order[c] = c;
    std::sort(order.begin(), order.end(), [&](int a, int c) {
      return job.placement.virtual_stage(s, a) > job.placement.virtual_stage(s, c);
    });
  }
  job.memory = estimate_stage_memory(spec);
  for (int s = 0; s < plan.pp; ++s) {
    // The estimator's activations are those of the peak layer-weighted count of (micro-batch,
    // chunk) pairs alive; each pair holds its chunk's share from its forward to its input backward.
    const auto weight = chunk_activation_weights(plan, model, s);
    const double peak = schedule::peak_weighted_in_flight(job.sched, s, weight);
    auto& per_chunk = job.activation_per_op.emplace_back();
    for (double w : weight) per_chunk.push_back(peak > 0 ? job.memory[s].activations * w / peak : 0);
  }
  // Mixture-of-experts models: expert parallelism layered on this generator.
  const auto moe = spec.model.is_moe() ? make_moe_extension(spec, platform, seed, prefix) : nullptr;
  job.ext = moe.get();
  job.cs = b.stream(program::kComputeStream);
  job.ds = b.stream(program::kDpStream);
  job.pp_slot = b.slot("pp"), job.tp_slot = b.slot("tp"), job.dp_slot = b.slot("dp"), job.emb_slot = b.slot("embedding");
  if (job.tp_overlap) job.ts = b.stream(program::kTpStream);
  if (job.hsdp) job.replica_slot = b.slot("dp-replica");
  if (plan.cp > 1) job.cps = b.stream(program::kCpStream), job.cp_slot = b.slot(program::kCpSlot);

  // Communication groups: a pipeline per (dp, cp, tp), a TP group per (stage, dp, cp), a DP group
  // per (stage, tp) over every (dp, cp) rank (gradients are reduced over dp x cp), a CP ring per
  // (stage, dp, tp), the tied-embedding pair per (dp, cp, tp). Without cp the names are as before.
  auto name = [&](const char* kind, int a, int c, int k = -1) {
    std::string n = prefix + kind + "#" + std::to_string(a) + "." + std::to_string(c);
    if (k >= 0) (n += '.') += std::to_string(k);
    return n;
  };
  auto cp_part = [&](int k) { return plan.cp > 1 ? k : -1; };  // names without cp stay as they were
  auto ints = [](const std::vector<int>& v) { return std::vector<int32_t>(v.begin(), v.end()); };
  if (job.ext) job.ext->add_slots(b);
  const int slots = static_cast<int>(b.set().slots.size());
  std::vector<std::vector<int32_t>> groups(layout.gpus(), std::vector<int32_t>(slots, -1));
  for (int d = 0; d < plan.dp; ++d)
    for (int k = 0; k < plan.cp; ++k)
      for (int t = 0; t < plan.tp; ++t) {
        if (plan.pp > 1) {
          const int g = b.group(name("pp", d, t, cp_part(k)), ints(layout.pp_group(d, t, k)));
          for (int s = 0; s < plan.pp; ++s) groups[layout.rank({s, d, t, k})][job.pp_slot] = g;
        }
        if (job.embedding_sync) {
          const int e = embedding_stage(plan), h = lm_head_stage(plan);
          const int g = b.group(name("emb", d, t, cp_part(k)), {layout.gpu({e, d, t, k}), layout.gpu({h, d, t, k})});
          groups[layout.rank({e, d, t, k})][job.emb_slot] = groups[layout.rank({h, d, t, k})][job.emb_slot] = g;
        }
      }
  for (int s = 0; s < plan.pp; ++s) {
    if (plan.tp > 1)
      for (int d = 0; d < plan.dp; ++d)
        for (int k = 0; k < plan.cp; ++k) {
          const int g = b.group(name("tp", s, d, cp_part(k)), ints(layout.tp_group(s, d, k)));
          for (int t = 0; t < plan.tp; ++t) groups[layout.rank({s, d, t, k})][job.tp_slot] = g;
        }
    // DualPipe: stages s and pp-1-s live on both ranks s and pp-1-s, one group over both
    // ranks' dp x cp ranks reduces them (made once, at the lower stage).
    const int pair = weight_copies(plan) > 1 ? plan.pp - 1 - s : s;
    if (job.has_dp && !job.hsdp && pair >= s)
      for (int t = 0; t < plan.tp; ++t) {
        auto members = layout.dp_cp_group(s, t);
        if (pair != s) {
          const auto other = layout.dp_cp_group(pair, t);
          members.insert(members.end(), other.begin(), other.end());
        }
        const int g = b.group(name("dp", s, t), ints(members));
        for (int stage : {s, pair})
          for (int d = 0; d < plan.dp; ++d)
            for (int k = 0; k < plan.cp; ++k) groups[layout.rank({stage, d, t, k})][job.dp_slot] = g;
      }
    if (job.hsdp)
      // HSDP: shard groups of consecutive data-parallel ranks (a node under Megatron's order
      // when tp x shard_group is the node), and the replicas of each shard position across them.
      for (int t = 0; t < plan.tp; ++t) {
        const auto dp_gpus = layout.dp_group(s, t);
        const int g = plan.shard_ranks(), replicas = plan.dp / g;
        for (int k = 0; k < replicas; ++k) {
          const int shard = b.group(name("dp", s, t) + ".shard" + std::to_string(k),
                                    ints({dp_gpus.begin() + k * g, dp_gpus.begin() + (k + 1) * g}));
          for (int d = k * g; d < (k + 1) * g; ++d) groups[layout.rank({s, d, t})][job.dp_slot] = shard;
        }
        for (int i = 0; i < g; ++i) {
          std::vector<int> across;
          for (int k = 0; k < replicas; ++k) across.push_back(dp_gpus[k * g + i]);
          const int rep = b.group(name("dp", s, t) + ".replica" + std::to_string(i), ints(across));
          for (int k = 0; k < replicas; ++k) groups[layout.rank({s, k * g + i, t})][job.replica_slot] = rep;
        }
      }
    if (plan.cp > 1)
      for (int d = 0; d < plan.dp; ++d)
        for (int t = 0; t < plan.tp; ++t) {
          const int g = b.group(name("cp", s, d, t), ints(layout.cp_group(s, d, t)));
          for (int k = 0; k < plan.cp; ++k) groups[layout.rank({s, d, t, k})][job.cp_slot] = g;
        }
  }

  if (job.ext) job.ext->add_groups(b, groups);

  // Compute costs per GPU type; a TP group advances at its slowest member's pace (it
  // synchronises every layer).
  const auto slow = straggler_factors(spec.stragglers, platform.total_gpus(), seed);
  std::map<int, std::pair<workload::ComputeModel, std::vector<StageCosts>>> by_cluster;
  std::map<std::tuple<int, int, int>, int> program_of;  // (stage, cluster, cp rank) -> program, when not edited
  program::Program p;
  for (int r = 0; r < layout.gpus(); ++r) {
    const RankCoord co = layout.coord(r);
    const int gpu = layout.gpu_of_rank(r), cluster = cluster_of_gpu(platform, gpu);
    auto it = by_cluster.find(cluster);
    if (it == by_cluster.end()) {
      workload::ComputeModel cm(platform.clusters[cluster].gpu);
      auto costs = job.ext ? job.ext->stage_costs(cm) : stage_costs(model, plan, cm, TpLink{1e30, 0});
      it = by_cluster.emplace(cluster, std::make_pair(std::move(cm), std::move(costs))).first;
    }
    const auto& [compute, costs] = it->second;
    double scale = 1;
    for (int member : layout.tp_group(co.stage, co.dp, co.cp)) scale = std::max(scale, slow[member]);
    const double optimizer =
        compute.optimizer_step(costs[co.stage].params() /
                                   (plan.zero_stage >= 1 ? plan.shard_ranks() * plan.cp * weight_copies(plan) : 1) +
                               (job.ext ? job.ext->optimizer_params(r) : 0));
    const program::RankInfo info{co.stage, co.tp, co.dp, replica};
    // Ranks of a stage on the same GPU type run the same program (peers are group ranks; the
    // CP ring's neighbours depend on the cp rank; expert ranks differ by their routing).
    const auto key = std::make_tuple(co.stage, cluster, co.cp);
    if (!edit && !job.ext)
      if (auto known = program_of.find(key); known != program_of.end()) {
        b.add_rank(gpu, known->second, groups[r], scale, info);
        continue;
      }
    p = {};
    RankWriter(job, p, r, co.stage, costs[co.stage], optimizer, co.cp).write();
    if (edit) edit(r, p, groups[r]);
    const int index = b.add_program(p);
    if (!edit && !job.ext) program_of.emplace(key, index);
    b.add_rank(gpu, index, groups[r], scale, info);
  }
}

program::ProgramSet training_programs(const TrainingSpec& spec, const PlatformSpec& platform, uint64_t seed) {
  program::Builder b;
  add_training_programs(b, spec, platform, seed);
  b.job().kind = "training";
  store(training_accounting(spec), b.job());
  return b.finish();
}

}  // namespace trainsim
