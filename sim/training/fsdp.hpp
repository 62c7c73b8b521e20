#pragma once
// Fully sharded data parallelism (ZeRO-3, PyTorch FSDP, DeepSpeed stage 3) at the grain of
// wrapped units (docs/training.md, "Sharded data parallelism"): a chunk is cut into units, the
// embedding, groups of `fsdp.unit_layers` transformer layers, the LM head. Each unit's bf16
// parameters are all-gathered over the shard group before its forward and again before its
// backward, and its gradients reduce-scattered after its backward (HSDP: then all-reduced
// across the replicas of the shard). Pure value code; the generator (training/programs.cpp)
// writes the ops.
#include <vector>

#include "parallel/plan.hpp"
#include "training/costs.hpp"

namespace trainsim {

// Layers of each unit of a chunk of `layers` layers: groups of `unit_layers`, the last one
// taking what is left.
std::vector<int> fsdp_unit_layers(int layers, int unit_layers);

// The units of a chunk in forward order, each the sum of its parts.
std::vector<PartCosts> fsdp_units(const ChunkCosts& chunk, int unit_layers);

// Bytes of gathered bf16 parameters one GPU of `stage` holds at most: the units being computed
// and prefetched, `prefetch + 1` of them; counted as the (prefetch + 1) largest units of the
// stage (all of them when it has fewer), which the caching allocator keeps (docs/memory.md).
double fsdp_buffer_bytes(const workload::ModelSpec& model, const ParallelPlan& plan, int stage);

}  // namespace trainsim
