// Prints the MoE figures docs/gen/moe.py tabulates in docs/model.md, docs/memory.md and
// docs/moe.md: preset parameter counts, expert GEMM times per GPU, per-GPU memory of two
// layouts, and routing statistics. Not a timing benchmark: it lives here with the other programs
// that drive the library directly.
//
// Usage: bench_moe_figures. Prints tab-separated lines "<section>\t<fields...>".
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "platform/gpu_catalog.hpp"
#include "workload/compute_model.hpp"
#include "workload/memory.hpp"
#include "workload/moe_ops.hpp"
#include "workload/presets.hpp"
#include "workload/routing.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {

void presets() {
  for (const auto& m : model_presets()) {
    if (!m.is_moe()) continue;
    const char* attention = m.mla.enabled() ? "MLA" : m.kv_heads == m.heads ? "MHA" : "GQA";
    std::printf("preset\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%.0f\t%.0f\n", m.name.c_str(), m.layers, m.hidden,
                m.heads, m.kv_heads, attention, m.moe.experts, m.moe.top_k, m.moe.expert_ffn_hidden,
                m.moe.shared_ffn_hidden, m.moe.dense_layers, total_parameters(m), active_parameters(m));
  }
}

// Forward + backward time of one MoE layer's expert GEMMs on one GPU, balanced routing: every
// local expert gets T k / E rows from each of the ep ranks (T = 4096 tokens per rank).
void expert_times() {
  const ComputeModel cm(*find_gpu_model("H100-SXM"));
  struct Case {
    const char* model;
    int ep;
  };
  for (const Case c : {Case{"mixtral-8x7b", 8}, Case{"mixtral-8x22b", 8}, Case{"deepseek-v3", 64},
                       Case{"qwen3-30b-a3b", 8}, Case{"qwen3-30b-a3b", 128}}) {
    const ModelSpec m = *find_model_preset(c.model);
    const int local = m.moe.experts / c.ep;
    const std::int64_t T = 4096, per_expert = T * m.moe.top_k * c.ep / m.moe.experts;
    const std::vector<std::int64_t> rows(local, per_expert);
    auto time = [&](Precision p, bool grouped) {
      MoeShard sh;
      sh.layer = {1, 1, false};
      sh.layer.gemm_precision = p;
      sh.grouped_gemm = grouped;
      const PassTimes t = cm.pass_times(moe_ffn_ops(m, sh, T * m.moe.top_k, rows).experts);
      return 1e3 * (t.fwd + t.bwd());
    };
    std::printf("experts\t%s\t%d\t%d\t%lld\t%.3f\t%.3f\t%.3f\n", c.model, c.ep, local, (long long)(per_expert * local),
                time(Precision::Bf16, true), time(Precision::Fp8, true), time(Precision::Bf16, false));
  }
}

void memory() {
  struct Case {
    const char* name;
    MemoryInput in;
  };
  std::vector<Case> cases;
  {
    MemoryInput in;
    in.model = *find_model_preset("mixtral-8x7b");
    in.tp = 1, in.pp = 4, in.dp = 16, in.ep = 8, in.micro_batch = 1, in.zero_stage = 1;
    in.layers_on_stage = 8;
    in.layer_indices = {0, 1, 2, 3, 4, 5, 6, 7};
    in.has_embedding = true;
    in.micro_batches_in_flight = 4;
    cases.push_back({"mixtral-8x7b, first of 4 stages, dp 16, ep 8, ZeRO-1", in});
    in.recompute = Recompute::Full;
    cases.push_back({"the same, full recomputation", in});
  }
  {
    MemoryInput in;
    in.model = *find_model_preset("deepseek-v3");
    in.tp = 1, in.pp = 16, in.dp = 128, in.ep = 64, in.micro_batch = 1, in.zero_stage = 1;
    in.layers_on_stage = 4;
    in.layer_indices = {0, 1, 2, 3};
    in.has_embedding = true;
    in.dispatch_bytes_per_element = 1;
    in.micro_batches_in_flight = 16;
    cases.push_back({"deepseek-v3, first of 16 stages, dp 128, ep 64, ZeRO-1, FP8 dispatch", in});
    in.recompute = Recompute::Full;
    cases.push_back({"the same, full recomputation", in});
    in.recompute = Recompute::None;
    in.layer_indices = {8, 9, 10, 11};
    cases.push_back({"deepseek-v3, a middle stage (4 MoE layers)", in});
  }
  for (const auto& c : cases) {
    const MemoryEstimate e = estimate_memory(c.in);
    std::printf("memory\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\n", c.name, e.parameters, e.expert_parameters,
                e.weights + e.gradients + e.optimizer, e.activations, e.comm_buffers, e.overhead, e.total());
  }
}

// Routing of a DeepSeek-V3-shaped EP group (256 experts, top 8, EP 64 over 8 nodes of 8, 4096
// tokens per rank), averaged over 32 micro-batches of one layer.
void routing() {
  MoeSpec moe = find_model_preset("deepseek-v3")->moe;
  ExpertPlacement pl;
  pl.experts = 256, pl.ep = 64;
  for (int r = 0; r < 64; ++r) pl.node_of_rank.push_back(r / 8);
  struct Case {
    const char* name;
    RoutingSpec spec;
    double capacity;
  };
  RoutingSpec uniform, limited, zipf, zipf_limited, dirichlet;
  limited.max_nodes = 4;
  zipf.distribution = zipf_limited.distribution = RoutingDistribution::Zipf;
  zipf.zipf_exponent = zipf_limited.zipf_exponent = 0.5;
  zipf_limited.max_nodes = 4;
  dirichlet.distribution = RoutingDistribution::Dirichlet;
  dirichlet.dirichlet_concentration = 1;
  for (const Case c : {Case{"uniform", uniform, 0}, Case{"uniform, max_nodes 4", limited, 0},
                       Case{"Zipf 0.5", zipf, 0}, Case{"Zipf 0.5, max_nodes 4", zipf_limited, 0},
                       Case{"Dirichlet 1", dirichlet, 0}, Case{"Dirichlet 1, capacity factor 1.25", dirichlet, 1.25}}) {
    moe.capacity_factor = c.capacity;
    double gpu_ratio = 0, expert_ratio = 0, visits = 0, dropped = 0;
    const int draws = 32;
    for (int mb = 0; mb < draws; ++mb) {
      const RoutingSample s = route_tokens(c.spec, moe, pl, std::vector<std::int64_t>(64, 4096), 1, {0, 3, mb, 0});
      std::vector<double> in(64);
      for (int r = 0; r < 64; ++r) in[r] = double(s.rows_received(r));
      const double mean_gpu = std::accumulate(in.begin(), in.end(), 0.0) / 64;
      gpu_ratio += *std::max_element(in.begin(), in.end()) / mean_gpu;
      const double mean_expert = std::accumulate(s.expert_rows.begin(), s.expert_rows.end(), 0.0) / 256;
      expert_ratio += double(*std::max_element(s.expert_rows.begin(), s.expert_rows.end())) / mean_expert;
      visits += std::accumulate(s.node_tokens.begin(), s.node_tokens.end(), 0.0) / (64.0 * 4096);
      dropped += double(s.dropped) / double(s.routed);
    }
    std::printf("routing\t%s\t%.3f\t%.3f\t%.3f\t%.5f\n", c.name, gpu_ratio / draws, expert_ratio / draws, visits / draws,
                dropped / draws);
  }
}

}  // namespace

int main() {
  presets();
  expert_times();
  memory();
  routing();
  return 0;
}
