#include "config/parse_data_parallel.hpp"

#include <string>
#include <utility>
#include <vector>

namespace trainsim {

void read_data_parallel_options(YamlMap& job, ParallelPlan& p) {
  p.grad_reduce_bytes = job.optional_enum(
      "grad_reduce_precision", std::vector<std::pair<std::string, int>>{{"bf16", 2}, {"fp32", 4}}, 2);
  p.overlap_param_gather = job.optional_bool("overlap_param_gather", false);
  p.tp_comm_overlap = job.optional_bool("tp_comm_overlap", false);
  if (!job.has("fsdp")) return;
  YamlMap f = job.get_map("fsdp");
  if (p.zero_stage != 3)
    throw job.error("fsdp", "fully sharded units need zero_stage: 3 (got " + std::to_string(p.zero_stage) +
                                "); set zero_stage: 3 or remove fsdp");
  // Bounds: a unit of more layers than any model has, or a prefetch deeper than that, is a typo.
  p.fsdp.unit_layers = static_cast<int>(f.optional_int("unit_layers", p.fsdp.unit_layers, 1, 100000));
  p.fsdp.prefetch = static_cast<int>(f.optional_int("prefetch", p.fsdp.prefetch, 0, 100000));
  p.fsdp.shard_group = static_cast<int>(f.optional_int("shard_group", p.fsdp.shard_group, 1, 1 << 20));
  f.finish();
}

}  // namespace trainsim
