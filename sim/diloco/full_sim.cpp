#include "diloco/full_sim.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "diloco/sync_plan.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "parallel/layout.hpp"
#include "program/builder.hpp"
#include "training/costs.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"

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

program::ProgramSet full_programs(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                                  uint64_t seed) {
  using namespace program;
  if (!spec.training || spec.models.size() != 1) throw InternalError("full DiLoCo workers need the training job");
  const TrainingSpec& training = *spec.training;
  const DilocoModel& model = spec.models[0];
  const int m = static_cast<int>(platform.clusters.size());
  const SyncPlan plan(model, method, m);
  const int h = plan.inner_steps();
  const int total = spec.rounds * h;
  const bool hierarchical = spec.reduce == CrossReduce::Hierarchical;
  const ParallelPlan& pp = training.plan;
  const RankLayout layout(pp);
  const int ranks = pp.gpus();

  // Per fragment, how many of its layers each stage holds (interleaved stages hold several
  // ranges of layers: the placement rule of training/costs.hpp; under DualPipe every layer sits
  // on two stages, and each copy is synchronised).
  std::vector<std::vector<int>> on_stage(plan.fragments(), std::vector<int>(pp.pp, 0));
  for (int s = 0; s < pp.pp; ++s) {
    const auto held = layers_of_stage(pp, training.model, s);
    for (int f = 0; f < plan.fragments(); ++f)
      for (int l : plan.fragment_layers(f)) on_stage[f][s] += std::binary_search(held.begin(), held.end(), l) ? 1 : 0;
  }

  Builder b;
  const auto first = cluster_first_gpus(platform);
  // Outer groups: across replicas, the GPUs of the same rank (hierarchical: dp rank 0 only);
  // inside a replica, its dp groups (for the all-gather of the updated values).
  std::vector<int> cross(ranks, -1);
  std::vector<std::vector<int>> intra(m, std::vector<int>(ranks, -1));
  for (int r = 0; r < ranks; ++r) {
    if (hierarchical && layout.coord(r).dp != 0) continue;
    std::vector<int32_t> gpus;
    for (int c = 0; c < m; ++c) gpus.push_back(first[c] + r);
    cross[r] = b.group("outer#" + std::to_string(r), gpus);
  }
  if (pp.dp > 1)
    for (int c = 0; c < m; ++c)
      for (int s = 0; s < pp.pp; ++s)
        for (int t = 0; t < pp.tp; ++t) {
          std::vector<int32_t> gpus;
          for (int d = 0; d < pp.dp; ++d) gpus.push_back(first[c] + layout.rank({s, d, t}));
          const int g = b.group("outer-dp#" + std::to_string(c) + "." + std::to_string(s) + "." + std::to_string(t), gpus);
          for (int d = 0; d < pp.dp; ++d) intra[c][layout.rank({s, d, t})] = g;
        }
  const int label = b.label("outer sync " + method.name);

  // What one GPU exchanges for fragment f (docs/diloco.md, "Full workers"): its stage's layers
  // of the fragment, split over tp. Ring: each dp rank sends 1/dp of that shard across, then
  // the dp group all-gathers the updated bf16 values. Hierarchical: dp rank 0 sends the whole
  // shard across and broadcasts the result (reduced at >= 16 bits, the M quantized
  // contributions below) to its dp group.
  const double layer_params = model.parameters / model.layers;
  const bool gathered = method.bits < 16 && m > 1;  // the ring all-gathers unreduced values
  auto ring = [](CollectiveKind kind, double bytes, Granularity g = Granularity::Aggregated) {
    Collective c;
    c.kind = kind, c.algorithm = CollectiveAlgorithm::Ring, c.bytes = bytes, c.granularity = g;
    return c;
  };

  for (int c = 0; c < m; ++c) {
    auto insert_outer_syncs = [&, c](int rank, Program& p, std::vector<int32_t>& groups) {
      const int cs = b.stream(kComputeStream), os = b.stream(kOuterStream);
      const int cross_slot = b.slot("outer"), intra_slot = b.slot("outer-dp");
      groups.resize(b.set().slots.size(), -1);
      groups[cross_slot] = cross[rank];
      groups[intra_slot] = intra[c][rank];
      const RankCoord co = layout.coord(rank);
      Program q;
      q.events = p.events;
      q.values = p.values;
      ProgramWriter w(q);
      std::deque<std::pair<int, int>> pending;  // (iteration needing the result, its event)
      for (const Op& op : p.ops) {
        const bool iteration_end = op.kind() == OpKind::Marker && op.stream == cs &&
                                   op.as<Marker>().what == MarkerKind::Iteration && op.as<Marker>().end;
        if (iteration_end) {
          const int it = op.as<Marker>().value;
          int handed = -1;
          for (int f : plan.fragments_after(it)) {
            const int n = on_stage[f][co.stage];
            if (n == 0) continue;
            if (handed < 0) handed = w.record(cs);
            w.wait(os, handed);
            w.marker(os, MarkerKind::Iteration, it);
            w.marker(os, MarkerKind::Fragment, f);
            const double shard = n * plan.layer_bytes() / pp.tp;  // exchanged width
            const double cross_share = hierarchical ? shard : shard / pp.dp;
            if (!hierarchical || co.dp == 0)
              w.collective(os, cross_slot,
                           gathered ? ring(CollectiveKind::AllGather, cross_share * m) : ring(CollectiveKind::AllReduce, cross_share),
                           Role::OuterSync, label);
            if (pp.dp > 1) {
              // Hierarchical: the gateway's result reaches its dp group as a ring all-gather of
              // the same buffer (the bytes of a pipelined ring broadcast), step by step: the
              // aggregated ring would let all but the gateway's successor finish without the
              // gateway's result. Ring: the dp group all-gathers the updated bf16 values.
              if (hierarchical)
                w.collective(os, intra_slot, ring(CollectiveKind::AllGather, gathered ? shard * m : shard, Granularity::Stepwise),
                             Role::OuterSync, label);
              else
                w.collective(os, intra_slot, ring(CollectiveKind::AllGather, n * layer_params / pp.tp * 2.0), Role::OuterSync,
                             label);
            }
            w.marker(os, MarkerKind::Fragment, f, true);
            w.marker(os, MarkerKind::Iteration, it, true);
            pending.emplace_back(it + plan.result_lag(), w.record(os));
          }
          // The results this step needs before the next one starts.
          while (!pending.empty() && pending.front().first <= it) {
            w.wait(cs, pending.front().second);
            pending.pop_front();
          }
        }
        w.append(op);
      }
      p = std::move(q);
    };
    add_training_programs(b, replica_training(training, platform, c, total), platform, seed + static_cast<uint64_t>(c),
                          "r" + std::to_string(c) + ".", c, insert_outer_syncs);
  }
  JobInfo& job = b.job();
  job.kind = "diloco_full";
  job.values = {{"inner_steps", double(h)},
                {"rounds", double(spec.rounds)},
                {"replicas", double(m)},
                {"extra_memory_per_gpu", plan.extra_memory_per_gpu(model.parameters, hierarchical ? pp.tp * pp.pp : ranks)}};
  return b.finish();
}

