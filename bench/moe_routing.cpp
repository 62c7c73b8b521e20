// Token routing of one DeepSeek-V3-shaped iteration on 2,048 GPUs (PP 16, DP 128, EP 64, 120
// micro-batches per pipeline, 4096 tokens per rank and micro-batch): every MoE layer's routing
// for every EP group and micro-batch, as the expert-parallel generator will draw it
// (docs/moe.md, "Routing"). Prints the draws' count, wall time and a checksum.
//
// Usage: bench_moe_routing [uniform|limited|zipf]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "workload/presets.hpp"
#include "workload/routing.hpp"

using namespace trainsim::workload;

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "uniform";
  const ModelSpec m = *find_model_preset("deepseek-v3");
  RoutingSpec spec;
  if (!std::strcmp(mode, "limited")) spec.max_nodes = 4;
  if (!std::strcmp(mode, "zipf")) spec.distribution = RoutingDistribution::Zipf, spec.zipf_exponent = 0.5, spec.max_nodes = 4;
  ExpertPlacement pl;
  pl.experts = m.moe.experts, pl.ep = 64;
  for (int r = 0; r < 64; ++r) pl.node_of_rank.push_back(r / 8);
  const int groups_per_stage = 2, micro_batches = 120;
  const std::vector<std::int64_t> tokens(64, 4096);
  const auto start = std::chrono::steady_clock::now();
  long long draws = 0, checksum = 0;
  for (int layer = m.moe.dense_layers; layer < m.layers; ++layer)
    for (int group = 0; group < groups_per_stage; ++group)
      for (int mb = 0; mb < micro_batches; ++mb) {
        const RoutingSample s = route_tokens(spec, m.moe, pl, tokens, 1, {0, layer, mb, group});
        checksum += s.expert_rows[mb % 256] + s.rank_rows[mb % 4096];
        ++draws;
      }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("routing %s: %lld draws (layer x EP group x micro-batch) in %.2f s, %.3f ms each (checksum %lld)\n",
              mode, draws, wall, 1e3 * wall / double(draws), checksum);
  return 0;
}
