// MoE scenario keys read into values (docs/scenarios.md, "MoE models and expert parallelism"):
// the model's family moe, MLA and head_size keys, ep / expert_tp, the moe: map, gemm_precision.
#include <catch2/catch.hpp>

#include "config/parse_training.hpp"
#include "config/yaml_reader.hpp"
#include "core/error.hpp"
#include "jobs/load.hpp"

using namespace trainsim;

namespace {
const PlatformSpec& h100() {
  static const PlatformSpec p = load_platform_file(TRAINSIM_SOURCE_DIR "/platforms/h100-400g.yaml");
  return p;
}
TrainingSpec read(const std::string& job_text, const PlatformSpec& platform = h100()) {
  const YAML::Node root = parse_yaml("job:\n" + job_text, "s.yaml");
  YamlMap doc(root, "s.yaml", "");
  YamlMap job = doc.get_map("job");
  TrainingSpec spec = read_training(job, platform);
  job.finish();
  return spec;
}
std::string error_of(const std::string& job_text, const PlatformSpec& platform = h100()) {
  try {
    read(job_text, platform);
  } catch (const InputError& e) {
    return e.key() + ": " + e.message();
  }
  return "(no error)";
}
const char* kBatch = "  micro_batch: 1\n  global_batch: 64\n";
}  // namespace

TEST_CASE("A MoE preset with its parallelism and routing keys") {
  const TrainingSpec s = read(std::string("  model: mixtral-8x7b\n  parallelism: {pp: 4, dp: 16, ep: 8}\n") + kBatch +
                              "  moe: {rank_order: etp-edp-ep, grouped_gemm: false,\n"
                              "        routing: {distribution: zipf, exponent: 1.2, max_nodes: 2}}\n");
  CHECK(s.model.is_moe());
  CHECK(s.model.moe.experts == 8);
  CHECK(s.model.moe.capacity_factor == 0);
  CHECK(s.plan.experts.ep == 8);
  CHECK(s.plan.expert_tp() == 1);
  CHECK(s.plan.expert_dp() == 2);
  CHECK(s.plan.experts.order == ExpertRankOrder::EdpInner);
  CHECK_FALSE(s.plan.experts.grouped_gemm);
  CHECK(s.plan.experts.routing.distribution == workload::RoutingDistribution::Zipf);
  CHECK(s.plan.experts.routing.zipf_exponent == 1.2);
  CHECK(s.plan.experts.routing.max_nodes == 2);
  CHECK(s.plan.gemm_precision == workload::Precision::Bf16);
}

TEST_CASE("A full MoE model map: block style, shared experts, dense layers, capacity, MLA, head width") {
  const TrainingSpec s = read(
      "  model: {family: moe, layers: 6, hidden: 2048, heads: 16, seq_len: 4096, vocab: 32000,\n"
      "          ffn_hidden: 8192, experts: 64, top_k: 6, expert_ffn_hidden: 1408, shared_expert_ffn_hidden: 2816,\n"
      "          dense_layers: 1, capacity_factor: 1.5, router_score: sigmoid, head_size: 192,\n"
      "          mla: {kv_lora_rank: 512, qk_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128}}\n"
      "  parallelism: {tp: 2, dp: 8, ep: 8, expert_tp: 2}\n  sequence_parallel: true\n  gemm_precision: fp8\n" +
      std::string(kBatch));
  const workload::ModelSpec& m = s.model;
  CHECK(m.family == workload::Family::Llama);  // block defaults to llama
  CHECK(m.moe.experts == 64);
  CHECK(m.moe.top_k == 6);
  CHECK(m.moe.shared_ffn_hidden == 2816);
  CHECK(m.moe.dense_layers == 1);
  CHECK(m.moe.capacity_factor == 1.5);
  CHECK(m.moe.score == workload::RouterScore::Sigmoid);
  CHECK(m.head_size == 192);
  CHECK(m.mla.kv_lora_rank == 512);
  CHECK(m.mla.q_lora_rank == 0);
  CHECK(s.plan.expert_tp() == 2);
  CHECK(s.plan.expert_dp() == 1);
  CHECK(s.plan.gemm_precision == workload::Precision::Fp8);
}