SteadyRounds find_steady_rounds(const std::vector<double>& round_ends) {
  const int rounds = static_cast<int>(round_ends.size());
  if (rounds < 2) throw InternalError("a steady state needs two rounds or more");
  // Round k >= 1 lasts round_ends[k] - round_ends[k-1]; round 0 holds the start-up (pipeline
  // fill, empty queues) and is never part of a steady state.
  auto length = [&](int k) { return round_ends[k] - round_ends[k - 1]; };
  double longest = 0;
  for (int k = 1; k < rounds; ++k) longest = std::max(longest, length(k));
  const double tolerance = 1e-9 * std::max(longest, 1e-300);  // the clock's rounding, not a fit
  for (int start = 1; start < rounds; ++start)
    for (int period = 1; 2 * period <= rounds - start; ++period) {
      bool repeats = true;
      for (int k = start + period; k < rounds && repeats; ++k) repeats = std::abs(length(k) - length(k - period)) <= tolerance;
      if (repeats) return {start, period, (rounds - start) / period * period, true};
    }
  // No repetition seen: the mean of the second half of the rounds, flagged.
  const int start = std::max(1, rounds / 2);
  return {start, rounds - start, rounds - start, false};
}

AbstractResult full_result(const program::ProgramSet& set, const TrainingMeter& meter, const output::TraceData& t) {
  const int h = static_cast<int>(set.job.get("inner_steps"));
  const int rounds = static_cast<int>(set.job.get("rounds"));
  const int m = static_cast<int>(set.job.get("replicas"));
  if (h < 1 || rounds < 2 || m < 1) throw InternalError("full DiLoCo programs need inner steps, rounds >= 2 and replicas");
  // Round ends per replica (its last rank past the round's last inner step) and of the job (the
  // slowest replica's). The figures are those of the steady state found in the rounds played:
  // the rounds from `start` on, over whole periods (a window that starts with the warm-up, as
  // rounds 2..R used to, overstates utilization while queues drain: issue 10).
  std::vector<std::vector<double>> replica_end(m, std::vector<double>(rounds, 0));
  std::vector<int> ranks(m, 0);
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    const int c = set.ranks[r].info.replica;
    if (c < 0 || c >= m) continue;
    ++ranks[c];
    for (int k = 0; k < rounds; ++k)
      replica_end[c][k] = std::max(replica_end[c][k], meter.iteration_end(static_cast<int>(r), (k + 1) * h - 1));
  }
  std::vector<double> job_end(rounds, 0);
  for (int c = 0; c < m; ++c)
    for (int k = 0; k < rounds; ++k) job_end[k] = std::max(job_end[k], replica_end[c][k]);
  const SteadyRounds steady = find_steady_rounds(job_end);
  const int first = steady.start, last = steady.start + steady.measured;  // rounds [first, last)
  const double window = job_end[last - 1] - job_end[first - 1];

  AbstractResult res;
  res.rounds = rounds;
  res.steady_round = first;
  res.period = steady.period;
  res.cycle = steady.repeats;
  const double per_round = 1.0 / steady.measured;
  double compute_sum = 0;
  for (int c = 0; c < m; ++c) {
    const TrainingResult tr = meter.result(HUGE_VAL, c);
    double busy = 0;
    const double stages = static_cast<double>(tr.stage_compute.size());
    for (double s : tr.stage_compute) busy += s / stages;  // every stage has tp x dp GPUs
    double blocked = 0;
    for (size_t r = 0; r < set.ranks.size(); ++r)
      if (set.ranks[r].info.replica == c)
        blocked += meter.outer_wait(static_cast<int>(r), first * h) - meter.outer_wait(static_cast<int>(r), last * h);
    const double own = replica_end[c][last - 1] - replica_end[c][first - 1];
    WorkerOutcome o;  // per round of the steady window
    o.window = window * per_round;
    o.compute = h * (busy + tr.optimizer_time);
    o.wait = (blocked / std::max(1, ranks[c]) + (window - own)) * per_round;
    compute_sum += o.compute;
    res.workers.push_back(o);
  }
  res.round_time = window * per_round;
  res.utilization = res.round_time > 0 ? compute_sum / (m * res.round_time) : 0;
  res.extra_memory_per_gpu = set.job.get("extra_memory_per_gpu");

  const std::string wan = tier_name(LinkTier::Wan);
  for (const auto& l : t.links) {
    if (l.tier != wan) continue;
    res.wan_link_names.push_back(l.name);
    res.wan_link_bytes.push_back(l.bytes / rounds);  // per round, as the abstract mode's
    res.wan_bytes += l.bytes;
  }
  // Every round issues the same syncs, and the run ends when all of them have arrived.
  res.wan_bytes_per_round = res.wan_bytes / rounds;
  // Peak: the busiest window of about one inner step (wall time per step in the measured
  // rounds, in whole bins of the recorder's series), like the abstract mode's step window. The
  // series spreads each message evenly over its transfer, so single bins can overstate a link
  // whose share changed during a transfer; a step-long window smooths that out.
  const auto& series = t.link_series;
  if (series.bin_width > 0) {
    const size_t k = std::clamp<size_t>(static_cast<size_t>(std::lround(res.round_time / h / series.bin_width)), 1,
                                        series.bins);
    for (size_t row = 0; row < series.link.size(); ++row) {
      if (t.links[series.link[row]].tier != wan) continue;
      const double* bytes = &series.bytes[row * series.bins];
      double sum = 0;
      for (size_t b = 0; b < series.bins; ++b) {
        sum += bytes[b];
        if (b >= k) sum -= bytes[b - k];
        if (b + 1 >= k) res.peak_wan_bandwidth = std::max(res.peak_wan_bandwidth, sum / (k * series.bin_width));
      }
    }
  }
  return res;
}

AbstractResult simulate_full(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                             uint64_t seed, const FullRunOptions& options) {
  const auto set = full_programs(platform, spec, method, seed);
  SimulationOptions scope;  // the replicas' GPUs (each on its cluster's first GPUs)
  if (!options.whole_platform) scope.gpus = gpus_of(set);
  Simulation sim(platform, seed, scope);
  // Activities are always kept: the WAN peak comes from the recorder's link series.
  Recorder rec(sim.network(), true);
  TrainingMeter meter(set);
  const double makespan = play(sim, set, {&rec, &meter});
  output::TraceData& t = rec.finish(makespan);
  AbstractResult res = full_result(set, meter, t);
  if (options.trace) *options.trace = std::move(t);
  return res;
}

}  // namespace trainsim
