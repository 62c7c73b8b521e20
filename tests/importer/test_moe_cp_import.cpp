// Megatron-LM's mixture-of-experts, multi-latent attention, FP8, context-parallel and pipeline-
// split flags, and torchtitan's context parallelism (docs/import.md). Hand-written launches of
// the shipped MoE and long-context scenarios import to exactly their jobs; the Mixtral one also
// simulates to the same summary.
#include <catch2/catch.hpp>

#include <functional>
#include <optional>

#include "engine/isolated.hpp"
#include "importer/scenario_writer.hpp"
#include "importer/torchtitan_import.hpp"
#include "importer_support.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::megatron;
using testing::message_of;
using testing::on;

namespace {

std::string error_key(const std::string& line, const ImportOptions& o) {
  try {
    megatron(line, o);
  } catch (const InputError& e) {
    return e.key();
  }
  return "<no error>";
}

bool has(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

Scenario shipped(const std::string& path) { return load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/" + path); }

// The imported job as a scenario beside the shipped one (same folder, name and seed), so that
// both simulate the same way when their jobs are equal.
Scenario beside(const ImportResult& r, const std::string& path, const std::string& platform_file) {
  const Scenario theirs = shipped(path);
  TrainingSpec job = r.job;
  if (job.model.name.empty()) job.model.name = theirs.job.as<TrainingSpec>().model.name;
  const ScenarioHeader header{theirs.name, theirs.seed, "../../platforms/" + platform_file, {}};
  return load_scenario_text(training_scenario_text(header, job), std::string(TRAINSIM_SOURCE_DIR) + "/" + path);
}

// Megatron-LM's examples/mixtral/train_mixtral_8x7b_distributed.sh, on 8 nodes of 8 GPUs with
// the shipped scenario's batch, pipeline and expert parallelism. --no-bias-dropout-fusion and
// --grad-reduce-in-bf16 spell out the scenario's defaults.
const std::string kMixtral =
    "torchrun --nnodes 8 --nproc-per-node 8 pretrain_gpt.py "
    "--disable-bias-linear --seq-length 4096 --max-position-embeddings 32768 --num-layers 32 --hidden-size 4096 "
    "--ffn-hidden-size 14336 --num-attention-heads 32 --init-method-std 0.01 --attention-dropout 0.0 "
    "--hidden-dropout 0.0 --normalization RMSNorm --position-embedding-type rope --swiglu "
    "--untie-embeddings-and-output-weights --group-query-attention --num-query-groups 8 --no-masked-softmax-fusion "
    "--no-position-embedding --rotary-base 1000000 "
    "--num-experts 8 --moe-router-topk 2 --moe-router-load-balancing-type aux_loss --moe-aux-loss-coeff 1e-2 "
    "--moe-grouped-gemm --moe-token-dispatcher-type alltoall "
    "--tokenizer-type Llama2Tokenizer --tokenizer-model /data/tokenizer.model --vocab-size 32000 "
    "--data-path /data/mixtral --split 99990,8,2 "
    "--micro-batch-size 1 --global-batch-size 64 --lr 1e-4 --train-iters 500000 --clip-grad 1.0 --bf16 "
    "--grad-reduce-in-bf16 --no-bias-dropout-fusion "
    "--tensor-model-parallel-size 1 --pipeline-model-parallel-size 4 --expert-model-parallel-size 8 "
    "--use-distributed-optimizer --sequence-parallel";

// A DeepSeek-V3-shaped launch (Megatron-Core's DeepSeek-V3 recipe flags) on 256 nodes of 8 H800.
const std::string kDeepSeek =
    "--num-layers 61 --hidden-size 7168 --ffn-hidden-size 18432 --num-attention-heads 128 --seq-length 4096 "
    "--max-position-embeddings 163840 --swiglu --normalization RMSNorm --position-embedding-type rope "
    "--disable-bias-linear --hidden-dropout 0 --attention-dropout 0 --untie-embeddings-and-output-weights "
    "--multi-latent-attention --q-lora-rank 1536 --kv-lora-rank 512 --qk-head-dim 128 --qk-pos-emb-head-dim 64 "
    "--v-head-dim 128 --rotary-scaling-factor 40 --mscale 1.0 --mscale-all-dim 1.0 --kv-channels 128 "
    "--num-experts 256 --moe-layer-freq \"([0]*3+[1]*58)\" --moe-ffn-hidden-size 2048 "
    "--moe-shared-expert-intermediate-size 2048 --moe-router-topk 8 --moe-router-score-function sigmoid "
    "--moe-router-enable-expert-bias --moe-router-bias-update-rate 1e-3 --moe-router-topk-scaling-factor 2.5 "
    "--moe-router-num-groups 8 --moe-router-group-topk 4 --moe-router-load-balancing-type seq_aux_loss "
    "--moe-aux-loss-coeff 1e-4 --moe-grouped-gemm --moe-token-dispatcher-type flex --moe-enable-deepep "
    "--moe-router-dtype fp32 --moe-permute-fusion "
    "--tokenizer-type HuggingFaceTokenizer --tokenizer-model deepseek-ai/DeepSeek-V3 --padded-vocab-size 129280 "
    "--tensor-model-parallel-size 1 --pipeline-model-parallel-size 16 --expert-model-parallel-size 64 "
    "--pipeline-model-parallel-layout \"Et*4|(t*4|)*12,(t*3|)*2,t*3L\" "
    "--use-distributed-optimizer --ddp-bucket-size 40000000 --micro-batch-size 1 --global-batch-size 15360 "
    "--recompute-activations --bf16 --grad-reduce-in-bf16 --no-bias-dropout-fusion --fp8-format e4m3 "
    "--fp8-recipe blockwise";

// Llama 3 405B at 131,072 tokens (arXiv 2407.21783, Table 4) as a Megatron-Core launch: the
// embedding and the loss each counted as a layer of the split (one virtual stage each), K and V
// all-gathered over the context-parallel ranks.
const std::string kLongContext =
    "--num-layers 126 --hidden-size 16384 --ffn-hidden-size 53248 --num-attention-heads 128 "
    "--group-query-attention --num-query-groups 8 --seq-length 131072 --max-position-embeddings 131072 --swiglu "
    "--normalization RMSNorm --position-embedding-type rope --disable-bias-linear --hidden-dropout 0 "
    "--attention-dropout 0 --untie-embeddings-and-output-weights --tokenizer-type HuggingFaceTokenizer "
    "--tokenizer-model meta-llama/Llama-3.1-405B --padded-vocab-size 128256 "
    "--tensor-model-parallel-size 8 --context-parallel-size 16 --cp-comm-type allgather "
    "--pipeline-model-parallel-size 16 --num-layers-per-virtual-pipeline-stage 1 "
    "--account-for-embedding-in-pipeline-split --account-for-loss-in-pipeline-split --sequence-parallel "
    "--micro-batch-size 1 --global-batch-size 128 --use-distributed-optimizer --overlap-grad-reduce "
    "--ddp-bucket-size 40000000 --bf16 --grad-reduce-in-bf16 --no-bias-dropout-fusion";

// A small MoE model every flag test starts from (8 experts, one node of 8 H100).
const std::string kMoe =
    "--num-layers 4 --hidden-size 1024 --num-attention-heads 8 --seq-length 2048 --swiglu --disable-bias-linear "
    "--hidden-dropout 0 --attention-dropout 0 --normalization RMSNorm --position-embedding-type rope "
    "--padded-vocab-size 32000 --micro-batch-size 1 --bf16 --grad-reduce-in-bf16 --num-experts 8 ";

}  // namespace

TEST_CASE("moe import: Mixtral 8x7B's launch is the shipped Mixtral scenario's job and summary") {
  const std::string path = "scenarios/moe/mixtral-8x7b-64gpu.yaml";
  const ImportResult r = megatron(kMixtral, on("h100-400g"));
  const Scenario theirs = shipped(path);
  CHECK(r.job.model.name == "mixtral-8x7b");
  CHECK(training_job_text(r.job) == training_job_text(theirs.job.as<TrainingSpec>()));
  CHECK(has(r.ignored, "--moe-router-load-balancing-type"));
  CHECK(has(r.ignored, "--moe-aux-loss-coeff"));
  CHECK(has(r.notes, "routing drawn uniformly over the experts"));
  const Scenario mine = beside(r, path, "h100-400g.yaml");
  const auto reports = run_isolated_all({[&] { return run_job(mine, {}).report(); },
                                         [&] { return run_job(theirs, {}).report(); }},
                                        2);
  CHECK(reports[0].find("iteration time") != std::string::npos);
  CHECK(reports[0] == reports[1]);
}

TEST_CASE("moe import: a DeepSeek-V3-shaped launch is the shipped DeepSeek-V3 scenario's job") {
  const ImportResult r = megatron(kDeepSeek, on("h800-deepseek-v3", 256));
  const Scenario deepseek = shipped("scenarios/validation/deepseek-v3-2048.yaml");
  const auto& theirs = deepseek.job.as<TrainingSpec>();  // refers into `deepseek` (it used to dangle)
  CHECK(r.job.model.name == "deepseek-v3");
  // Megatron-LM has no DualPipe flag: the launch is the shipped scenario on 1F1B.
  CHECK(theirs.plan.schedule == schedule::ScheduleKind::DualPipe);
  TrainingSpec on_1f1b = theirs;
  on_1f1b.plan.schedule = schedule::ScheduleKind::OneFOneB, on_1f1b.plan.chunks = 1;
  CHECK(training_job_text(r.job) == training_job_text(on_1f1b));
  const auto& p = r.job.plan;
  CHECK(p.experts.routing.max_nodes == 4);  // 8 groups = the 8 nodes of an EP group of 64
  CHECK(p.experts.all_to_all == Granularity::ClosedForm);
  CHECK(p.gemm_precision == workload::Precision::Fp8);
  CHECK(p.layers_per_stage.empty());  // the layout is the default split of 61 layers over 16 stages
  CHECK(has(r.ignored, "--kv-channels (multi-latent attention's widths"));
  CHECK(has(r.ignored, "--fp8-recipe"));
}

TEST_CASE("cp import: the Llama 3 405B long-context launch is the shipped long-context scenario's job") {
  const ImportResult r = megatron(kLongContext, on("h100-400g", 2048));
  TrainingSpec theirs = shipped("scenarios/long-context/llama3-405b-131k.yaml").job.as<TrainingSpec>();
  TrainingSpec mine = r.job;
  mine.model.name = theirs.model.name;  // a preset with another sequence length: no preset's shape
  CHECK(training_job_text(mine) == training_job_text(theirs));
  CHECK(mine.plan.cp == 16);
  CHECK(mine.plan.cp_comm == CpComm::AllGather);
  CHECK(mine.plan.layers_per_virtual_stage.front() == 0);
  CHECK(mine.plan.layers_per_virtual_stage.back() == 0);
  CHECK(has(r.notes, "the embedding and the loss each count as a layer of the pipeline split"));
}

TEST_CASE("cp import: --cp-comm-type and Megatron-LM's bucket with context parallelism") {
  const auto opts = on("h100-400g", 1);
  const std::string llama = testing::kLlama + "--global-batch-size 8 ";
  auto job = megatron(llama + "--context-parallel-size 4", opts).job;
  CHECK(job.plan.cp_comm == CpComm::Ring);
  CHECK(job.plan.dp == 2);
  CHECK(job.plan.bucket_bytes == 40e6 * 2);  // max(40M, 1M x dp x cp = 8M) gradients
  CHECK(megatron(llama + "--context-parallel-size 4 --cp-comm-type allgather", opts).job.plan.cp_comm == CpComm::AllGather);
  CHECK(megatron(llama + "--context-parallel-size 4 --cp-comm-type p2p p2p p2p", opts).job.plan.cp_comm == CpComm::Ring);
  CHECK(error_key(llama + "--context-parallel-size 4 --cp-comm-type a2a", opts) == "--cp-comm-type");
  CHECK(error_key(llama + "--context-parallel-size 4 --cp-comm-type p2p a2a", opts) == "--cp-comm-type");
  CHECK(has(megatron(llama + "--cp-comm-type allgather", opts).ignored, "--cp-comm-type (no effect without context"));
  // 64 nodes x 8 GPUs, cp 8: Megatron-LM's bucket counts dp x cp = 512 ranks: 512M gradients.
  const auto big = megatron(llama + "--context-parallel-size 8 --global-batch-size 64", on("h100-400g", 64)).job;
  CHECK(big.plan.dp == 64);
  CHECK(big.plan.bucket_bytes == 512e6 * 2);
}

TEST_CASE("moe import: experts, top-k, widths, dense layers and capacity") {
  const auto opts = on("h100-400g", 1);
  const auto r = megatron(kMoe + "--moe-ffn-hidden-size 512 --moe-shared-expert-intermediate-size 1024 "
                                 "--moe-layer-freq [0]*1+[1]*3 --moe-expert-capacity-factor 1.25 "
                                 "--moe-router-score-function sigmoid --expert-model-parallel-size 8 "
                                 "--moe-token-dispatcher-type alltoall",
                          opts);
  const auto& m = r.job.model;
  CHECK(m.moe.experts == 8);
  CHECK(m.moe.top_k == 2);  // Megatron-LM's default --moe-router-topk
  CHECK(has(r.notes, "top-2 routing (Megatron-LM's default --moe-router-topk)"));
  CHECK(m.moe.expert_ffn_hidden == 512);
  CHECK(m.moe.shared_ffn_hidden == 1024);
  CHECK(m.moe.dense_layers == 1);
  CHECK(m.moe.capacity_factor == 1.25);
  // From experts / top_k = 4 on nothing is dropped: dropless, as a scenario writes it.
  const auto dropless = megatron(kMoe + "--moe-expert-capacity-factor 4", opts);
  CHECK(dropless.job.model.moe.capacity_factor == 0);
  CHECK(has(dropless.notes, "capacity factor 4 drops no token (from experts / top_k = 4 on"));
  CHECK(m.moe.score == workload::RouterScore::Sigmoid);
  CHECK(r.job.plan.experts.ep == 8);
  CHECK_FALSE(r.job.plan.experts.grouped_gemm);  // Megatron-LM's default: one GEMM per expert
  CHECK(has(r.notes, "one GEMM per expert"));
  // The expert width defaults to --ffn-hidden-size (here Megatron-LM's SwiGLU default 2688).
  CHECK(megatron(kMoe, opts).job.model.moe.expert_ffn_hidden == 2688);
  // --moe-layer-freq: an integer, or a Python list expression with the dense layers first.
  auto dense = [&](const std::string& freq) { return megatron(kMoe + "--moe-layer-freq " + freq, opts).job.model.moe.dense_layers; };
  CHECK(dense("1") == 0);
  CHECK(dense("\"([0]*2+[1]*2)\"") == 2);
  CHECK(dense("[0,0,0,1]") == 3);
  CHECK(dense("\"([0]*1+[1]*1)*1+[1]*2\"") == 1);
  CHECK(error_key(kMoe + "--moe-layer-freq 2", opts) == "--moe-layer-freq");            // interleaved
  CHECK(error_key(kMoe + "--moe-layer-freq [1,0,1,1]", opts) == "--moe-layer-freq");    // dense after MoE
  CHECK(error_key(kMoe + "--moe-layer-freq [0]*3", opts) == "--moe-layer-freq");        // 3 of 4 layers
  CHECK(error_key(kMoe + "--moe-layer-freq [0]*4", opts) == "--moe-layer-freq");        // no MoE layer
  CHECK(message_of([&] { megatron(kMoe + "--moe-layer-freq [0]*1+[2]*3", opts); }).find(
            "key '--moe-layer-freq': '[0]*1+[2]*3' is not a layer pattern (a layer is 0 (dense) or 1 (MoE))") !=
        std::string::npos);
  CHECK(error_key(kMoe + "--moe-layer-freq \"([0]*1+[1]*3\"", opts) == "--moe-layer-freq");
  // Without --num-experts the MoE flags do nothing, and say so.
  const auto plain = megatron(testing::kLlama + "--moe-router-topk 4 --moe-ffn-hidden-size 512 --moe-grouped-gemm", opts);
  CHECK_FALSE(plain.job.model.is_moe());
  CHECK(has(plain.ignored, "--moe-router-topk (no effect without --num-experts)"));
  CHECK(has(plain.ignored, "--moe-ffn-hidden-size (no effect without --num-experts)"));
  CHECK(has(plain.ignored, "--moe-grouped-gemm (no effect without --num-experts)"));
  CHECK(error_key(testing::kLlama + "--expert-model-parallel-size 8", opts) == "--expert-model-parallel-size");
}

TEST_CASE("moe import: token dispatchers, DeepEP, padding, FP8") {
  const auto opts = on("h100-400g", 1);
  const std::string ep8 = kMoe + "--expert-model-parallel-size 8 ";
  // The all-gather dispatcher (Megatron-LM's default) is refused once tokens travel.
  CHECK(message_of([&] { megatron(ep8, opts); }).find("key '--moe-token-dispatcher-type': missing: the allgather "
                                                       "dispatcher (Megatron-LM's default) gathers every token") !=
        std::string::npos);
  CHECK(error_key(ep8 + "--moe-token-dispatcher-type allgather", opts) == "--moe-token-dispatcher-type");
  CHECK(error_key(kMoe, opts) == "<no error>");  // ep 1, expert tp 1: no dispatch traffic
  CHECK(megatron(ep8 + "--moe-token-dispatcher-type alltoall", opts).job.plan.experts.all_to_all == Granularity::Aggregated);
  CHECK(megatron(ep8 + "--moe-token-dispatcher-type flex --moe-enable-deepep", opts).job.plan.experts.all_to_all ==
        Granularity::ClosedForm);
  CHECK(error_key(ep8 + "--moe-token-dispatcher-type alltoall --moe-enable-deepep", opts) == "--moe-enable-deepep");
  CHECK(error_key(ep8 + "--moe-token-dispatcher-type alltoall --moe-pad-expert-input-to-capacity "
                        "--moe-expert-capacity-factor 1",
                  opts) == "--moe-pad-expert-input-to-capacity");
  CHECK(megatron(ep8 + "--moe-token-dispatcher-type alltoall --moe-grouped-gemm", opts).job.plan.experts.grouped_gemm);
  // FP8 GEMMs: modelled for MoE models, on GPUs with an FP8 rate (the loader's check names the flag).
  CHECK(megatron(kMoe + "--fp8-format hybrid", opts).job.plan.gemm_precision == workload::Precision::Fp8);
  CHECK(error_key(testing::kLlama + "--fp8-format hybrid", opts) == "--fp8-format");
  const std::string a100_moe =
      "--num-layers 4 --hidden-size 1024 --num-attention-heads 8 --seq-length 2048 --swiglu --disable-bias-linear "
      "--hidden-dropout 0 --attention-dropout 0 --padded-vocab-size 32000 --micro-batch-size 1 --bf16 "
      "--num-experts 8 --fp8-format e4m3";
  CHECK(message_of([&] { megatron(a100_moe, on("selene-dgx-a100", 1)); }).find(
            "key '--fp8-format': the imported job is refused (gemm_precision): fp8 needs FP8 tensor cores") !=
        std::string::npos);
  // MoE layer recomputation and the shared experts' overlap change the iteration: refused.
  CHECK(error_key(kMoe + "--moe-layer-recompute", opts) == "--moe-layer-recompute");
  CHECK(error_key(kMoe + "--moe-shared-expert-overlap", opts) == "--moe-shared-expert-overlap");
}

TEST_CASE("moe import: node-limited routing from group-limited or device-limited flags") {
  // 4 nodes x 8 GPUs, EP 16: an EP group spans 2 nodes.
  const auto opts = on("h100-400g", 4);
  const std::string ep16 = kMoe + "--num-experts 16 --moe-router-topk 4 --expert-model-parallel-size 16 "
                                  "--moe-token-dispatcher-type alltoall --global-batch-size 32 ";
  auto max_nodes = [&](const std::string& flags) { return megatron(ep16 + flags, opts).job.plan.experts.routing.max_nodes; };
  CHECK(max_nodes("") == 0);
  CHECK(max_nodes("--moe-router-num-groups 2 --moe-router-group-topk 1") == 1);
  // 16 groups are the EP ranks (devices), 8 to a node: device-limited routing is not modelled.
  CHECK(message_of([&] { megatron(ep16 + "--moe-router-num-groups 16 --moe-router-group-topk 2", opts); })
            .find("key '--moe-router-num-groups': 16 groups of experts are not the nodes of an EP group (the EP group "
                  "of 16 ranks spans 2 nodes)") != std::string::npos);
  CHECK(error_key(ep16 + "--moe-router-num-groups 2", opts) == "--moe-router-num-groups");
  CHECK(error_key(ep16 + "--moe-router-group-topk 1", opts) == "--moe-router-group-topk");
  CHECK(error_key(ep16 + "--moe-router-topk-limited-devices 2", opts) == "--moe-router-topk-limited-devices");
  CHECK(error_key(ep16 + "--moe-router-num-groups 2 --moe-router-group-topk 3", opts) == "--moe-router-group-topk");
  // One GPU per node (--gpus-per-node 1): devices are nodes.
  const auto one_per_node = on("h100-400g", 16, 1);
  CHECK(megatron(ep16 + "--moe-router-topk-limited-devices 4", one_per_node).job.plan.experts.routing.max_nodes == 4);
}

TEST_CASE("mla import: --multi-latent-attention and its widths, with Megatron-LM's defaults") {
  const auto opts = on("h100-400g", 1);
  const auto r = megatron(testing::kLlama + "--multi-latent-attention --kv-lora-rank 512 --q-lora-rank 1024", opts);
  const auto& a = r.job.model.mla;
  CHECK(a.kv_lora_rank == 512);
  CHECK(a.q_lora_rank == 1024);
  CHECK(a.qk_head_dim == 128);
  CHECK(a.qk_rope_head_dim == 64);
  CHECK(a.v_head_dim == 128);
  CHECK(has(r.notes, "multi-latent attention: v_head_dim 128 (Megatron-LM's default)"));
  CHECK(megatron(testing::kLlama + "--multi-latent-attention", opts).job.model.mla.q_lora_rank == 0);
  CHECK(has(megatron(testing::kLlama + "--kv-lora-rank 512", opts).ignored, "--kv-lora-rank (no effect without"));
  CHECK(error_key(testing::kGpt + "--multi-latent-attention", on("selene-dgx-a100", 1)) == "--multi-latent-attention");
}

TEST_CASE("pipeline import: the embedding or loss counted as a layer, and Megatron-Core's layout") {
  const auto opts = on("h100-400g", 1);
  // 30 layers + embedding + loss over pp 4 x 2 virtual stages of 4.
  const std::string base = testing::kLlama + "--num-layers 30 --pipeline-model-parallel-size 4 --global-batch-size 8 ";
  auto job = megatron(base + "--num-layers-per-virtual-pipeline-stage 4 --account-for-embedding-in-pipeline-split "
                             "--account-for-loss-in-pipeline-split",
                      opts).job;
  CHECK(job.plan.chunks == 2);
  CHECK(job.plan.layers_per_virtual_stage == std::vector<int>{3, 4, 4, 4, 4, 4, 4, 3});
  // Without virtual stages: 31 counted layers do not split over 4 stages; 32 layers + loss over pp 3 do.
  CHECK(error_key(base + "--account-for-embedding-in-pipeline-split", opts) == "--account-for-embedding-in-pipeline-split");
  job = megatron(testing::kLlama + "--pipeline-model-parallel-size 3 --global-batch-size 8 --num-layers 32 "
                                   "--account-for-loss-in-pipeline-split",
                 on("h100-400g", 3, 1)).job;
  CHECK(job.plan.layers_per_stage == std::vector<int>{11, 11, 10});
  CHECK(error_key(base + "--account-for-loss-in-pipeline-split --decoder-first-pipeline-num-layers 6", opts) ==
        "--account-for-loss-in-pipeline-split");
  // A layout: stages in virtual-stage order, runs repeated, commas cosmetic.
  job = megatron(base + "--pipeline-model-parallel-layout \"Et*3|(t*4|)*6,t*3L\"", opts).job;
  CHECK(job.plan.chunks == 2);
  CHECK(job.plan.layers_per_virtual_stage == std::vector<int>{3, 4, 4, 4, 4, 4, 4, 3});
  job = megatron(base + "--pipeline-model-parallel-layout \"Et*9|t*7|t*7|t*7L\"", opts).job;
  CHECK(job.plan.chunks == 1);
  CHECK(job.plan.layers_per_stage == std::vector<int>{9, 7, 7, 7});
  // The default split written as a layout is no explicit split (one form per job).
  CHECK(megatron(base + "--pipeline-model-parallel-layout \"Et*8|t*8|t*7|t*7L\"", opts).job.plan.layers_per_stage.empty());
  auto layout_error = [&](const std::string& layout) {
    return message_of([&] { megatron(base + "--pipeline-model-parallel-layout \"" + layout + "\"", opts); });
  };
  CHECK(layout_error("Et*9|t*7|t*7|t*6L").find("places 29 transformer layers (t), but --num-layers is 30") !=
        std::string::npos);
  CHECK(layout_error("Et*9|t*7|t*7|t*6m|L").find("5 stages are not a multiple of pp 4") != std::string::npos);
  CHECK(layout_error("Et*9|t*7|t*6|t*7mL").find("multi-token prediction layers (m) are not modelled") !=
        std::string::npos);
  CHECK(layout_error("t*9|Et*7|t*7|t*7L").find("the embedding (E) is not the first item") != std::string::npos);
  CHECK(layout_error("Et*9|t*7|t*7|t*7").find("does not end with the loss (L)") != std::string::npos);
  CHECK(layout_error("E(t*9|t*7|t*7|t*7L").find("a '(' is not closed") != std::string::npos);
  CHECK(error_key(base + "--pipeline-model-parallel-layout \"Et*9|t*7|t*7|t*7L\" --decoder-first-pipeline-num-layers 9",
                  opts) == "--decoder-first-pipeline-num-layers");
}

TEST_CASE("cp import: torchtitan's context_parallel_degree and rotate method") {
  auto toml = [](const std::string& parallelism) {
    return "[model]\nname = \"llama3\"\nflavor = \"8B\"\n[training]\nlocal_batch_size = 1\nseq_len = 8192\n"
           "mixed_precision_reduce = \"bfloat16\"\n[activation_checkpoint]\nmode = \"full\"\n[parallelism]\n" +
           parallelism;
  };
  auto titan = [&](const std::string& parallelism) {
    return import_torchtitan_text(toml(parallelism), "t.toml", on("h100-400g", 1), {});
  };
  // torchtitan shards over data_parallel_shard_degree x cp (FSDP over its dp_shard_cp mesh): trainsim's
  // ZeRO-3 over dp x cp. Where the simulator refuses that combination the refusal names the degree.
  for (const std::string rotate : {"", "context_parallel_rotate_method = \"alltoall\"\n"}) {
    CAPTURE(rotate);
    const std::string p = "data_parallel_shard_degree = 2\ncontext_parallel_degree = 4\n" + rotate;
    std::optional<ImportResult> r;
    std::string key, what;
    int line = 0;
    try {
      r = titan(p);
    } catch (const InputError& e) {
      key = e.key();
      what = e.what();
      line = e.where().line;
    }
    if (r) {
      CHECK(r->job.plan.cp == 4);
      CHECK(r->job.plan.dp == 2);
      CHECK(r->job.plan.zero_stage == 3);
      CHECK(r->job.plan.cp_comm == (rotate.empty() ? CpComm::AllGather : CpComm::Ring));
    } else {
      CHECK(key == "parallelism.context_parallel_degree");
      CHECK(line == 12);
      CHECK(what.find("the imported job is refused (parallelism.cp)") != std::string::npos);
    }
  }
  CHECK(message_of([&] { titan("context_parallel_degree = 2\ncontext_parallel_rotate_method = \"ring\"\n"); })
            .find("key 'parallelism.context_parallel_rotate_method': 'ring' is not a rotate method") != std::string::npos);
  CHECK(message_of([&] { titan("data_parallel_shard_degree = 3\ncontext_parallel_degree = 2\n"); })
            .find("the degrees multiply to 6 GPUs but the job has 8") != std::string::npos);
  // HSDP (replicate above 1 with sharding over the context-parallel ranks): the simulator's refusal.
  CHECK(message_of([&] { titan("data_parallel_replicate_degree = 2\ndata_parallel_shard_degree = 1\ncontext_parallel_degree = 4\n"); })
            .find("key 'parallelism.context_parallel_degree': the imported job is refused (parallelism.cp)") !=
        std::string::npos);
  const auto plain = titan("data_parallel_shard_degree = -1\ncontext_parallel_rotate_method = \"alltoall\"\n");
  CHECK(plain.job.plan.cp == 1);
  CHECK(has(plain.ignored, "parallelism.context_parallel_rotate_method (no context parallelism)"));
}

TEST_CASE("moe import: what the simulator refuses for MoE jobs is reported at the flag that asked for it") {
  // The importer maps these flags whatever the simulator supports; the scenario loader decides
  // (docs/moe.md, "Status"), and a refusal names the flag, not a key of a file not yet written.
  const auto opts = on("h100-400g", 1);
  const std::string ep4 = kMoe + "--expert-model-parallel-size 4 --moe-token-dispatcher-type alltoall ";
  struct Case {
    std::string flags, flag;
    std::function<bool(const TrainingSpec&)> imported;
  };
  const std::vector<Case> cases = {
      {"--expert-tensor-parallel-size 2", "--expert-tensor-parallel-size",
       [](const TrainingSpec& j) { return j.plan.expert_tp() == 2; }},
      {"--tensor-model-parallel-size 2 --sequence-parallel", "--tensor-model-parallel-size",
       [](const TrainingSpec& j) { return j.plan.tp == 2 && j.plan.sequence_parallel; }},
      {"--use-distributed-optimizer --overlap-grad-reduce", "--overlap-grad-reduce",
       [](const TrainingSpec& j) { return j.plan.overlap_grad_reduce; }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.flags);
    std::optional<TrainingSpec> job;
    std::string key, what;
    try {
      job = megatron(ep4 + c.flags, opts).job;
    } catch (const InputError& e) {
      key = e.key();
      what = e.what();
    }
    if (job) {
      CHECK(c.imported(*job));
    } else {
      CHECK(key == c.flag);
      CHECK(what.find("the imported job is refused (") != std::string::npos);
    }
  }
}
