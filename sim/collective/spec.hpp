#pragma once
// Collective operations and algorithms, and the collective-benchmark job (like nccl-tests).
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim {

enum class CollectiveKind { AllReduce, ReduceScatter, AllGather, Broadcast, AllToAll, SendRecv };
enum class CollectiveAlgorithm { Ring, Tree, Hierarchical, Direct };
// How a collective becomes flows (collective/algorithms.hpp, docs/collectives.md): all of a
// rank's bytes to a peer as one flow, or the algorithm step by step (ring family only).
enum class Granularity { Aggregated, Stepwise };

const char* collective_name(CollectiveKind k);       // "all_reduce", ...
const char* algorithm_name(CollectiveAlgorithm a);   // "ring", "tree", "hierarchical", "direct"

// Which GPUs take part: all, the first `nodes` nodes (all their GPUs, or `gpus_per_node`
// of each), or an explicit list of global GPU indices.
struct GpuGroupSpec {
  int nodes = 0;            // 0: not used
  int gpus_per_node = 0;    // 0: all GPUs of each node
  std::vector<int> gpus;    // explicit list, when non-empty
  std::string cluster;      // restrict to one cluster ("" = first cluster / all for `gpus: all`)
};

struct CollectiveBenchSpec {
  std::vector<CollectiveKind> collectives;
  std::vector<CollectiveAlgorithm> algorithms;
  GpuGroupSpec group;
  double min_bytes = 1024;
  double max_bytes = 8.0 * 1024 * 1024 * 1024;
  double factor = 2;
  Granularity granularity = Granularity::Aggregated;
  SourceLocation where;
};

}  // namespace trainsim
