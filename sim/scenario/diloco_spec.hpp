#pragma once
// DiLoCo-family jobs as plain values (docs/diloco.md). A `diloco` scenario names one or more
// models and methods; each (model, method) pair is simulated separately. Workers (replicas)
// are the clusters of the scenario's platform, one per datacenter, joined by its WAN links.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "scenario/training_spec.hpp"

namespace trainsim {

enum class SyncAlgorithm { DataParallel, Diloco, Streaming };
enum class FragmentPattern { Sequential, Strided };
// How the cross-worker reduce is done (docs/diloco.md, "Full workers"). Ring: every GPU of a
// replica exchanges its share with the same GPU of the other replicas. Hierarchical: only the
// first data-parallel rank of each (stage, tp rank) exchanges across datacenters, then
// broadcasts inside its datacenter. Full workers only: an abstract worker is one entity.
enum class CrossReduce { Ring, Hierarchical };
// Abstract: a worker is one compute entity per datacenter (the paper's simulation). Full:
// a worker is a training cluster running `DilocoSpec::training` on its datacenter's GPUs.
enum class WorkerMode { Abstract, Full };

struct DilocoMethod {
  std::string name;  // as printed and as keyed in `published`
  SyncAlgorithm algorithm = SyncAlgorithm::Diloco;
  int inner_steps = 100;       // H (1 for data-parallel)
  int layers_per_fragment = 0; // streaming: k layers per fragment (P = ceil(L / k))
  FragmentPattern pattern = FragmentPattern::Strided;
  int overlap_steps = 0;       // tau: a reduce's result is needed tau steps after it starts
  double alpha = 0.5;          // recorded only: mixing of local and outer fragment
  int bits = 16;               // exchanged value width: 32, 16, 8 or 4
  bool eager = false;          // eager updates: outer step overlapped with the next H steps
  SourceLocation where;
};

// One model of the abstract mode: a step of pure compute split into per-layer work.
struct DilocoModel {
  std::string name;
  int layers = 1;
  double parameters = 0;  // total parameter count (spread evenly over the layers)
  double step_time = 0;   // seconds of pure compute per inner step on the reference worker
  double tokens_per_step = 0;  // per worker; 0 = unknown (no wall time for a token budget)
  SourceLocation where;
};

// A worker that is not like the others (index = cluster index of the platform).
struct WorkerVariation {
  double step_time_factor = 1.0;  // its step takes step_time x factor
};

struct SweepSpec {
  double min_gbps = 0.1, max_gbps = 1000;
  int points = 50;
  std::vector<double> targets = {0.5, 0.8, 0.9, 0.95, 0.99};
  int bisection_steps = 6;
};

// Published bandwidths (Gbit/s) a method needs for each sweep target, for comparison.
struct PublishedRow {
  std::string model, method;
  std::vector<double> gbps;  // one per sweep target
  SourceLocation where;
};

struct DilocoSpec {
  static constexpr std::string_view kind = "diloco";  // `job: {kind: diloco}`
  std::vector<DilocoModel> models;
  std::vector<DilocoMethod> methods;
  std::vector<WorkerVariation> workers;  // one per platform cluster (abstract mode)
  WorkerMode worker = WorkerMode::Abstract;
  // Full mode: the training job of one replica (plan per datacenter, ranks mapped onto each
  // cluster's GPUs in order); `models` then holds its one DilocoModel (layers, parameters).
  std::optional<TrainingSpec> training;
  CrossReduce reduce = CrossReduce::Ring;
  int rounds = 3;         // outer rounds simulated; the first is a warm-up (not measured)
  double tokens = 0;      // token budget for the wall-time figure (0 = none)
  SweepSpec sweep;
  std::vector<PublishedRow> published;
  SourceLocation where;
};

}  // namespace trainsim
