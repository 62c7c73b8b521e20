#include "training/programs.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/random.hpp"
#include "parallel/layout.hpp"
#include "schedule/in_flight.hpp"
#include "schedule/schedule.hpp"
#include "training/accounting.hpp"
#include "training/costs.hpp"
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

namespace {

// Gradient buckets released together go out as one collective of their summed size, each
// bucket's latency kept (Collective::count): exact under aggregated flows, and far fewer
// flows. The grouping depends only on the plan, never on timing, so every rank of a group
// issues the same collectives.
constexpr int kMaxReleasePoints = 4;
// bf16/fp16 gradients are reduced (Megatron's default without fp32 all-reduce).
constexpr double kGradBytesPerParam = 2;

// Everything one rank's program is made of, shared by the ranks of the job.
struct Job {
  const TrainingSpec& spec;
  const ParallelPlan& plan;
  schedule::Schedule sched;
  int pp = 1, dp = 1, tp = 1, m = 1, v = 1, V = 1;
  double pp_bytes = 0, tp_bytes = 0, full_activation = 0, embedding_grad_bytes = 0;
  bool gather_after_recv = false, embedding_sync = false, has_dp = false, zero3 = false;
  CollectiveKind grad_collective = CollectiveKind::AllReduce;
  std::vector<std::vector<int>> last_grad_op{};      // [stage][chunk]: op whose end completes its gradients
  std::vector<workload::MemoryEstimate> memory{};    // per stage
  std::vector<double> activation_per_op{};           // per stage: one (micro-batch, chunk)'s activations
  TrainingExtension* ext = nullptr;  // a layered generator (expert parallelism), or none
  // Slots and streams.
  int cs = 0, ds = 0, pp_slot = 0, tp_slot = 0, dp_slot = 0, emb_slot = 0;

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

// Writes the program of one rank of stage `stage`.
class RankWriter {
 public:
  RankWriter(const Job& job, program::Program& p, int rank, int stage, const StageCosts& costs, double optimizer_seconds)
      : job_(job), w_(p), rank_(rank), stage_(stage), costs_(costs), optimizer_seconds_(optimizer_seconds) {}

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
  std::vector<int> gathered_;  // ZeRO-3: per schedule op, the event of its parameter gather

  // The dp-comm stream runs `c` (on `slot`) once the compute stream has reached this point.
  void on_comm_stream_after(int issued, int slot, const Collective& c) {
    w_.wait(job_.ds, issued);
    w_.collective(job_.ds, slot, c, Role::DpComm);
  }

  // ZeRO-3: the all-gather of op i's parameters, issued once (weight-gradient ops need none).
  void gather(int i, int issued) {
    const auto& ops = job_.sched[stage_];
    if (i >= static_cast<int>(ops.size()) || gathered_[i] >= 0 || ops[i].type == OpType::BackwardWeight) return;
    // bf16 parameters of the chunk, gathered from the dp shards.
    on_comm_stream_after(issued, job_.dp_slot,
                         collective(CollectiveKind::AllGather, job_.plan.dp_algorithm, 2.0 * costs_.chunks[ops[i].chunk].params));
    gathered_[i] = w_.record(job_.ds);
  }

  // The compute op's kernels then its tensor-parallel all-reduces, `share` of them (buckets
  // released part-way through an op split it).
  void pass(double compute, Role role, int tp_count, double share) {
    w_.compute(job_.cs, compute * share, role);
    if (tp_count > 0)
      w_.collective(job_.cs, job_.tp_slot,
                    collective(CollectiveKind::AllReduce, CollectiveAlgorithm::Ring, tp_count * share * job_.tp_bytes,
                               tp_count * share, Granularity::ClosedForm),
                    Role::TpComm);
  }

  void buckets(int chunk, CollectiveKind kind, int issued) {
    const double bytes = costs_.chunks[chunk].params * kGradBytesPerParam;
    on_comm_stream_after(issued, job_.dp_slot, collective(kind, job_.plan.dp_algorithm, bytes, job_.bucket_count(bytes)));
  }

