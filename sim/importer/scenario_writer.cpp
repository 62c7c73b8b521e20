#include "importer/scenario_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <sstream>

#include "importer/import_result.hpp"
#include "workload/presets.hpp"

namespace trainsim::importer {

namespace {

const char* yes(bool b) { return b ? "true" : "false"; }

const char* recompute_name(workload::Recompute r) {
  switch (r) {
    case workload::Recompute::Selective: return "selective";
    case workload::Recompute::Full: return "full";
    case workload::Recompute::None: break;
  }
  return "none";
}

std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void int_list(std::ostream& os, const std::vector<int>& values) {
  os << "[";
  for (size_t i = 0; i < values.size(); ++i) os << (i ? ", " : "") << values[i];
  os << "]";
}

bool is_preset(const workload::ModelSpec& m) {
  const auto p = workload::find_model_preset(m.name);
  return p && same_shape(*p, m);
}

// A YAML plain scalar when it reads back as the same string, else yaml-cpp's double-quoted one.
std::string scalar(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789._/-+") == std::string::npos &&
                     s[0] != '-' && s != "true" && s != "false" && s != "null" && s != "~";
  if (plain) return s;
  YAML::Emitter out;
  out << YAML::DoubleQuoted << s;
  return out.c_str();
}

}  // namespace

std::string training_job_text(const TrainingSpec& job) {
  const auto& m = job.model;
  const auto& p = job.plan;
  std::ostringstream os;
  os << "job:\n  kind: training\n";
  if (is_preset(m)) {
    os << "  model: " << m.name << "\n";
  } else {
    os << "  model:\n";
    os << "    name: " << scalar(m.name) << "\n";
    if (m.is_moe())
      os << "    family: moe\n    block: " << workload::family_name(m.family) << "\n";
    else
      os << "    family: " << workload::family_name(m.family) << "\n";
    os << "    layers: " << m.layers << "\n    hidden: " << m.hidden << "\n    heads: " << m.heads << "\n";
    os << "    kv_heads: " << m.kv_heads << "\n    ffn_hidden: " << m.ffn_hidden << "\n";
    os << "    seq_len: " << m.seq_len << "\n    vocab: " << m.vocab << "\n";
    os << "    tied_embeddings: " << yes(m.tied_embeddings) << "\n";
    if (m.head_size > 0) os << "    head_size: " << m.head_size << "\n";
    if (m.is_moe()) {
      const auto& e = m.moe;
      os << "    experts: " << e.experts << "\n    top_k: " << e.top_k << "\n";
      os << "    expert_ffn_hidden: " << e.expert_ffn_hidden << "\n";
      os << "    shared_expert_ffn_hidden: " << e.shared_ffn_hidden << "\n";
      os << "    dense_layers: " << e.dense_layers << "\n";
      if (e.capacity_factor > 0) os << "    capacity_factor: " << exact(e.capacity_factor) << "\n";
      os << "    router_score: " << (e.score == workload::RouterScore::Sigmoid ? "sigmoid" : "softmax") << "\n";
    }
    if (m.mla.enabled()) {
      const auto& a = m.mla;
      os << "    mla: {q_lora_rank: " << a.q_lora_rank << ", kv_lora_rank: " << a.kv_lora_rank
         << ", qk_head_dim: " << a.qk_head_dim << ", qk_rope_head_dim: " << a.qk_rope_head_dim
         << ", v_head_dim: " << a.v_head_dim << "}\n";
    }
  }
  os << "  parallelism: {tp: " << p.tp << (p.cp > 1 ? ", cp: " + std::to_string(p.cp) : std::string()) << ", pp: " << p.pp
     << ", dp: " << p.dp;
  if (m.is_moe()) {
    os << ", ep: " << p.experts.ep;
    if (p.expert_tp() != p.tp) os << ", expert_tp: " << p.expert_tp();
  }
  os << "}\n";
  if (p.cp > 1) os << "  cp_comm: " << (p.cp_comm == CpComm::AllGather ? "all-gather" : "ring") << "\n";
  os << "  micro_batch: " << p.micro_batch << "\n";
  os << "  global_batch: " << p.global_batch << "\n";
  os << "  schedule: " << schedule::to_string(p.schedule) << "\n";
  os << "  chunks: " << p.chunks << "\n";
  if (!p.layers_per_stage.empty()) {
    os << "  layers_per_stage: ";
    int_list(os, p.layers_per_stage);
    os << "\n";
  }
  if (!p.layers_per_virtual_stage.empty()) {
    os << "  layers_per_virtual_stage: ";
    int_list(os, p.layers_per_virtual_stage);
    os << "\n";
  }
  os << "  sequence_parallel: " << yes(p.sequence_parallel) << "\n";
  os << "  recompute: " << recompute_name(p.recompute) << "\n";
  os << "  zero_stage: " << p.zero_stage << "\n";
  os << "  attention: " << (p.flash_attention ? "flash" : "unfused") << "\n";
  os << "  bias_dropout_fusion: " << yes(p.fused_bias_dropout_add) << "\n";
  if (p.zero_stage == 3)
    os << "  fsdp: {unit_layers: " << p.fsdp.unit_layers << ", prefetch: " << p.fsdp.prefetch
       << (p.fsdp.shard_group > 0 ? ", shard_group: " + std::to_string(p.fsdp.shard_group) : std::string()) << "}\n";
  os << "  overlap_grad_reduce: " << yes(p.overlap_grad_reduce) << "\n";
  os << "  overlap_param_gather: " << yes(p.overlap_param_gather) << "\n";
  os << "  tp_comm_overlap: " << yes(p.tp_comm_overlap) << "\n";
  os << "  grad_reduce_precision: " << (p.grad_reduce_bytes == 4 ? "fp32" : "bf16") << "\n";
  os << "  bucket_size: " << static_cast<long long>(p.bucket_bytes) << "B\n";
  os << "  dp_algorithm: " << algorithm_name(p.dp_algorithm) << "\n";
  os << "  scatter_gather: " << yes(p.scatter_gather) << "\n";
  if (m.is_moe() || p.gemm_precision != workload::Precision::Bf16)
    os << "  gemm_precision: " << (p.gemm_precision == workload::Precision::Fp8 ? "fp8" : "bf16") << "\n";
  if (m.is_moe()) {
    const auto& x = p.experts;
    os << "  moe:\n";
    os << "    rank_order: " << (x.order == ExpertRankOrder::EdpInner ? "etp-edp-ep" : "etp-ep-edp") << "\n";
    os << "    grouped_gemm: " << yes(x.grouped_gemm) << "\n";
    os << "    all_to_all: " << (x.all_to_all == Granularity::ClosedForm ? "closed_form" : "flows") << "\n";
    const auto& r = x.routing;
    os << "    routing: {distribution: ";
    switch (r.distribution) {
      case workload::RoutingDistribution::Zipf: os << "zipf, exponent: " << exact(r.zipf_exponent); break;
      case workload::RoutingDistribution::Dirichlet:
        os << "dirichlet, concentration: " << exact(r.dirichlet_concentration);
        break;
      case workload::RoutingDistribution::Uniform: os << "uniform"; break;
    }
    os << ", max_nodes: " << r.max_nodes << "}\n";
  }
  os << "  iterations: " << p.iterations << "\n";
  if (p.order == RankOrder::Explicit) {
    os << "  mapping: ";
    int_list(os, p.mapping);
    os << "\n";
  }
  const auto& s = job.stragglers;
  if (s.sigma > 0 || !s.gpus.empty()) {
    os << "  stragglers:\n";
    if (s.sigma > 0) os << "    sigma: " << exact(s.sigma) << "\n";
    if (!s.gpus.empty()) {
      os << "    gpus: {";
      for (size_t i = 0; i < s.gpus.size(); ++i)
        os << (i ? ", " : "") << s.gpus[i].first << ": " << exact(s.gpus[i].second);
      os << "}\n";
    }
  }
  return os.str();
}

std::string training_scenario_text(const ScenarioHeader& h, const TrainingSpec& job) {
  std::ostringstream os;
  for (const auto& line : h.comment) os << "#" << (line.empty() ? "" : " ") << line << "\n";
  os << "name: " << scalar(h.name) << "\n";
  os << "seed: " << h.seed << "\n";
  os << "platform: " << scalar(h.platform) << "\n";
  os << training_job_text(job);
  return os.str();
}

}  // namespace trainsim::importer
