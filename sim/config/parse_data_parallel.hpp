#pragma once
// The training job's keys for sharded data parallelism and communication overlap
// (docs/scenarios.md, "training"): grad_reduce_precision, overlap_param_gather,
// tp_comm_overlap, fsdp {unit_layers, prefetch, shard_group}.
#include "config/yaml_reader.hpp"
#include "parallel/plan.hpp"

namespace trainsim {

// Reads those keys of `job` into `plan` (zero_stage must already be read: fsdp needs 3).
void read_data_parallel_options(YamlMap& job, ParallelPlan& plan);

}  // namespace trainsim
