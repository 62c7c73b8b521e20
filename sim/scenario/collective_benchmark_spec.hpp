#pragma once
// Collective operations and algorithms (the vocabulary lives in program/collective_kind.hpp),
// and the collective-benchmark job (like nccl-tests).
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "program/collective_kind.hpp"

namespace trainsim {

// Which GPUs take part: all, the first `nodes` nodes (all their GPUs, or `gpus_per_node`
// of each), or an explicit list of global GPU indices.
struct GpuGroupSpec {
  int nodes = 0;            // 0: not used
  int gpus_per_node = 0;    // 0: all GPUs of each node
  std::vector<int> gpus;    // explicit list, when non-empty
  std::string cluster;      // restrict to one cluster ("" = first cluster / all for `gpus: all`)
};

struct CollectiveBenchSpec {
  static constexpr std::string_view kind = "collective_benchmark";  // `job: {kind: collective_benchmark}`
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
