#include "diloco/full_sim.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <simgrid/s4u/Semaphore.hpp>

#include "collective/algorithms.hpp"
#include "collective/communicator.hpp"
#include "diloco/sync_plan.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "parallel/layout.hpp"
#include "training/simulator.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {

std::vector<int> cluster_first_gpus(const PlatformSpec& platform) {
  std::vector<int> first;
  int next = 0;
  for (const auto& c : platform.clusters) {
    first.push_back(next);
    next += c.nodes * c.gpus_per_node;
  }
  return first;
}

TrainingSpec replica_training(const TrainingSpec& training, const PlatformSpec& platform, int cluster,
                              int iterations) {
  const auto& c = platform.clusters[cluster];
  if (training.plan.gpus() > c.nodes * c.gpus_per_node)
    throw InputError(training.where, "training.parallelism",
                     "tp x pp x dp = " + std::to_string(training.plan.gpus()) + " GPUs but datacenter '" + c.name +
                         "' has " + std::to_string(c.nodes * c.gpus_per_node));
  TrainingSpec t = training;
  t.plan.order = RankOrder::Explicit;
  t.plan.mapping.resize(t.plan.gpus());
  const int first = cluster_first_gpus(platform)[cluster];
  for (int r = 0; r < t.plan.gpus(); ++r) t.plan.mapping[r] = first + r;
  t.plan.iterations = iterations;
  return t;
}

namespace {

// One outer synchronisation of one fragment as one GPU takes part in it.
struct OuterRequest {
  bool stop = false;
  int fragment = 0;
  int deadline = 0;   // iteration whose after-iteration hook needs the result
  double cross = 0;   // bytes of the cross-datacenter collective (0: this GPU has none)
  CollectiveKind cross_kind = CollectiveKind::AllReduce;
  double intra = 0;   // bytes of the in-datacenter collective over the dp group (0: none)
  CollectiveKind intra_kind = CollectiveKind::AllGather;
  bool intra_from_gateway = false;  // hierarchical: dp rank 0 alone has the result
};

// A GPU's outer stream: requests in issue order, one completion token per request.
struct OuterGpu {
  int gpu = 0, replica = 0, stage = 0;
  Communicator* cross = nullptr;  // across replicas, rank = replica
  Communicator* intra = nullptr;  // dp group inside the replica, rank = dp rank
  int intra_rank = 0;
  std::deque<OuterRequest> queue;
  sg4::SemaphorePtr pending = sg4::Semaphore::create(0);
  sg4::SemaphorePtr done = sg4::Semaphore::create(0);
  std::vector<int> deadlines;  // of the requests issued so far
  size_t awaited = 0;          // requests whose completion the compute actor has taken
  double blocked = 0;          // seconds blocked on outer results in the measured window
  void push(const OuterRequest& r) {
    queue.push_back(r);
    pending->release();
  }
};

void outer_loop(OuterGpu& me, Recorder& rec, int label) {
  for (;;) {
    me.pending->acquire();
    const OuterRequest req = me.queue.front();
    me.queue.pop_front();
    if (req.stop) return;
    const double start = Simulation::now();
    if (req.cross > 0)
      run_collective(*me.cross, me.replica, {req.cross_kind, CollectiveAlgorithm::Ring, req.cross, 0});
    // Stepwise when only the gateway holds the data (hierarchical): the aggregated ring posts
    // every rank's whole share at once, so all but the gateway's successor would finish
    // without the gateway's result and resume training early (their wait then showed up as
    // exposed DP communication of the next step). Step by step, rank d needs d steps of the
    // gateway's chain, as a ring broadcast does.
    if (req.intra > 0)
      run_collective(*me.intra, me.intra_rank,
                     {req.intra_kind, CollectiveAlgorithm::Ring, req.intra, 0,
                      req.intra_from_gateway ? Granularity::Stepwise : Granularity::Aggregated});
    output::ActivityRecord r;
    r.start = start, r.end = Simulation::now(), r.gpu = me.gpu, r.stage = me.stage, r.chunk = req.fragment;
    r.bytes = req.cross, r.label = label, r.kind = output::ActivityKind::OuterSync;
    rec.activity(r);
    me.done->release();
  }
}

}  // namespace