TEST_CASE("Preset overrides keep the preset's MoE fields and refuse to make it dense") {
  const TrainingSpec s = read(std::string("  model: {preset: deepseek-v3, layers: 8, dense_layers: 1, top_k: 4,\n"
                                          "          block: llama, mla: {kv_lora_rank: 256}}\n"
                                          "  parallelism: {pp: 2, dp: 64, ep: 64}\n") + kBatch);
  CHECK(s.model.moe.experts == 256);
  CHECK(s.model.moe.top_k == 4);
  CHECK(s.model.moe.dense_layers == 1);
  CHECK(s.model.moe.shared_ffn_hidden == 2048);
  CHECK(s.model.mla.kv_lora_rank == 256);
  CHECK(s.model.mla.q_lora_rank == 1536);
  CHECK(error_of(std::string("  model: {preset: mixtral-8x7b, family: llama}\n  parallelism: {dp: 8}\n") + kBatch)
            .rfind("job.model.family: mixtral-8x7b is a mixture-of-experts preset", 0) == 0);
  // A dense preset made MoE needs the expert keys.
  CHECK(error_of(std::string("  model: {preset: llama3-8b, family: moe}\n  parallelism: {dp: 8}\n") + kBatch) ==
        "job.model.experts: required key is missing");
}

TEST_CASE("MoE keys out of place or out of range name their key") {
  const std::string batch = kBatch;
  CHECK(error_of("  model: {preset: llama3-8b, experts: 8}\n  parallelism: {dp: 8}\n" + batch) ==
        "job.model.experts: experts is a key of family moe; expected family: moe, or no experts");
  CHECK(error_of("  model: llama3-8b\n  parallelism: {dp: 8}\n  moe: {grouped_gemm: true}\n" + batch)
            .rfind("job.moe: the moe: map sets how a mixture-of-experts model runs", 0) == 0);
  CHECK(error_of("  model: llama3-8b\n  parallelism: {dp: 8, ep: 8}\n" + batch) ==
        "job.parallelism.ep: expert parallelism needs a model with experts; expected family: moe, or ep 1");
  CHECK(error_of("  model: llama3-8b\n  parallelism: {dp: 8}\n  gemm_precision: fp8\n" + batch)
            .rfind("job.gemm_precision: fp8 GEMMs are modelled for MoE models", 0) == 0);
  CHECK(error_of("  model: {preset: mixtral-8x7b, top_k: 9}\n  parallelism: {dp: 8}\n" + batch) ==
        "job.model.top_k: top_k 9 is more than the 8 experts a token can pick from; expected 1 to 8");
  CHECK(error_of("  model: {preset: mixtral-8x7b, dense_layers: 32}\n  parallelism: {dp: 8}\n" + batch)
            .rfind("job.model.dense_layers: dense_layers 32 leaves no MoE layer", 0) == 0);
  CHECK(error_of("  model: mixtral-8x7b\n  parallelism: {dp: 8}\n  moe: {routing: zipf}\n" + batch)
            .rfind("job.moe.routing: a skewed routing needs its parameter", 0) == 0);
  CHECK(error_of("  model: mixtral-8x7b\n  parallelism: {dp: 8}\n  moe: {routing: {distribution: uniform, exponent: 2}}\n" +
                 batch) == "job.moe.routing.exponent: the Zipf exponent needs distribution: zipf");
  CHECK(error_of("  model: mixtral-8x7b\n  parallelism: {dp: 8, tp: 2}\n" + batch) ==
        "job.sequence_parallel: MoE layers with tp > 1 route the sequence-parallel shard of each rank (as "
        "Megatron-Core); expected sequence_parallel: true");
  // EP 8 with one rank per node (expert-DP inner over 8 nodes): 1 expert per node; 1 node per
  // token cannot hold 2 experts.
  CHECK(error_of("  model: mixtral-8x7b\n  parallelism: {dp: 64, ep: 8}\n"
                 "  moe: {rank_order: etp-edp-ep, routing: {max_nodes: 1}}\n" + batch) ==
        "job.moe.routing.max_nodes: max_nodes 1 cannot hold a token's 2 experts: an EP group has 1 expert on a node; "
        "expected at least 2");
}

