#include "training/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include "collective/algorithms.hpp"
#include "collective/communicator.hpp"
#include "core/random.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "engine/transport.hpp"
#include "network/network.hpp"
#include "parallel/layout.hpp"
#include "schedule/in_flight.hpp"
#include "training/costs.hpp"

namespace sg4 = simgrid::s4u;
using trainsim::output::ActivityKind;
using trainsim::schedule::OpType;

namespace trainsim {

namespace {

// Work handed from a GPU's compute stream to its communication stream, in order.
struct GradRequest {
  enum Kind { Collective, Marker, Stop } kind = Collective;
  Communicator* comm = nullptr;
  int rank = 0;
  CollectiveKind collective = CollectiveKind::AllReduce;
  double bytes = 0;
  int buckets = 1;              // gradient buckets this request stands for (latency paid per bucket)
  sg4::SemaphorePtr completed;  // released when this collective is done (ZeRO-3 parameter gathers)

  static GradRequest run(Communicator* comm, int rank, CollectiveKind collective, double bytes, int buckets = 1,
                         sg4::SemaphorePtr completed = nullptr) {
    GradRequest r;
    r.comm = comm, r.rank = rank, r.collective = collective, r.bytes = bytes, r.buckets = buckets;
    r.completed = std::move(completed);
    return r;
  }
  static GradRequest marker() {
    GradRequest r;
    r.kind = Marker;
    return r;
  }
  static GradRequest stop() {
    GradRequest r;
    r.kind = Stop;
    return r;
  }
};

struct CommStream {
  std::deque<GradRequest> queue;
  sg4::SemaphorePtr pending = sg4::Semaphore::create(0);
  sg4::SemaphorePtr done = sg4::Semaphore::create(0);
  void push(GradRequest r) {
    queue.push_back(r);
    pending->release();
  }
};

struct GpuState {
  int gpu = 0;
  RankCoord coord;
  double slowdown = 1;
  const std::vector<StageCosts>* costs = nullptr;
  std::unique_ptr<Inbox> pp_inbox;
  CommStream stream;
  Communicator* dp_comm = nullptr;
  Communicator* embedding_comm = nullptr;
  int embedding_rank = 0;
  // Metrics summed over iterations.
  double tp = 0, pp_exposed = 0, dp_exposed = 0, busy = 0, optimizer = 0;
  std::vector<double> iteration_end;
  // Per iteration: compute busy time and the span of its forward/backward ops.
  std::vector<double> phase_busy, phase_start, phase_end;
  std::map<int, sg4::SemaphorePtr> gathers;  // ZeRO-3: op index -> its parameter all-gather
};

TpLink tp_link_of(const Network& net, const std::vector<int>& group) {
  TpLink link{1e30, 0};
  const int t = static_cast<int>(group.size());
  if (t < 2) return link;
  for (int r = 0; r < t; ++r) {
    const int a = group[r], b = group[(r + 1) % t];
    for (const LinkInfo* l : net.route(a, b)) link.bandwidth = std::min(link.bandwidth, l->bandwidth);
    link.latency = std::max(link.latency, net.route_latency(a, b));
  }
  return link;
}

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

}  // namespace

std::vector<workload::MemoryEstimate> estimate_stage_memory(const TrainingSpec& spec) {
  const auto& plan = spec.plan;
  const auto sched = schedule::make_schedule({plan.schedule, plan.pp, plan.micro_batches(), plan.chunks});
  const auto layers = stage_layers(plan, spec.model);
  std::vector<workload::MemoryEstimate> out;
  for (int s = 0; s < plan.pp; ++s) {
    workload::MemoryInput in;
    in.model = spec.model;
    in.tp = plan.tp;
    in.pp = plan.pp;
    in.dp = plan.dp;
    in.virtual_stages = plan.chunks;
    in.micro_batch = plan.micro_batch;
    in.layers_on_stage = layers[s];
    in.has_embedding = s == 0;
    in.has_lm_head = s == plan.pp - 1;
    in.seq_parallel = plan.sequence_parallel;
    in.recompute = plan.recompute;
    in.zero_stage = plan.zero_stage;
    in.flash_attention = plan.flash_attention;
    // (micro-batch, chunk) pairs alive at the peak, each holding one chunk's layers.
    in.micro_batches_in_flight = double(schedule::peak_in_flight(sched, s).total) / plan.chunks;
    out.push_back(workload::estimate_memory(in));
  }
  return out;
}

struct TrainingProgram::Impl {
  const TrainingSpec spec;
  const ParallelPlan& plan = spec.plan;
  const Network& net;
  Recorder* recorder;
  TrainingHooks hooks;
  RankLayout layout;
  int pp, dp, tp, m, v, V;
  double pp_bytes = 0, embedding_grad_bytes = 0;
  bool needs_stream = false;
  CollectiveKind grad_collective = CollectiveKind::AllReduce;
  std::vector<GpuState> gpus;
  std::vector<std::unique_ptr<Communicator>> comms;
  std::map<std::tuple<double, double, int>, std::vector<StageCosts>> cost_cache;
  std::map<int, workload::ComputeModel> compute;
  std::vector<double> gather_time, optimizer_time;
  schedule::Schedule sched;
  std::vector<std::vector<int>> last_grad_op;
  // bf16/fp16 gradients are reduced (Megatron's default without fp32 all-reduce).
  static constexpr double kGradBytesPerParam = 2;

