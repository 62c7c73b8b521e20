#include "configurator/scenario_text.hpp"

#include <sstream>

namespace trainsim::configurator {

namespace {
const char* recompute_name(workload::Recompute r) {
  switch (r) {
    case workload::Recompute::Selective: return "selective";
    case workload::Recompute::Full: return "full";
    default: return "none";
  }
}
const char* bool_text(bool b) { return b ? "true" : "false"; }
}  // namespace

std::string scenario_text(const ScenarioHeader& h, const TrainingSpec& base, const Recommendation& r,
                          int gpus_per_node) {
  const auto& m = base.model;
  const auto& p = base.plan;
  const auto& c = r.config;
  std::ostringstream os;
  std::istringstream comment(h.comment);
  for (std::string line; std::getline(comment, line);) os << "# " << line << "\n";
  os << "name: " << h.name << "\n";
  os << "seed: " << h.seed << "\n";
  os << "platform: " << h.platform_path << "\n";
  os << "job:\n";
  os << "  kind: training\n";
  os << "  model:\n";
  os << "    name: " << m.name << "\n";
  os << "    family: " << (m.family == workload::Family::Llama ? "llama" : "gpt") << "\n";
  os << "    layers: " << m.layers << "\n    hidden: " << m.hidden << "\n    heads: " << m.heads << "\n";
  os << "    kv_heads: " << m.kv_heads << "\n    ffn_hidden: " << m.ffn_hidden << "\n";
  os << "    seq_len: " << m.seq_len << "\n    vocab: " << m.vocab << "\n";
  os << "    tied_embeddings: " << bool_text(m.tied_embeddings) << "\n";
  os << "  parallelism: {tp: " << c.tp << ", pp: " << c.pp << ", dp: " << c.dp << "}\n";
  os << "  micro_batch: " << c.micro_batch << "\n";
  os << "  global_batch: " << p.global_batch << "\n";
  os << "  schedule: 1f1b\n";
  os << "  sequence_parallel: " << bool_text(p.sequence_parallel) << "\n";
  os << "  recompute: " << recompute_name(p.recompute) << "\n";
  os << "  zero_stage: " << p.zero_stage << "\n";
  os << "  overlap_grad_reduce: " << bool_text(p.overlap_grad_reduce) << "\n";
  os << "  scatter_gather: " << bool_text(p.scatter_gather) << "\n";
  os << "  dp_algorithm: " << (p.dp_algorithm == CollectiveAlgorithm::Hierarchical ? "hierarchical" : "ring") << "\n";
  os << "  bucket_size: " << static_cast<long long>(p.bucket_bytes) << "B\n";
  os << "  iterations: 1\n";
  const auto mapping = recommendation_mapping(r, gpus_per_node);
  if (!mapping.empty()) {
    os << "  mapping: [";
    for (size_t i = 0; i < mapping.size(); ++i) os << (i ? ", " : "") << mapping[i];
    os << "]\n";
  }
  return os.str();
}

}  // namespace trainsim::configurator
