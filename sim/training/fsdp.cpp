#include "training/fsdp.hpp"

#include <algorithm>
#include <functional>

#include "schedule/schedule.hpp"
#include "workload/memory.hpp"
#include "workload/moe_memory.hpp"

namespace trainsim {

std::vector<int> fsdp_unit_layers(int layers, int unit_layers) {
  std::vector<int> out;
  for (int first = 0; first < layers; first += unit_layers) out.push_back(std::min(unit_layers, layers - first));
  return out;
}

std::vector<PartCosts> fsdp_units(const ChunkCosts& chunk, int unit_layers) {
  std::vector<PartCosts> out;
  if (chunk.embedding) out.push_back(chunk.embedding_part);
  for (int n : fsdp_unit_layers(chunk.layers, unit_layers)) out.push_back(chunk.layer_part.scaled(n));
  if (chunk.lm_head) out.push_back(chunk.head_part);
  return out;
}

double fsdp_buffer_bytes(const workload::ModelSpec& model, const ParallelPlan& plan, int stage) {
  const auto per_vs = virtual_stage_layers(plan, model);
  const int V = static_cast<int>(per_vs.size());
  const PartParams parts = part_params(model, plan);
  // MoE: a unit's dense parameters (over tp) and its routed experts (E / ep experts at
  // 1 / expert_tp width), both gathered; the embedding in the chunk's first unit, the head in
  // its last (the expert-parallel generator's units, training/programs.cpp).
  workload::MoeMemoryShape shape;
  shape.tp = plan.tp, shape.ep = plan.experts.ep, shape.expert_tp = plan.expert_tp();
  std::vector<double> units;
  for (int vs = 0, next = 0; vs < V; next += per_vs[vs], ++vs) {
    if (chunk_placement(plan).rank_of(vs) != stage) continue;
    if (!model.is_moe()) {
      if (vs == 0) units.push_back(parts.embedding);
      for (int n : fsdp_unit_layers(per_vs[vs], plan.fsdp.unit_layers)) units.push_back(n * parts.layer);
      if (vs == V - 1) units.push_back(parts.head);
      continue;
    }
    const size_t first_unit = units.size();
    int layer = next;
    for (int n : fsdp_unit_layers(per_vs[vs], plan.fsdp.unit_layers)) {
      double params = 0;
      for (int end = layer + n; layer < end; ++layer) {
        const auto lp = workload::moe_layer_parameters(model, layer, shape);
        params += lp.dense + lp.expert;
      }
      units.push_back(params);
    }
    if (units.size() == first_unit) continue;
    if (vs == 0) units[first_unit] += parts.embedding;
    if (vs == V - 1) units.back() += parts.head;
  }
  std::sort(units.begin(), units.end(), std::greater<>());
  double held = 0;
  for (int i = 0; i < std::min<int>(plan.fsdp.prefetch + 1, static_cast<int>(units.size())); ++i) held += units[i];
  return held * workload::kWeightBytesPerParam;
}

}  // namespace trainsim
