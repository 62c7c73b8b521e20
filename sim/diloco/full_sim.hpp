#pragma once
// Full-worker simulation of one DiLoCo-family method (docs/diloco.md, "Full workers"): every
// datacenter (cluster) runs the training job's iterations as its own TrainingProgram, all in one
// Simulation (one per process), and the outer synchronisations are collectives between the
// corresponding GPUs of the replicas, as flows over the platform's WAN links.
//
// Per GPU an "outer" actor runs the GPU's outer collectives in issue order (like the training's
// communication stream); the compute actor only queues them from the after-iteration hook and
// blocks when a result is needed: right away when the method does not overlap (DiLoCo,
// data-parallel, streaming without tau), tau steps later, or H - 1 steps later (eager).
#include "diloco/abstract_sim.hpp"
#include "diloco/spec.hpp"
#include "output/trace.hpp"
#include "platform/spec.hpp"

namespace trainsim {

struct FullRunOptions {
  output::TraceData* trace = nullptr;  // when set, receives activities, links and WAN series
  bool whole_platform = false;         // build every GPU, not only the replicas' (JobOptions)
};

// Same result shape as the abstract mode. Differences (documented): `workers[i].compute` is
// replica i's busy compute (forward/backward ops incl. their TP collectives, optimizer step),
// mean per GPU over the window; `wait` is the time its GPUs were blocked on outer results plus
// its idle time behind the slowest replica (pipeline bubbles and in-datacenter communication
// are neither compute nor wait); the peak WAN bandwidth is the busiest window of about one
// inner step (whole bins of the recorder's 200-bin link series), both directions of a link
// together.
AbstractResult simulate_full(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoMethod& method,
                             uint64_t seed, const FullRunOptions& options = {});

// Global index of the first GPU of each cluster (clusters in file order, nodes, GPUs).
std::vector<int> cluster_first_gpus(const PlatformSpec& platform);

// The replica's training job with its ranks on cluster `cluster` (explicit mapping: rank r on
// the cluster's r-th GPU) and `iterations` inner steps.
TrainingSpec replica_training(const TrainingSpec& training, const PlatformSpec& platform, int cluster,
                              int iterations);

}  // namespace trainsim