TEST_CASE("FP8 is refused on GPUs without an FP8 rate, naming the cluster") {
  const PlatformSpec selene = load_platform_file(TRAINSIM_SOURCE_DIR "/platforms/selene-dgx-a100.yaml");
  CHECK(error_of(std::string("  model: mixtral-8x7b\n  parallelism: {dp: 8, ep: 8}\n  gemm_precision: fp8\n") + kBatch,
                 selene)
            .rfind("job.gemm_precision: fp8 needs FP8 tensor cores, and cluster 'selene' has A100-80GB GPUs", 0) == 0);
}

// (No ';' in the name: catch_discover_tests cut the name there and CTest never ran this case.)
TEST_CASE("Through the job kind, a MoE scenario loads (with TP and expert TP too), and what its programs do not model is refused at its key") {
  const std::string head = "platform: h100-400g\njob:\n  kind: training\n  model: mixtral-8x7b\n";
  const std::string batch = "  micro_batch: 1\n  global_batch: 8\n";
  const Scenario ok = load_scenario_text(head + "  parallelism: {dp: 8, ep: 8}\n" + batch,
                                         TRAINSIM_SOURCE_DIR "/scenarios/s.yaml");
  CHECK(ok.job.as<TrainingSpec>().plan.experts.ep == 8);
  auto refusal = [&](const std::string& rest) {
    try {
      load_scenario_text(head + rest + batch, TRAINSIM_SOURCE_DIR "/scenarios/s.yaml");
    } catch (const InputError& e) {
      return e.key() + ": " + e.message();
    }
    return std::string("(no error)");
  };
  // Tensor parallelism with experts runs (attention TP, expert TP, parallel folding).
  const Scenario tp = load_scenario_text(head + "  parallelism: {tp: 2, dp: 4, ep: 4, expert_tp: 2}\n  sequence_parallel: true\n" +
                                             batch, TRAINSIM_SOURCE_DIR "/scenarios/s.yaml");
  CHECK(tp.job.as<TrainingSpec>().plan.expert_dp() == 1);
  // Context parallelism folds into expert data parallelism: tp 1 x cp 2 x dp 4 = ep 4 x expert-DP 2.
  const Scenario cp = load_scenario_text(head + "  parallelism: {cp: 2, dp: 4, ep: 4}\n" + batch,
                                         TRAINSIM_SOURCE_DIR "/scenarios/s.yaml");
  CHECK(cp.job.as<TrainingSpec>().plan.expert_dp() == 2);
  CHECK(refusal("  parallelism: {cp: 2, dp: 2, ep: 8}\n").rfind("job.parallelism.ep: ep x expert_tp = 8 must divide the tp x cp x dp = 4", 0) == 0);
  // Both overlaps and ZeRO-3 run with experts (docs/moe.md); HSDP shard groups are refused.
  CHECK(refusal("  parallelism: {tp: 2, dp: 4, ep: 4}\n  sequence_parallel: true\n  tp_comm_overlap: true\n") == "(no error)");
  CHECK(refusal("  parallelism: {dp: 8, ep: 8}\n  overlap_grad_reduce: true\n") == "(no error)");
  CHECK(refusal("  parallelism: {dp: 8, ep: 8}\n  zero_stage: 3\n") == "(no error)");
  CHECK(refusal("  parallelism: {dp: 8, ep: 8}\n  zero_stage: 3\n  fsdp: {shard_group: 4}\n").rfind("job.fsdp: HSDP", 0) == 0);
}