  void iteration(int it) {
    const auto& ops = job_.sched[stage_];
    const int cs = job_.cs;
    w_.marker(cs, MarkerKind::Iteration, it);
    gathered_.assign(ops.size(), -1);
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
      const auto& op = ops[i];
      const int vs = schedule::model_chunk_stage(stage_, op.chunk, job_.pp);
      const auto& c = costs_.chunks[op.chunk];
      const bool forward = op.type == OpType::Forward;
      w_.marker(cs, MarkerKind::MicroBatch, op.micro_batch);
      w_.marker(cs, MarkerKind::Chunk, op.chunk);
      const bool needs_input = forward ? vs > 0 : (op.type != OpType::BackwardWeight && vs < job_.V - 1);
      if (needs_input) {
        const int src = schedule::rank_of_virtual_stage(forward ? vs - 1 : vs + 1, job_.pp);
        w_.recv(cs, job_.pp_slot, src, job_.pp_bytes, job_.tag(it, forward ? 0 : 1, op.micro_batch, vs),
                job_.gather_after_recv ? job_.tp_slot : -1, job_.gather_after_recv ? job_.full_activation : 0);
      }
      if (job_.zero3 && op.type != OpType::BackwardWeight) {
        // ZeRO-3: the op needs its chunk's parameters gathered; the gather for the next op is
        // issued now (prefetch, as FSDP and DeepSpeed do) so it overlaps this op.
        const int issued = w_.record(cs);
        gather(i, issued);
        gather(i + 1, issued);
        w_.wait(cs, gathered_[i]);
      }
      if (forward) w_.alloc(cs, MemoryCategory::Activations, job_.activation_per_op[stage_]);
      double compute = 0;
      int tp_count = 0;
      Role role = Role::Forward;
      switch (op.type) {
        case OpType::Forward: compute = c.fwd_compute, tp_count = c.tp_fwd_count, role = Role::Forward; break;
        case OpType::Backward:
          compute = c.bwd_input_compute + c.bwd_weight, tp_count = c.tp_bwd_count, role = Role::Backward;
          break;
        case OpType::BackwardInput:
          compute = c.bwd_input_compute, tp_count = c.tp_bwd_count, role = Role::BackwardInput;
          break;
        case OpType::BackwardWeight: compute = c.bwd_weight, role = Role::BackwardWeight; break;
      }
      if (job_.plan.overlap_grad_reduce && !job_.zero3 && job_.has_dp && i == job_.last_grad_op[stage_][op.chunk]) {
        // Gradients of the chunk's layers become final as this op walks back through them:
        // release its buckets at even points of the op (at most kMaxReleasePoints groups).
        const double bytes = c.params * kGradBytesPerParam;
        const int n = job_.bucket_count(bytes), groups = std::min(n, kMaxReleasePoints);
        for (int g = 0; g < groups; ++g) {
          const int in_group = n / groups + (g < n % groups ? 1 : 0);
          pass(compute, role, tp_count, double(in_group) / n);
          on_comm_stream_after(w_.record(cs), job_.dp_slot,
                               collective(job_.grad_collective, job_.plan.dp_algorithm, bytes * in_group / n, in_group));
        }
      } else if (job_.ext) {
        job_.ext->pass(w_, cs, rank_, it, op);
      } else {
        pass(compute, role, tp_count, 1);
      }
      if (schedule::is_input_backward(op.type)) w_.free(cs, MemoryCategory::Activations, job_.activation_per_op[stage_]);
      if (job_.zero3 && (op.type == OpType::Backward || op.type == OpType::BackwardWeight))
        // ZeRO-3: each backward reduce-scatters its weight gradients over the DP group.
        on_comm_stream_after(w_.record(cs), job_.dp_slot,
                             collective(CollectiveKind::ReduceScatter, job_.plan.dp_algorithm, c.params * kGradBytesPerParam));
      const bool sends = forward ? vs < job_.V - 1 : (op.type != OpType::BackwardWeight && vs > 0);
      if (sends) {
        const int dst_vs = forward ? vs + 1 : vs - 1;
        w_.send(cs, job_.pp_slot, schedule::rank_of_virtual_stage(dst_vs, job_.pp), job_.pp_bytes,
                job_.tag(it, forward ? 0 : 1, op.micro_batch, dst_vs));
      }
    }
    w_.marker(cs, MarkerKind::MicroBatch, 0, true);
    w_.marker(cs, MarkerKind::Chunk, 0, true);
    // Gradient synchronisation, then the optimizer step.
    if (job_.has_dp || job_.ext || (job_.embedding_sync && (stage_ == 0 || stage_ == job_.pp - 1))) {
      const int issued = w_.record(cs);
      if (!job_.plan.overlap_grad_reduce && !job_.zero3 && job_.has_dp)
        for (int ch = job_.v - 1; ch >= 0; --ch) buckets(ch, job_.grad_collective, issued);
      if (job_.ext) job_.ext->collectives(w_, job_.ds, rank_, issued, job_.grad_collective);
      if (job_.embedding_sync && (stage_ == 0 || stage_ == job_.pp - 1))
        on_comm_stream_after(issued, job_.emb_slot,
                             collective(CollectiveKind::AllReduce, job_.plan.dp_algorithm, job_.embedding_grad_bytes));
      // Waits for everything the dp-comm stream was given so far.
      w_.wait(cs, w_.record(job_.ds));
    }
    w_.compute(cs, optimizer_seconds_, Role::Optimizer);
    if (job_.plan.zero_stage >= 1 && job_.plan.zero_stage < 3 && job_.has_dp) {
      // Distributed optimizer: all-gather the updated bf16 parameters (ZeRO-3 gathers them
      // before each use instead).
      const int issued = w_.record(cs);
      for (int ch = 0; ch < job_.v; ++ch) buckets(ch, CollectiveKind::AllGather, issued);
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
  Job job{spec, plan, schedule::make_schedule({plan.schedule, plan.pp, plan.micro_batches(), plan.chunks})};
  job.pp = plan.pp, job.dp = plan.dp, job.tp = plan.tp, job.m = plan.micro_batches(), job.v = plan.chunks;
  job.V = job.pp * job.v;
  job.pp_bytes = pipeline_message_bytes(model, plan);
  job.tp_bytes = tp_message_bytes(model, plan);
  job.full_activation = 2.0 * plan.micro_batch * model.seq_len * model.hidden;
  job.gather_after_recv = plan.tp > 1 && plan.scatter_gather && !plan.sequence_parallel;
  job.embedding_sync = model.tied_embeddings && plan.pp > 1;
  job.embedding_grad_bytes = 2.0 * model.vocab * model.hidden / plan.tp;
  job.has_dp = plan.dp > 1;
  job.zero3 = plan.zero_stage >= 3 && job.has_dp;
  job.grad_collective = plan.zero_stage >= 1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  job.last_grad_op.assign(plan.pp, std::vector<int>(plan.chunks, -1));
  for (int s = 0; s < plan.pp; ++s)
    for (int i = 0; i < static_cast<int>(job.sched[s].size()); ++i) {
      const auto& op = job.sched[s][i];
      if (op.type == OpType::Backward || op.type == OpType::BackwardWeight) job.last_grad_op[s][op.chunk] = i;
    }
  job.memory = estimate_stage_memory(spec);
  for (int s = 0; s < plan.pp; ++s) {
    // The estimator's activations are those of the peak count of (micro-batch, chunk) pairs
    // alive; each pair holds an equal share from its forward to its input backward.
    const int peak = schedule::peak_in_flight(job.sched, s).total;
    job.activation_per_op.push_back(peak > 0 ? job.memory[s].activations / peak : 0);
  }
  // Mixture-of-experts models: expert parallelism layered on this generator.
  const auto moe = spec.model.is_moe() ? make_moe_extension(spec, platform, seed, prefix) : nullptr;
  job.ext = moe.get();
  job.cs = b.stream(program::kComputeStream);
  job.ds = b.stream(program::kDpStream);
  job.pp_slot = b.slot("pp"), job.tp_slot = b.slot("tp"), job.dp_slot = b.slot("dp"), job.emb_slot = b.slot("embedding");

  // Communication groups: a pipeline per (dp, tp), a TP group per (stage, dp), a DP group per
  // (stage, tp), the tied-embedding pair per (dp, tp).
  auto name = [&](const char* kind, int a, int c) { return prefix + kind + "#" + std::to_string(a) + "." + std::to_string(c); };
  auto ints = [](const std::vector<int>& v) { return std::vector<int32_t>(v.begin(), v.end()); };
  if (job.ext) job.ext->add_slots(b);
  const int slots = static_cast<int>(b.set().slots.size());
  std::vector<std::vector<int32_t>> groups(layout.gpus(), std::vector<int32_t>(slots, -1));
  for (int d = 0; d < plan.dp; ++d)
    for (int t = 0; t < plan.tp; ++t) {
      if (plan.pp > 1) {
        const int g = b.group(name("pp", d, t), ints(layout.pp_group(d, t)));
        for (int s = 0; s < plan.pp; ++s) groups[layout.rank({s, d, t})][job.pp_slot] = g;
      }
      if (job.embedding_sync) {
        const int g = b.group(name("emb", d, t), {layout.gpu({0, d, t}), layout.gpu({plan.pp - 1, d, t})});
        groups[layout.rank({0, d, t})][job.emb_slot] = groups[layout.rank({plan.pp - 1, d, t})][job.emb_slot] = g;
      }
    }
  for (int s = 0; s < plan.pp; ++s) {
    if (plan.tp > 1)
      for (int d = 0; d < plan.dp; ++d) {
        const int g = b.group(name("tp", s, d), ints(layout.tp_group(s, d)));
        for (int t = 0; t < plan.tp; ++t) groups[layout.rank({s, d, t})][job.tp_slot] = g;
      }
    if (job.has_dp)
      for (int t = 0; t < plan.tp; ++t) {
        const int g = b.group(name("dp", s, t), ints(layout.dp_group(s, t)));
        for (int d = 0; d < plan.dp; ++d) groups[layout.rank({s, d, t})][job.dp_slot] = g;
      }
  }

  if (job.ext) job.ext->add_groups(b, groups);

  // Compute costs per GPU type; a TP group advances at its slowest member's pace (it
  // synchronises every layer).
  const auto slow = straggler_factors(spec.stragglers, platform.total_gpus(), seed);
  std::map<int, std::pair<workload::ComputeModel, std::vector<StageCosts>>> by_cluster;
  std::map<std::pair<int, int>, int> program_of;  // (stage, cluster) -> program, when not edited
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
    for (int member : layout.tp_group(co.stage, co.dp)) scale = std::max(scale, slow[member]);
    const double optimizer = compute.optimizer_step(costs[co.stage].params() / (plan.zero_stage >= 1 ? plan.dp : 1) +
                                                    (job.ext ? job.ext->optimizer_params(r) : 0));
    const program::RankInfo info{co.stage, co.tp, co.dp, replica};
    // Ranks of a stage on the same GPU type run the same program (peers are group ranks).
    if (!edit && !job.ext)
      if (auto known = program_of.find({co.stage, cluster}); known != program_of.end()) {
        b.add_rank(gpu, known->second, groups[r], scale, info);
        continue;
      }
    p = {};
    RankWriter(job, p, r, co.stage, costs[co.stage], optimizer).write();
    if (edit) edit(r, p, groups[r]);
    const int index = b.add_program(p);
    if (!edit && !job.ext) program_of.emplace(std::make_pair(co.stage, cluster), index);
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
