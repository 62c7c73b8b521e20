// torchtitan settings that trainsim models since the importer was written (docs/import.md):
// the MoE flavours and expert parallelism, asynchronous TP, float8, HSDP and fp32 gradient
// reduction, and the pipeline split that weighs the embedding and head as layers. Each mapping
// imports to its scenario keys, and the imported scenario loads and simulates; what trainsim
// or torchtitan refuses is one line at the key.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/isolated.hpp"
#include "importer/scenario_writer.hpp"
#include "importer/torchtitan_import.hpp"
#include "importer_support.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::message_of;
using testing::on;

namespace {

// A small config: `model` is the [model] body, `parallelism` the [parallelism] body, `extra`
// more sections.
std::string config(const std::string& model, const std::string& parallelism, const std::string& extra = "") {
  return "[model]\n" + model + "\n[training]\nlocal_batch_size = 1\nseq_len = 2048\n\n[activation_checkpoint]\n"
         "mode = \"full\"\n\n[parallelism]\n" + parallelism + extra;
}
const std::string kLlama = "name = \"llama3\"\nflavor = \"8B\"\n";
const std::string kQwen = "name = \"qwen3\"\nflavor = \"30B-A3B\"\n";

ImportResult titan(const std::string& text, const ImportOptions& options) {
  return import_torchtitan_text(text, "t.toml", options, {});
}

bool has(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

// The imported job's scenario as `trainsim import` writes it, loaded back.
Scenario scenario(const ImportResult& r, const ImportOptions& o) {
  return load_scenario_text(training_scenario_text({"imported", 1, o.platform_file, {}}, r.job), "imported.yaml");
}

// The terminal summaries of the scenarios, simulated one per process (one SimGrid engine each).
std::vector<std::string> simulate(const std::vector<Scenario>& scenarios) {
  std::vector<std::function<std::string()>> jobs;
  for (const auto& s : scenarios) jobs.push_back([s] { return run_job(s, {}).report(); });
  return run_isolated_all(jobs, 2);
}

}  // namespace

TEST_CASE("torchtitan features: MoE flavours that are trainsim presets, the others refused with the list") {
  const auto o = on("h100-400g", 1);
  const auto q = titan(config(kQwen, "data_parallel_shard_degree = -1\n"), o);
  CHECK(q.job.model.name == "qwen3-30b-a3b");
  CHECK(q.job.model.is_moe());
  CHECK(q.job.model.seq_len == 2048);
  CHECK(has(q.notes, "routing: uniform"));
  const auto d = titan(config("name = \"deepseek_v3\"\nflavor = \"671B\"\n", "data_parallel_shard_degree = -1\n"),
                       on("h800-deepseek-v3", 8));
  CHECK(d.job.model.name == "deepseek-v3");
  CHECK(d.job.model.moe.experts == 256);
  CHECK(d.job.model.mla.enabled());
  CHECK(message_of([&] { titan(config("name = \"llama4\"\nflavor = \"17bx16e\"\n", ""), o); }) ==
        "t.toml:2:8: error: key 'model.name': torchtitan model 'llama4' has no trainsim preset of its shape; expected "
        "llama3 8B, 70B, 405B; deepseek_v3 671B; qwen3 30B-A3B");
  CHECK(message_of([&] { titan(config("name = \"deepseek_v3\"\nflavor = \"16B\"\n", ""), o); }) ==
        "t.toml:3:10: error: key 'model.flavor': deepseek_v3 flavor '16B' has no trainsim preset of its shape; "
        "expected 671B");
  CHECK(message_of([&] { titan(config("name = \"llama3\"\nflavor = \"1B\"\n", ""), o); }) ==
        "t.toml:3:10: error: key 'model.flavor': llama3 flavor '1B' has no trainsim preset of its shape; expected 8B, "
        "70B or 405B");
}

TEST_CASE("torchtitan features: expert_parallel_degree borrows ranks from dp_shard x cp (x tp) as torchtitan does") {
  const auto o = on("h100-400g", 1);
  // ETP 1 (torchtitan's default): EP over dp_shard x tp, whole experts per rank.
  const auto folded = titan(config(kQwen, "data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\n"
                                          "expert_parallel_degree = 8\n"),
                            o);
  CHECK(folded.job.plan.experts.ep == 8);
  CHECK(folded.job.plan.expert_tp() == 1);
  CHECK(folded.job.plan.dp == 4);
  CHECK(training_job_text(folded.job).find("parallelism: {tp: 2, pp: 1, dp: 4, ep: 8, expert_tp: 1}") !=
        std::string::npos);
  // ETP = TP: EP over dp_shard alone, experts tensor-parallel as the rest.
  const auto etp = titan(config(kQwen, "data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\n"
                                       "expert_parallel_degree = 4\nexpert_tensor_parallel_degree = 2\n"),
                         o);
  CHECK(etp.job.plan.experts.ep == 4);
  CHECK(etp.job.plan.expert_tp() == 2);
  CHECK(training_job_text(etp.job).find("parallelism: {tp: 2, pp: 1, dp: 4, ep: 4}") != std::string::npos);
  const auto plain = titan(config(kQwen, "data_parallel_shard_degree = -1\nexpert_parallel_degree = 8\n"), o);
  CHECK(plain.job.plan.experts.ep == 8);
  CHECK(plain.job.plan.zero_stage == 3);  // FSDP2 over the dense parameters, experts over expert-DP
  // The imported scenarios load and simulate.
  const auto reports = simulate({scenario(plain, o), scenario(folded, o)});
  for (const auto& r : reports) CHECK(r.find("iteration time") != std::string::npos);
  // torchtitan's own rules, at the key.
  CHECK(message_of([&] {
          titan(config(kQwen, "data_parallel_shard_degree = 2\ntensor_parallel_degree = 4\nexpert_parallel_degree = 2\n"
                              "expert_tensor_parallel_degree = 2\n"),
                o);
        }) == "t.toml:16:33: error: key 'parallelism.expert_tensor_parallel_degree': 2 is neither 1 nor "
              "tensor_parallel_degree 4, the two torchtitan accepts; expected 1 or 4");
  CHECK(message_of([&] {
          titan(config(kQwen, "data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\nexpert_parallel_degree = 3\n"),
                o);
        }) == "t.toml:15:26: error: key 'parallelism.expert_parallel_degree': 3 expert-parallel ranks are not borrowed "
              "whole from data_parallel_shard_degree x context_parallel_degree x tensor_parallel_degree = 8 ranks, as "
              "torchtitan borrows them; expected a multiple of 2 dividing 8");
  CHECK(message_of([&] { titan(config(kLlama, "data_parallel_shard_degree = -1\nexpert_parallel_degree = 2\n"), o); }) ==
        "t.toml:14:26: error: key 'parallelism.expert_parallel_degree': 2 expert-parallel ranks for llama3-8b, which has "
        "no experts; expected 1 (or a model with experts: deepseek_v3, qwen3 30B-A3B)");
  const auto ignored = titan(config(kQwen, "data_parallel_shard_degree = -1\nexpert_tensor_parallel_degree = 1\n"), o);
  CHECK(has(ignored.ignored, "parallelism.expert_tensor_parallel_degree (no expert parallelism)"));
}

TEST_CASE("torchtitan features: asynchronous TP is tp_comm_overlap, with the model compiled as torchtitan requires") {
  const auto o = on("h100-400g", 1);
  const std::string tp2 = "data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\nenable_async_tensor_parallel = true\n";
  const auto r = titan(config(kLlama, tp2, "\n[compile]\nenable = true\n"), o);
  CHECK(r.job.plan.tp_comm_overlap);
  CHECK(r.job.plan.sequence_parallel);
  CHECK(training_job_text(r.job).find("  tp_comm_overlap: true\n") != std::string::npos);
  CHECK(has(r.notes, "asynchronous tensor parallelism: tp_comm_overlap"));
  // The older place, with the older compile switch.
  std::string older = config(kLlama, "data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\n",
                             "\n[experimental]\nenable_async_tensor_parallel = true\n");
  older.insert(older.find("seq_len"), "compile = true\n");
  CHECK(titan(older, o).job.plan.tp_comm_overlap);
  CHECK(message_of([&] { titan(config(kLlama, tp2), o); }) ==
        "t.toml:15:32: error: key 'parallelism.enable_async_tensor_parallel': torchtitan's asynchronous TP is a "
        "torch.compile pass, and torchtitan refuses it without the model compiled; expected compile.enable = true "
        "(\"model\" in compile.components) or enable_async_tensor_parallel = false");
  CHECK(message_of([&] { titan(config(kLlama, tp2, "\n[compile]\nenable = true\ncomponents = [\"loss\"]\n"), o); })
            .find("key 'parallelism.enable_async_tensor_parallel': torchtitan's asynchronous TP") != std::string::npos);
  const auto one = titan(config(kLlama, "data_parallel_shard_degree = -1\nenable_async_tensor_parallel = true\n"), o);
  CHECK_FALSE(one.job.plan.tp_comm_overlap);
  CHECK(has(one.ignored, "parallelism.enable_async_tensor_parallel (no tensor parallelism)"));
  const auto reports = simulate({scenario(r, o)});
  CHECK(reports[0].find("iteration time") != std::string::npos);
}

TEST_CASE("torchtitan features: float8 is gemm_precision fp8 where trainsim models it, mx stays refused") {
  const auto o = on("h100-400g", 1);
  const auto r = titan(config(kQwen + "converters = [\"float8\"]\n", "data_parallel_shard_degree = -1\n"
                                                                     "expert_parallel_degree = 8\n"),
                       o);
  CHECK(r.job.plan.gemm_precision == workload::Precision::Fp8);
  CHECK(training_job_text(r.job).find("  gemm_precision: fp8\n") != std::string::npos);
  CHECK(has(r.notes, "float8 (model.converters): gemm_precision fp8"));
  std::string older = config(kQwen, "data_parallel_shard_degree = -1\n");
  older.insert(older.find("seq_len"), "enable_float8_linear = true\n");
  CHECK(titan(older, o).job.plan.gemm_precision == workload::Precision::Fp8);
  const auto reports = simulate({scenario(r, o)});
  CHECK(reports[0].find("iteration time") != std::string::npos);
  // The simulator's refusals, at the key: dense models time bf16 GEMMs, A100s have no FP8 rate.
  CHECK(message_of([&] { titan(config(kLlama + "converters = [\"float8\"]\n", "data_parallel_shard_degree = -1\n"), o); }) ==
        "t.toml:4:14: error: key 'model.converters': the imported job is refused (gemm_precision): fp8 GEMMs are "
        "modelled for MoE models (family moe); the dense training programs time every GEMM in bf16, expected bf16");
  CHECK(message_of([&] {
          titan(config(kQwen + "converters = [\"float8\"]\n", "data_parallel_shard_degree = -1\n"),
                on("dgx-a100-16node", 1));
        }).find("key 'model.converters': the imported job is refused (gemm_precision): fp8 needs FP8 tensor cores") !=
        std::string::npos);
  CHECK(message_of([&] { titan(config(kQwen + "converters = [\"mx\"]\n", "data_parallel_shard_degree = -1\n"), o); }) ==
        "t.toml:4:14: error: key 'model.converters': MX (microscaling) GEMMs are not modelled (trainsim times 16-bit "
        "and FP8 kernels); expected no mx converter (float8 is gemm_precision fp8)");
}

TEST_CASE("torchtitan features: HSDP is fsdp.shard_group, fp32 gradient reduction is grad_reduce_precision fp32") {
  const auto o = on("h100-400g", 1);
  std::string fp32 = config(kLlama, "data_parallel_replicate_degree = 2\ndata_parallel_shard_degree = 4\n");
  const auto r = titan(fp32, o);
  CHECK(r.job.plan.dp == 8);
  CHECK(r.job.plan.zero_stage == 3);
  CHECK(r.job.plan.fsdp.shard_group == 4);
  CHECK(r.job.plan.grad_reduce_bytes == 4);  // torchtitan's default float32
  CHECK(has(r.notes, "gradients reduced in fp32 (torchtitan's default training.mixed_precision_reduce)"));
  CHECK(has(r.notes, "HSDP: parameters sharded over data_parallel_shard_degree 4 ranks, replicated across "
                     "data_parallel_replicate_degree 2: fsdp.shard_group 4"));
  const std::string text = training_job_text(r.job);
  CHECK(text.find("shard_group: 4}") != std::string::npos);
  CHECK(text.find("  grad_reduce_precision: fp32\n") != std::string::npos);
  std::string bf16 = fp32;
  bf16.insert(bf16.find("seq_len"), "mixed_precision_reduce = \"bfloat16\"\n");
  CHECK(titan(bf16, o).job.plan.grad_reduce_bytes == 2);
  const auto reports = simulate({scenario(r, o)});
  CHECK(reports[0].find("iteration time") != std::string::npos);
  std::string fp16 = fp32;
  fp16.insert(fp16.find("seq_len"), "mixed_precision_reduce = \"float16\"\n");
  CHECK(message_of([&] { titan(fp16, o); }) ==
        "t.toml:7:26: error: key 'training.mixed_precision_reduce': 'float16' gradient reduction is not modelled; "
        "expected \"float32\" (grad_reduce_precision fp32) or \"bfloat16\" (bf16)");
  // HSDP over context-parallel ranks: the simulator's refusal, at the key.
  CHECK(message_of([&] {
          titan(config(kLlama, "data_parallel_replicate_degree = 2\ndata_parallel_shard_degree = 2\n"
                               "context_parallel_degree = 2\n"),
                o);
        }).find("key 'parallelism.context_parallel_degree': the imported job is refused (parallelism.cp)") !=
        std::string::npos);
  // DDP alone stays refused (fp32 parameters under autocast).
  CHECK(message_of([&] { titan(config(kLlama, "data_parallel_replicate_degree = 8\ndata_parallel_shard_degree = 1\n"), o); })
            .find("key 'parallelism.data_parallel_shard_degree': 1: without FSDP torchtitan trains DDP replicas") !=
        std::string::npos);
}

TEST_CASE("torchtitan features: first/last_stage_less_layers split the layers as torchtitan's pipeline_llm does") {
  const auto o = on("h100-400g", 1);
  // A local batch of 8: one pipeline schedule of 8 micro-batches.
  auto batch8 = [](std::string text) { return text.replace(text.find("local_batch_size = 1"), 20, "local_batch_size = 8"); };
  auto split = [&](const std::string& keys) {
    return titan(batch8(config(kLlama, "data_parallel_shard_degree = 2\npipeline_parallel_degree = 4\n"
                                       "fsdp_reshard_after_forward = \"always\"\n" + keys)),
                 o);
  };
  // 32 layers + 1 + 1 over 4 stages: 9, 9, 8, 8, less the embedding's and the head's weights.
  const auto r = split("pipeline_parallel_first_stage_less_layers = 1\npipeline_parallel_last_stage_less_layers = 1\n");
  CHECK(r.job.plan.layers_per_stage == std::vector<int>{8, 9, 8, 7});
  CHECK(training_job_text(r.job).find("  layers_per_stage: [8, 9, 8, 7]\n") != std::string::npos);
  // One key given: the other has torchtitan's default 1.
  CHECK(split("pipeline_parallel_first_stage_less_layers = 3\n").job.plan.layers_per_stage ==
        std::vector<int>{6, 9, 9, 8});  // 36 / 4 = 9 each
  CHECK(split("pipeline_parallel_first_stage_less_layers = 0\npipeline_parallel_last_stage_less_layers = 0\n")
            .job.plan.layers_per_stage == std::vector<int>{8, 8, 8, 8});
  // A stage holding the embedding alone: per virtual stage, which may be empty at the ends.
  const auto alone = split("pipeline_parallel_first_stage_less_layers = 11\n");
  CHECK(alone.job.plan.layers_per_stage.empty());
  CHECK(alone.job.plan.layers_per_virtual_stage == std::vector<int>{0, 11, 11, 10});
  // Interleaved1F1B: two virtual stages per rank by default, else from layers_per_stage.
  const std::string looped = "pipeline_parallel_schedule = \"Interleaved1F1B\"\npipeline_parallel_first_stage_less_layers = 1\n";
  const auto i = split(looped);
  CHECK(i.job.plan.chunks == 2);
  CHECK(i.job.plan.layers_per_virtual_stage == std::vector<int>{4, 5, 4, 4, 4, 4, 4, 3});  // 34 over 8: 5, 5, 4 ...
  const auto j = titan(batch8(config(kLlama, "data_parallel_shard_degree = 4\npipeline_parallel_degree = 2\n"
                                             "fsdp_reshard_after_forward = \"always\"\n" + looped +
                                             "pipeline_parallel_layers_per_stage = 3\n")),
                       o);
  CHECK(j.job.plan.chunks == 6);  // ceil(34 / 3) = 12 virtual stages
  CHECK(j.job.plan.layers_per_virtual_stage == std::vector<int>{2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 1});
  const auto reports = simulate({scenario(r, o), scenario(i, o)});
  for (const auto& rep : reports) CHECK(rep.find("iteration time") != std::string::npos);
  // torchtitan's refusals, at the key.
  CHECK(message_of([&] { split("pipeline_parallel_first_stage_less_layers = 12\n"); }) ==
        "t.toml:16:45: error: key 'parallelism.pipeline_parallel_first_stage_less_layers': 12 is more than the 11 "
        "layers each of the 4 stages gets, which torchtitan refuses; expected at most 11");
  CHECK(message_of([&] {
          titan(batch8(config(kLlama, "data_parallel_shard_degree = 4\npipeline_parallel_degree = 2\n"
                                      "fsdp_reshard_after_forward = \"always\"\n" + looped +
                                      "pipeline_parallel_layers_per_stage = 4\n")),
                o);
        }) == "t.toml:18:38: error: key 'parallelism.pipeline_parallel_layers_per_stage': 4 layers per stage make 9 "
              "stages of 32 layers + 2 (the embedding and head's weights), which Interleaved1F1B cannot run on 2 "
              "ranks; expected at least two stages per rank, a multiple of 2");
  CHECK(message_of([&] { split("pipeline_parallel_first_stage_less_layers = 1\npipeline_parallel_split_points = "
                               "[\"layers.8\", \"layers.16\", \"layers.24\"]\n"); })
            .find("key 'parallelism.pipeline_parallel_split_points': split points and first/last_stage_less_layers "
                  "are two splits; expected one of them") != std::string::npos);
  // Without the keys, the even split of the config's torchtitan version, said in a note.
  CHECK(has(split("").notes, "layers split evenly over the stages"));
}

TEST_CASE("torchtitan features: ZBVZeroBubble is zb-v, PyTorch's V schedule, two stages per rank") {
  const auto o = on("h100-400g", 1);
  auto v = [&](const std::string& keys) {
    std::string text = config(kLlama, "data_parallel_shard_degree = 2\npipeline_parallel_degree = 4\n"
                                      "fsdp_reshard_after_forward = \"always\"\n"
                                      "pipeline_parallel_schedule = \"ZBVZeroBubble\"\n" + keys);
    return titan(text.replace(text.find("local_batch_size = 1"), 20, "local_batch_size = 8"), o);
  };
  const auto r = v("");
  CHECK(r.job.plan.schedule == schedule::ScheduleKind::ZeroBubbleV);
  CHECK(r.job.plan.chunks == 2);
  CHECK(training_job_text(r.job).find("  schedule: zb-v\n  chunks: 2\n") != std::string::npos);
  // torchtitan's weighted split over the 8 virtual stages, in model order (rank r holds r and 7 - r).
  const auto w = v("pipeline_parallel_first_stage_less_layers = 1\npipeline_parallel_last_stage_less_layers = 1\n");
  CHECK(w.job.plan.layers_per_virtual_stage == std::vector<int>{4, 5, 4, 4, 4, 4, 4, 3});
  CHECK(v("pipeline_parallel_layers_per_stage = 4\n").job.plan.chunks == 2);
  const auto reports = simulate({scenario(r, o), scenario(w, o)});
  for (const auto& rep : reports) CHECK(rep.find("iteration time") != std::string::npos);
  CHECK(message_of([&] { v("pipeline_parallel_layers_per_stage = 2\n"); }) ==
        "t.toml:17:38: error: key 'parallelism.pipeline_parallel_layers_per_stage': 2 layers per stage make 16 "
        "stages, but ZBVZeroBubble runs two per rank (8); expected 4");
  std::string dual = config(kLlama, "data_parallel_shard_degree = 2\npipeline_parallel_degree = 4\n"
                                    "fsdp_reshard_after_forward = \"always\"\npipeline_parallel_schedule = \"DualPipeV\"\n");
  CHECK(message_of([&] { titan(dual, o); }) ==
        "t.toml:16:30: error: key 'parallelism.pipeline_parallel_schedule': pipeline schedule 'DualPipeV' is not "
        "modelled (trainsim's dualpipe is DeepSeek's, with two weight copies, not the V cut in half); expected 1F1B, "
        "GPipe, Interleaved1F1B or ZBVZeroBubble");
}

TEST_CASE("torchtitan features: module_fqns_per_model_part gives the layers of each model part") {
  const auto o = on("h100-400g", 1);
  // The parts' module lists for layer counts `counts` (the embedding first, the norm and head last).
  auto parts = [](const std::vector<int>& counts) {
    std::string text;
    int layer = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      std::vector<std::string> names;
      if (i == 0) names.push_back("tok_embeddings");
      for (int k = 0; k < counts[i]; ++k) names.push_back("layers." + std::to_string(layer++));
      if (i + 1 == counts.size()) names.insert(names.end(), {"norm", "output"});
      std::string part;
      for (const auto& n : names) part += (part.empty() ? "\"" : ", \"") + n + "\"";
      text += (text.empty() ? "[" : ", [") + part + "]";
    }
    return "module_fqns_per_model_part = [" + text + "]\n";
  };
  auto split = [&](const std::string& keys) {
    std::string text = config(kLlama, "data_parallel_shard_degree = 2\npipeline_parallel_degree = 4\n"
                                      "fsdp_reshard_after_forward = \"always\"\n" + keys);
    return titan(text.replace(text.find("local_batch_size = 1"), 20, "local_batch_size = 8"), o);
  };
  const auto r = split(parts({7, 9, 9, 7}));
  CHECK(r.job.plan.layers_per_stage == std::vector<int>{7, 9, 9, 7});
  CHECK(r.job.plan.chunks == 1);
  CHECK(split(parts({0, 11, 11, 10})).job.plan.layers_per_virtual_stage == std::vector<int>{0, 11, 11, 10});
  const auto i = split("pipeline_parallel_schedule = \"Interleaved1F1B\"\n" + parts({3, 4, 4, 4, 4, 4, 4, 5}));
  CHECK(i.job.plan.chunks == 2);
  CHECK(i.job.plan.layers_per_virtual_stage == std::vector<int>{3, 4, 4, 4, 4, 4, 4, 5});
  const auto reports = simulate({scenario(r, o), scenario(i, o)});
  for (const auto& rep : reports) CHECK(rep.find("iteration time") != std::string::npos);
  CHECK(message_of([&] { split(parts({8, 8, 16})); }) ==
        "t.toml:16:30: error: key 'parallelism.module_fqns_per_model_part': 3 model parts, which 1F1B cannot run on 4 "
        "ranks; expected 4");
  CHECK(message_of([&] { split("module_fqns_per_model_part = [[\"tok_embeddings\", \"layers.0\"], [\"layers.2\"]]\n"); }) ==
        "t.toml:16:30: error: key 'parallelism.module_fqns_per_model_part': 'layers.2' in part 1 is not the next "
        "layer; expected \"layers.1\" (the layers in order, each once, layers.0 to layers.31)");
  CHECK(message_of([&] { split(parts({10, 0, 11, 11})); }) ==
        "t.toml:16:30: error: key 'parallelism.module_fqns_per_model_part': part 1 holds no layer, which is modelled "
        "only for the first and last parts (the embedding or the head alone); expected at least one layer in it");
}