AbstractResult simulate_full(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                             uint64_t seed, const FullRunOptions& options) {
  if (!spec.training || spec.models.size() != 1) throw InternalError("simulate_full: needs the training job");
  const TrainingSpec& training = *spec.training;
  const DilocoModel& model = spec.models[0];
  const int m = static_cast<int>(platform.clusters.size());
  const SyncPlan plan(model, method, m);
  const int h = plan.inner_steps();
  const int total = spec.rounds * h;
  const bool hierarchical = spec.reduce == CrossReduce::Hierarchical;
  const ParallelPlan& pp = training.plan;
  if (pp.chunks != 1)
    throw InputError(training.where, "training.chunks", "full DiLoCo workers support one model chunk per GPU");
  const RankLayout layout(pp);
  const int ranks = pp.gpus();

  // Layers of each stage (consecutive ranges) and, per fragment, how many lie on each stage.
  const std::vector<int> per_stage = stage_layers(pp, training.model);
  std::vector<int> stage_of(model.layers);
  for (int s = 0, l = 0; s < pp.pp; ++s)
    for (int i = 0; i < per_stage[s]; ++i) stage_of[l++] = s;
  std::vector<std::vector<int>> on_stage(plan.fragments(), std::vector<int>(pp.pp, 0));
  for (int f = 0; f < plan.fragments(); ++f)
    for (int l : plan.fragment_layers(f)) ++on_stage[f][stage_of[l]];

  SimulationOptions scope;  // the replicas' GPUs (each on its cluster's first GPUs)
  if (!options.whole_platform) {
    scope.gpus.emplace();
    for (int c = 0; c < m; ++c)
      for (int g : replica_training(training, platform, c, total).plan.mapping) scope.gpus->push_back(g);
  }
  Simulation sim(platform, seed, scope);
  Network& net = sim.network();
  // Activities are always kept: the WAN peak comes from the recorder's link series.
  Recorder rec(net, true);
  const int label = rec.label("outer sync " + method.name);

  std::vector<std::vector<OuterGpu>> outer(m, std::vector<OuterGpu>(ranks));
  std::vector<std::unique_ptr<Communicator>> comms;
  const auto first = cluster_first_gpus(platform);
  for (int c = 0; c < m; ++c)
    for (int r = 0; r < ranks; ++r) {
      OuterGpu& o = outer[c][r];
      o.gpu = first[c] + r, o.replica = c, o.stage = layout.coord(r).stage;
      o.intra_rank = layout.coord(r).dp;
    }
  for (int r = 0; r < ranks; ++r) {
    if (hierarchical && layout.coord(r).dp != 0) continue;
    std::vector<int> gpus;
    for (int c = 0; c < m; ++c) gpus.push_back(first[c] + r);
    comms.push_back(std::make_unique<Communicator>(net, "outer#" + std::to_string(r), gpus, &rec));
    for (int c = 0; c < m; ++c) outer[c][r].cross = comms.back().get();
  }
  if (pp.dp > 1)
    for (int c = 0; c < m; ++c)
      for (int s = 0; s < pp.pp; ++s)
        for (int t = 0; t < pp.tp; ++t) {
          std::vector<int> gpus;
          for (int d = 0; d < pp.dp; ++d) gpus.push_back(first[c] + layout.rank({s, d, t}));
          comms.push_back(std::make_unique<Communicator>(
              net, "outer-dp#" + std::to_string(c) + "." + std::to_string(s) + "." + std::to_string(t), gpus, &rec));
          for (int d = 0; d < pp.dp; ++d) outer[c][layout.rank({s, d, t})].intra = comms.back().get();
        }

  // What one GPU exchanges for fragment f (docs/diloco.md, "Full workers"): its stage's layers
  // of the fragment, split over tp. Ring: each dp rank sends 1/dp of that shard across, then
  // the dp group all-gathers the updated bf16 values. Hierarchical: dp rank 0 sends the whole
  // shard across and broadcasts the result (reduced at >= 16 bits, the M quantized
  // contributions below) to its dp group.
  const double layer_params = model.parameters / model.layers;
  const bool gathered = method.bits < 16 && m > 1;  // the ring all-gathers unreduced values
  auto request = [&](int f, int rank, int it) {
    const RankCoord co = layout.coord(rank);
    const int n = on_stage[f][co.stage];
    OuterRequest q;
    q.fragment = f;
    q.deadline = it + plan.result_lag();
    const double shard = n * plan.layer_bytes() / pp.tp;  // exchanged width
    const double cross_share = hierarchical ? shard : shard / pp.dp;
    if (!hierarchical || co.dp == 0) {
      q.cross_kind = gathered ? CollectiveKind::AllGather : CollectiveKind::AllReduce;
      q.cross = gathered ? cross_share * m : cross_share;
    }
    if (pp.dp > 1) {
      if (hierarchical) {
        // The gateway's result reaches its dp group as a ring all-gather of the same buffer:
        // the same bytes on the ring's links as a pipelined ring broadcast ((dp-1) x buffer);
        // the collective library's broadcast did not complete on 16-rank groups (report).
        q.intra_kind = CollectiveKind::AllGather;
        q.intra = gathered ? shard * m : shard;
        q.intra_from_gateway = true;
      } else {
        q.intra_kind = CollectiveKind::AllGather;
        q.intra = n * layer_params / pp.tp * 2.0;
      }
    }
    return q;
  };

  // Iteration ends per replica (after the hook's waits), for the measured window.
  std::vector<std::vector<double>> iteration_end(m, std::vector<double>(total, 0));
  std::vector<std::unique_ptr<TrainingProgram>> programs;
  for (int c = 0; c < m; ++c) {
    TrainingHooks hooks;
    hooks.after_iteration = [&, c](int rank, int gpu, int it) {
      OuterGpu& o = outer[c][rank];
      for (int f : plan.fragments_after(it)) {
        if (on_stage[f][o.stage] == 0) continue;
        o.push(request(f, rank, it));
        o.deadlines.push_back(it + plan.result_lag());
      }
      const double from = Simulation::now();
      while (o.awaited < o.deadlines.size() && o.deadlines[o.awaited] <= it) {
        o.done->acquire();
        ++o.awaited;
      }
      const double to = Simulation::now();
      if (to > from) {
        if (it >= h) o.blocked += to - from;
        output::ActivityRecord r;
        r.start = from, r.end = to, r.gpu = gpu, r.stage = o.stage, r.step = it;
        r.kind = output::ActivityKind::Wait;
        rec.activity(r);
      }
      iteration_end[c][it] = std::max(iteration_end[c][it], to);
      if (it == total - 1) o.push({true});
    };
    programs.push_back(std::make_unique<TrainingProgram>(sim, replica_training(training, platform, c, total),
                                                         seed + static_cast<uint64_t>(c), &rec, hooks,
                                                         "r" + std::to_string(c) + "."));
  }
  for (int c = 0; c < m; ++c)
    for (int r = 0; r < ranks; ++r) {
      OuterGpu& o = outer[c][r];
      auto actor = sim.spawn("outer." + std::to_string(o.gpu), o.gpu, [&o, &rec, label] { outer_loop(o, rec, label); });
      if (o.cross) o.cross->bind(c, actor);
      if (o.intra) o.intra->bind(o.intra_rank, actor);
    }
  const double makespan = sim.run();

  // Window: from the start of round 2 to the end of the last round (after the waits of its last
  // step), per replica; the job's is the slowest replica's.
  AbstractResult res;
  std::vector<double> window(m);
  double slowest = 0;
  for (int c = 0; c < m; ++c) {
    window[c] = iteration_end[c][total - 1] - iteration_end[c][h - 1];
    slowest = std::max(slowest, window[c]);
  }
  double compute_sum = 0;
  for (int c = 0; c < m; ++c) {
    const TrainingResult tr = programs[c]->result();
    double busy = 0;
    for (double s : tr.stage_compute) busy += s / pp.pp;  // every stage has tp x dp GPUs
    WorkerOutcome o;
    o.window = slowest;
    o.compute = (total - h) * (busy + tr.optimizer_time);
    double blocked = 0;
    for (const auto& g : outer[c]) blocked += g.blocked / ranks;
    o.wait = blocked + (slowest - window[c]);
    compute_sum += o.compute;
    res.workers.push_back(o);
  }
  res.utilization = slowest > 0 ? compute_sum / (m * slowest) : 0;
  res.round_time = slowest / (spec.rounds - 1);
  res.extra_memory_per_gpu = plan.extra_memory_per_gpu(model.parameters, hierarchical ? pp.tp * pp.pp : ranks);

  output::TraceData& t = rec.finish(makespan);
  const auto& links = net.links();
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].tier != LinkTier::Wan) continue;
    res.wan_link_names.push_back(links[i].name);
    res.wan_link_bytes.push_back(rec.bytes_on_link(static_cast<int>(i)));
    res.wan_bytes += res.wan_link_bytes.back();
  }
  // Every round issues the same syncs, and the run ends when all of them have arrived.
  res.wan_bytes_per_round = res.wan_bytes / spec.rounds;
  // Peak: the busiest window of about one inner step (wall time per step in the measured
  // rounds, in whole bins of the recorder's series), like the abstract mode's step window. The
  // series spreads each message evenly over its transfer, so single bins can overstate a link
  // whose share changed during a transfer; a step-long window smooths that out.
  const auto& series = t.link_series;
  if (series.bin_width > 0) {
    const size_t k = std::clamp<size_t>(static_cast<size_t>(std::lround(res.round_time / h / series.bin_width)), 1,
                                        series.bins);
    for (size_t row = 0; row < series.link.size(); ++row) {
      if (links[series.link[row]].tier != LinkTier::Wan) continue;
      const double* bytes = &series.bytes[row * series.bins];
      double sum = 0;
      for (size_t b = 0; b < series.bins; ++b) {
        sum += bytes[b];
        if (b >= k) sum -= bytes[b - k];
        if (b + 1 >= k) res.peak_wan_bandwidth = std::max(res.peak_wan_bandwidth, sum / (k * series.bin_width));
      }
    }
  }
  if (options.trace) {
    for (int c = 0; c < m; ++c)
      for (int r = 0; r < ranks; ++r) t.gpus[first[c] + r].replica = c;
    *options.trace = std::move(t);
  }
  return res;
}

}  // namespace trainsim