  Impl(Simulation& sim, const TrainingSpec& spec_in, uint64_t seed, Recorder* rec, TrainingHooks h,
       const std::string& prefix);
  TrainingResult result() const;

  const workload::ComputeModel& compute_of(int gpu) {
    const int c = net.location(gpu).cluster;
    auto it = compute.find(c);
    if (it == compute.end()) it = compute.emplace(c, workload::ComputeModel(net.spec().clusters[c].gpu)).first;
    return it->second;
  }
  uint64_t tag(int it, int dir, int mb, int vs) const {
    return ((static_cast<uint64_t>(it) * 2 + dir) * V + vs) * m + mb;
  }
  int rank_of_vs(int vs, const RankCoord& c) const { return layout.rank({vs % pp, c.dp, c.tp}); }
  void record(const GpuState& g, double start, double end, ActivityKind kind, int mb, int chunk, int it,
              double bytes = 0, int peer = -1) {
    if (!recorder || !recorder->keeps_activities()) return;
    output::ActivityRecord rec;
    rec.start = start;
    rec.end = end;
    rec.bytes = bytes;
    rec.gpu = g.gpu;
    rec.peer = peer;
    rec.stage = g.coord.stage;
    rec.micro_batch = mb;
    rec.chunk = chunk;
    rec.step = it;
    rec.kind = kind;
    recorder->activity(rec);
  }
  // Gradient buckets released together go out as one collective of their summed size, each
  // bucket's latency kept (CollectiveCall::coalesced): exact under aggregated flows, and far
  // fewer flows. The grouping depends only on the plan, never on timing, so every rank of a
  // communicator issues the same collectives (they are matched by sequence number).
  static constexpr int kMaxReleasePoints = 4;
  int bucket_count(double bytes) const {
    return std::max(1, static_cast<int>(std::ceil(bytes / plan.bucket_bytes)));
  }
  void push_buckets(GpuState& me, int chunk, CollectiveKind kind) {
    if (!me.dp_comm) return;
    const double bytes = (*me.costs)[me.coord.stage].chunks[chunk].params * kGradBytesPerParam;
    me.stream.push(GradRequest::run(me.dp_comm, me.coord.dp, kind, bytes, bucket_count(bytes)));
  }
  void compute_loop(int r);
  void stream_loop(int r);
  // ZeRO-3: issues, once, the all-gather of the parameters op `i` of this iteration needs.
  void gather_for(GpuState& me, int i, int r) {
    const auto& ops = sched[me.coord.stage];
    // Weight-gradient ops (zero bubble's W) need activations and output gradients, not weights.
    if (i >= static_cast<int>(ops.size()) || me.gathers.count(i) || ops[i].type == OpType::BackwardWeight) return;
    (void)r;
    const auto& c = (*me.costs)[me.coord.stage].chunks[ops[i].chunk];
    auto done = sg4::Semaphore::create(0);
    me.gathers.emplace(i, done);
    // bf16 parameters of the chunk, gathered from the dp shards.
    me.stream.push(GradRequest::run(me.dp_comm, me.coord.dp, CollectiveKind::AllGather, 2.0 * c.params, 1, done));
  }
  bool zero3 = false;
};

TrainingProgram::Impl::Impl(Simulation& sim, const TrainingSpec& spec_in, uint64_t seed, Recorder* rec,
                            TrainingHooks h, const std::string& prefix)
    : spec(spec_in), net(sim.network()), recorder(rec), hooks(std::move(h)), layout(spec_in.plan) {
  const auto& model = spec.model;
  validate_plan(plan, model, net.gpu_count());
  pp = plan.pp, dp = plan.dp, tp = plan.tp, m = plan.micro_batches(), v = plan.chunks;
  V = pp * v;
  sched = schedule::make_schedule({plan.schedule, pp, m, v});

  const auto slow = straggler_factors(spec.stragglers, net.gpu_count(), seed);
  pp_bytes = pipeline_message_bytes(model, plan);
  const double full_activation = 2.0 * plan.micro_batch * model.seq_len * model.hidden;
  const bool gather_after_recv = tp > 1 && plan.scatter_gather && !plan.sequence_parallel;

  gpus = std::vector<GpuState>(layout.gpus());
  gather_time.assign(layout.gpus(), 0);
  for (int r = 0; r < layout.gpus(); ++r) {
    auto& g = gpus[r];
    g.coord = layout.coord(r);
    g.gpu = layout.gpu_of_rank(r);
    const auto group = layout.tp_group(g.coord.stage, g.coord.dp);
    const TpLink link = tp_link_of(net, group);
    const int cluster = net.location(g.gpu).cluster;
    // Costs per (TP link, GPU type): usually a handful of distinct values.
    auto key = std::make_tuple(link.bandwidth, link.latency, cluster);
    auto it = cost_cache.find(key);
    if (it == cost_cache.end()) it = cost_cache.emplace(key, stage_costs(model, plan, compute_of(g.gpu), link)).first;
    g.costs = &it->second;
    // A TP group advances at its slowest member's pace (it synchronises every layer).
    for (int member : group) g.slowdown = std::max(g.slowdown, slow[member]);
    if (gather_after_recv)
      gather_time[r] = double(tp - 1) / tp * full_activation / link.bandwidth + (tp - 1) * link.latency;
    g.pp_inbox = std::make_unique<Inbox>(prefix + "pp#" + std::to_string(r), g.gpu, recorder);
    if (recorder) {
      auto& info = recorder->trace().gpus[g.gpu];
      info.stage = g.coord.stage;
      info.tp_rank = g.coord.tp;
      info.dp_rank = g.coord.dp;
    }
  }

  // Data-parallel communicators (one per stage and TP rank), embedding-sync communicators.
  if (dp > 1)
    for (int s = 0; s < pp; ++s)
      for (int t = 0; t < tp; ++t) {
        comms.push_back(std::make_unique<Communicator>(net, prefix + "dp#" + std::to_string(s) + "." + std::to_string(t),
                                                       layout.dp_group(s, t), recorder));
        for (int d = 0; d < dp; ++d) gpus[layout.rank({s, d, t})].dp_comm = comms.back().get();
      }
  const bool embedding_sync = model.tied_embeddings && pp > 1;
  if (embedding_sync)
    for (int d = 0; d < dp; ++d)
      for (int t = 0; t < tp; ++t) {
        const int first = layout.rank({0, d, t}), last = layout.rank({pp - 1, d, t});
        comms.push_back(std::make_unique<Communicator>(
            net, prefix + "emb#" + std::to_string(d) + "." + std::to_string(t),
            std::vector<int>{gpus[first].gpu, gpus[last].gpu}, recorder));
        gpus[first].embedding_comm = gpus[last].embedding_comm = comms.back().get();
        gpus[first].embedding_rank = 0;
        gpus[last].embedding_rank = 1;
      }
  needs_stream = dp > 1 || embedding_sync;
  embedding_grad_bytes = 2.0 * model.vocab * model.hidden / tp;
  grad_collective = plan.zero_stage >= 1 ? CollectiveKind::ReduceScatter : CollectiveKind::AllReduce;
  zero3 = plan.zero_stage >= 3 && dp > 1;

  // The last op of each chunk that completes its weight gradients (bucket readiness).
  last_grad_op.assign(pp, std::vector<int>(v, -1));
  for (int s = 0; s < pp; ++s)
    for (int i = 0; i < static_cast<int>(sched[s].size()); ++i) {
      const auto& op = sched[s][i];
      if (op.type == OpType::Backward || op.type == OpType::BackwardWeight) last_grad_op[s][op.chunk] = i;
    }

  optimizer_time.assign(layout.gpus(), 0);
  for (int r = 0; r < layout.gpus(); ++r) {
    GpuState& g = gpus[r];
    const double params = (*g.costs)[g.coord.stage].params() / (plan.zero_stage >= 1 ? dp : 1);
    optimizer_time[r] = compute_of(g.gpu).optimizer_step(params) * g.slowdown;
    auto compute_actor = sim.spawn(prefix + "gpu" + std::to_string(g.gpu), g.gpu, [this, r] { compute_loop(r); });
    g.pp_inbox->bind(compute_actor);
    if (needs_stream) {
      auto stream_actor =
          sim.spawn(prefix + "gpu" + std::to_string(g.gpu) + "-comm", g.gpu, [this, r] { stream_loop(r); });
      if (g.dp_comm) g.dp_comm->bind(g.coord.dp, stream_actor);
      if (g.embedding_comm) g.embedding_comm->bind(g.embedding_rank, stream_actor);
    }
  }
}

// The GPU's compute stream: its stage's schedule, then gradient sync and the optimizer step.
void TrainingProgram::Impl::compute_loop(int r) {
  GpuState& me = gpus[r];
  const int stage = me.coord.stage;
  const auto& my_costs = (*me.costs)[stage];
  for (int it = 0; it < plan.iterations; ++it) {
    double first_start = -1, last_end = 0, busy_before = me.busy;
    for (int i = 0; i < static_cast<int>(sched[stage].size()); ++i) {
      const auto& op = sched[stage][i];
      const int vs = op.chunk * pp + stage;
      const auto& c = my_costs.chunks[op.chunk];
      const bool forward = op.type == OpType::Forward;
      const bool needs_input = forward ? vs > 0 : (op.type != OpType::BackwardWeight && vs < V - 1);
      if (needs_input) {
        const double asked = Simulation::now();
        const int src_rank = rank_of_vs(forward ? vs - 1 : vs + 1, me.coord);
        Message msg = me.pp_inbox->receive(tag(it, forward ? 0 : 1, op.micro_batch, vs));
        double ready = msg.arrived_at + net.route_latency(gpus[src_rank].gpu, me.gpu) + gather_time[r];
        if (ready > Simulation::now()) sg4::this_actor::sleep_until(ready);
        // Exposed transfer: the wait not explained by the producer still computing.
        me.pp_exposed += std::max(0.0, ready - std::max(asked, msg.posted_at));
        record(me, msg.posted_at, ready, ActivityKind::PpRecv, op.micro_batch, op.chunk, it, msg.bytes,
               gpus[src_rank].gpu);
      }
      if (zero3 && op.type != OpType::BackwardWeight) {
        // ZeRO-3: the op needs its chunk's parameters gathered; the gather for the next op is
        // issued now (prefetch, as FSDP and DeepSpeed do) so it overlaps this op.
        const double wait_from = Simulation::now();
        gather_for(me, i, r);
        gather_for(me, i + 1, r);
        me.gathers.at(i)->acquire();
        me.gathers.erase(i);
        me.dp_exposed += Simulation::now() - wait_from;
      }
      double duration = 0, tp_part = 0;
      ActivityKind kind = ActivityKind::Forward;
      switch (op.type) {
        case OpType::Forward: duration = c.fwd, tp_part = c.tp_fwd, kind = ActivityKind::Forward; break;
        case OpType::Backward: duration = c.bwd(), tp_part = c.tp_bwd, kind = ActivityKind::Backward; break;
        case OpType::BackwardInput:
          duration = c.bwd_input, tp_part = c.tp_bwd, kind = ActivityKind::BackwardInput;
          break;
        case OpType::BackwardWeight: duration = c.bwd_weight, kind = ActivityKind::BackwardWeight; break;
      }
      duration *= me.slowdown;
      const double start = Simulation::now();
      if (first_start < 0) first_start = start;
      if (plan.overlap_grad_reduce && !zero3 && i == last_grad_op[stage][op.chunk] && me.dp_comm) {
        // Gradients of the chunk's layers become final as this op walks back through them:
        // release its buckets at even points of the op (at most kMaxReleasePoints groups).
        const double bytes = c.params * kGradBytesPerParam;
        const int n = bucket_count(bytes), groups = std::min(n, kMaxReleasePoints);
        for (int g = 0; g < groups; ++g) {
          const int in_group = n / groups + (g < n % groups ? 1 : 0);
          sg4::this_actor::sleep_for(duration * in_group / n);
          me.stream.push(GradRequest::run(me.dp_comm, me.coord.dp, grad_collective, bytes * in_group / n, in_group));
        }
      } else {
        sg4::this_actor::sleep_for(duration);
      }
      const double end = Simulation::now();
      last_end = end;
      me.busy += end - start;
      me.tp += tp_part * me.slowdown;
      record(me, start, end, kind, op.micro_batch, op.chunk, it);
      // The op's tensor-parallel collectives (closed form, inside the op): shown as one
      // activity at the op's end with their summed duration.
      if (tp_part > 0)
        record(me, end - tp_part * me.slowdown, end, ActivityKind::TpComm, op.micro_batch, op.chunk, it);
      if (zero3 && (op.type == OpType::Backward || op.type == OpType::BackwardWeight))
        // ZeRO-3: each backward reduce-scatters its weight gradients over the DP group.
        me.stream.push(GradRequest::run(me.dp_comm, me.coord.dp, CollectiveKind::ReduceScatter,
                                        c.params * kGradBytesPerParam));
      const bool sends = forward ? vs < V - 1 : (op.type != OpType::BackwardWeight && vs > 0);
      if (sends) {
        const int dst_vs = forward ? vs + 1 : vs - 1;
        gpus[rank_of_vs(dst_vs, me.coord)].pp_inbox->post(me.gpu, tag(it, forward ? 0 : 1, op.micro_batch, dst_vs),
                                                          pp_bytes);
      }
    }
    me.phase_busy.push_back(me.busy - busy_before);
    me.phase_start.push_back(first_start);
    me.phase_end.push_back(last_end);
    // Gradient synchronisation, then the optimizer step.
    const double wait_from = Simulation::now();
    if (needs_stream) {
      if (!plan.overlap_grad_reduce && !zero3)
        for (int ch = v - 1; ch >= 0; --ch) push_buckets(me, ch, grad_collective);
      if (me.embedding_comm)
        me.stream.push(GradRequest::run(me.embedding_comm, me.embedding_rank, CollectiveKind::AllReduce,
                                        embedding_grad_bytes));
      me.stream.push(GradRequest::marker());
      me.stream.done->acquire();
    }
    me.dp_exposed += Simulation::now() - wait_from;
    const double opt_start = Simulation::now();
    sg4::this_actor::sleep_for(optimizer_time[r]);
    me.optimizer += optimizer_time[r];
    record(me, opt_start, Simulation::now(), ActivityKind::Optimizer, -1, -1, it);
    if (plan.zero_stage >= 1 && plan.zero_stage < 3 && me.dp_comm) {
      // Distributed optimizer: all-gather the updated bf16 parameters (ZeRO-3 gathers them
      // before each use instead).
      const double ag_from = Simulation::now();
      for (int ch = 0; ch < v; ++ch) push_buckets(me, ch, CollectiveKind::AllGather);
      me.stream.push(GradRequest::marker());
      me.stream.done->acquire();
      me.dp_exposed += Simulation::now() - ag_from;
    }
    if (hooks.after_iteration) hooks.after_iteration(r, me.gpu, it);
    me.iteration_end.push_back(Simulation::now());
  }
  if (needs_stream) me.stream.push(GradRequest::stop());
}

// The GPU's communication stream: data-parallel and embedding collectives, in issue order.
void TrainingProgram::Impl::stream_loop(int r) {
  GpuState& me = gpus[r];
  for (;;) {
    me.stream.pending->acquire();
    GradRequest req = me.stream.queue.front();
    me.stream.queue.pop_front();
    if (req.kind == GradRequest::Stop) return;
    if (req.kind == GradRequest::Marker) {
      me.stream.done->release();
      continue;
    }
    const double start = Simulation::now();
    run_collective(*req.comm, req.rank,
                   {req.collective, plan.dp_algorithm, req.bytes, 0, Granularity::Aggregated, req.buckets});
    record(me, start, Simulation::now(), ActivityKind::DpComm, -1, -1, -1, req.bytes);
    if (req.completed) req.completed->release();
  }
}

TrainingResult TrainingProgram::Impl::result() const {
  const auto& plan = spec.plan;
  const int pp = plan.pp;
  TrainingResult res;
  const int iters = plan.iterations;
  res.iteration_times.assign(iters, 0);
  for (int it = 0; it < iters; ++it) {
    double end = 0, begin = 0;
    for (const auto& g : gpus) {
      end = std::max(end, g.iteration_end[it]);
      if (it > 0) begin = std::max(begin, g.iteration_end[it - 1]);
    }
    res.iteration_times[it] = end - begin;
  }
  for (double t : res.iteration_times) res.iteration_time += t / iters;
  const double n = static_cast<double>(gpus.size()) * iters;
  res.stage_compute.assign(pp, 0);
  std::vector<int> per_stage(pp, 0);
  // Bubble: idle share of the pipeline phase (first forward to last backward over all GPUs of
  // the iteration), as in the GPipe/Megatron definition (p-1)/(m+p-1) for uniform stages.
  double bubble = 0;
  for (int it = 0; it < iters; ++it) {
    double lo = 1e300, hi = 0;
    for (const auto& g : gpus) lo = std::min(lo, g.phase_start[it]), hi = std::max(hi, g.phase_end[it]);
    for (const auto& g : gpus) bubble += hi > lo ? 1 - g.phase_busy[it] / (hi - lo) : 0;
  }
  for (const auto& g : gpus) {
    res.exposed_tp += g.tp / n;
    res.exposed_pp += g.pp_exposed / n;
    res.exposed_dp += g.dp_exposed / n;
    res.optimizer_time += g.optimizer / n;
    res.stage_compute[g.coord.stage] += g.busy / iters;
    ++per_stage[g.coord.stage];
    res.max_slowdown = std::max(res.max_slowdown, g.slowdown);
  }
  for (int s = 0; s < pp; ++s) res.stage_compute[s] /= per_stage[s];
  res.bubble_fraction = bubble / n;
  res.stage_memory = estimate_stage_memory(spec);
  const double hbm = net.spec().clusters[net.location(gpus[0].gpu).cluster].gpu.memory_bytes;
  for (int s = 0; s < pp; ++s)
    if (res.stage_memory[s].total() > hbm) res.oom_stages.push_back(s);
  return res;
}

TrainingProgram::TrainingProgram(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder,
                                 TrainingHooks hooks, std::string prefix)
    : impl_(std::make_unique<Impl>(sim, spec, seed, recorder, hooks, prefix)) {}

TrainingProgram::~TrainingProgram() = default;

TrainingResult TrainingProgram::result() const { return impl_->result(); }

TrainingResult simulate_training(Simulation& sim, const TrainingSpec& spec, uint64_t seed, Recorder* recorder) {
  TrainingProgram program(sim, spec, seed, recorder);
  sim.run();
  return program.result();
}

}  // namespace trainsim
