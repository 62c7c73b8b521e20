#include "core/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <variant>

#include "config/scenario.hpp"
#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim::limits {
namespace {

double group_size(const CollectiveBenchSpec& s, const PlatformSpec& p) {
  const auto& g = s.group;
  if (!g.gpus.empty()) return static_cast<double>(g.gpus.size());
  const ClusterSpec* cluster = &p.clusters.front();
  for (const auto& c : p.clusters)
    if (c.name == g.cluster) cluster = &c;
  if (g.nodes > 0) return static_cast<double>(g.nodes) * (g.gpus_per_node ? g.gpus_per_node : cluster->gpus_per_node);
  if (!g.cluster.empty()) return static_cast<double>(cluster->nodes) * cluster->gpus_per_node;
  return p.total_gpus();
}

}  // namespace

double message_size_count(double min_bytes, double max_bytes, double factor) {
  if (factor <= 1 || max_bytes <= min_bytes) return 1;
  return std::floor(std::log(max_bytes / min_bytes) / std::log(factor) + 1e-9) + 1;
}

RunSize run_size(const Scenario& scenario, bool keep_activities) {
  RunSize r;
  r.platform_gpus = scenario.platform.total_gpus();
  double activities = 0;
  if (const auto* c = std::get_if<CollectiveBenchSpec>(&scenario.job)) {
    r.actors = group_size(*c, scenario.platform);
    // One record per GPU per collective call (measured: 512 GPUs x 3 sizes -> 1536 rows).
    activities = r.actors * message_size_count(c->min_bytes, c->max_bytes, c->factor) * static_cast<double>(c->collectives.size() * c->algorithms.size());
  } else if (const auto* t = std::get_if<TrainingSpec>(&scenario.job)) {
    const auto& p = t->plan;
    r.actors = p.gpus();
    // Per GPU and iteration: about 8 rows per (micro-batch, chunk) — forward, backward,
    // recompute, pipeline send/receive, TP collectives — plus DP buckets and the optimizer
    // (measured 5.5 and 7.3 per (micro-batch, chunk) on the default and megatron-39.1b runs).
    activities = r.actors * p.iterations * (8.0 * p.micro_batches() * p.chunks + 32);
  } else if (const auto* full = std::get_if<DilocoSpec>(&scenario.job); full && full->worker == WorkerMode::Full && full->training) {
    const DilocoSpec* d = full;
    // Full workers: every datacenter runs the replica's training job, a compute and a
    // communication actor per GPU (the compute and dp-comm streams of training/programs.cpp),
    // plus one outer-sync actor per GPU (its outer-comm stream, diloco/full_sim.cpp). Methods run one simulation each, so the largest one counts.
    const auto& p = d->training->plan;
    const double clusters = static_cast<double>(scenario.platform.clusters.size());
    const double ranks = p.gpus();
    r.actors = clusters * 3 * ranks;
    int steps = 1;  // H of the method simulating the most steps (data-parallel syncs every step)
    for (const auto& m : d->methods)
      if (m.algorithm != SyncAlgorithm::DataParallel) steps = std::max(steps, m.inner_steps);
    const double iterations = static_cast<double>(d->rounds) * steps;
    const double layers = d->models.empty() ? 1.0 : d->models.front().layers;
    // Training rows as for a training job, over rounds x H iterations; outer rows per GPU: at
    // most one wait per iteration and one sync per fragment and round (fragments <= layers).
    activities = clusters * ranks *
                 (iterations * (8.0 * p.micro_batches() * p.chunks + 32) + iterations + d->rounds * layers);
  } else if (const auto* p = std::get_if<ProgramsSpec>(&scenario.job)) {
    // Programs from a file: an actor per rank and stream (at most), a trace row per op played.
    r.actors = static_cast<double>(p->ranks) * static_cast<double>(p->streams);
    activities = p->programs > 0 ? static_cast<double>(p->ranks) * static_cast<double>(p->ops) / p->programs : 0;
  } else if (const auto* d = std::get_if<DilocoSpec>(&scenario.job)) {
    // Abstract workers: one actor per cluster (replica); rows per inner step and fragment.
    r.actors = static_cast<double>(scenario.platform.clusters.size());
    int steps = 1;
    for (const auto& m : d->methods) steps = std::max(steps, m.inner_steps);
    activities = r.actors * d->rounds * (steps + 64.0) * static_cast<double>(d->methods.size() * d->models.size());
  }
  r.activities = keep_activities ? activities : 0;
  return r;
}

MemoryEstimate estimate_memory(const RunSize& size) {
  MemoryEstimate e;
  e.size = size;
  e.bytes = kBaseBytes + kBytesPerPlatformGpu * size.platform_gpus + kBytesPerActor * size.actors +
            kBytesPerActivity * size.activities;
  return e;
}

double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

double memory_ceiling(const std::optional<std::string>& option) {
  // Errors are located at the command line ("trainsim: error: key '--host-memory-limit': ...").
  const SourceLocation command{"trainsim", 0, 0};
  auto parse = [&](const std::string& text, const std::string& source) {
    auto v = units::parse(units::Kind::Size, text, nullptr);
    if (!v || !(*v > 0) || !std::isfinite(*v))
      throw InputError(command, source,
                       "expected a positive size with a unit (such as 8GiB; units: " +
                           units::accepted_units(units::Kind::Size) + "), got '" + text + "'");
    return *v;
  };
  if (const char* retired = std::getenv(kRetiredCeilingEnv); retired && *retired && !std::getenv(kCeilingEnv))
    throw InputError(command, kRetiredCeilingEnv,
                     std::string("this environment variable was renamed; set ") + kCeilingEnv +
                         " (the host RAM a simulation may use) instead, or unset it");
  if (option) return parse(*option, std::string("--") + kCeilingOption);
  if (const char* env = std::getenv(kCeilingEnv); env && *env) return parse(env, kCeilingEnv);
  const double physical = physical_memory_bytes();
  // Unknown physical memory: no ceiling rather than a made-up one.
  return physical > 0 ? kDefaultCeilingFraction * physical : HUGE_VAL;
}

void check_memory(const MemoryEstimate& e, double ceiling, const SourceLocation& where, const std::string& key) {
  if (e.bytes <= ceiling) return;
  auto count = [](double v) { return std::to_string(static_cast<long long>(v)); };
  throw InputError(where, key,
                   "the run needs an estimated " + units::format_size(e.bytes) + " of memory (" +
                       count(e.size.platform_gpus) + " platform GPUs, " + count(e.size.actors) + " simulated GPUs, " +
                       count(e.size.activities) + " trace rows), above the limit of " + units::format_size(ceiling) +
                       "; simulate fewer GPUs, drop the trace, or raise the limit with --" + kCeilingOption + " or " +
                       kCeilingEnv);
}

void check_run(const Scenario& scenario, bool keep_activities, const std::optional<std::string>& option) {
  check_memory(estimate_memory(run_size(scenario, keep_activities)), memory_ceiling(option), scenario.job_at);
}

}  // namespace trainsim::limits
