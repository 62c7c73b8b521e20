// torchtitan job configs (TOML) -> training job: the flavours, the device mesh, batches, the
// pipeline schedule, activation checkpointing and mixed precision, with errors at the key's line.
#include <catch2/catch.hpp>

#include <algorithm>

#include "importer/torchtitan_import.hpp"
#include "importer_support.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::message_of;
using testing::on;

namespace {

std::string fixture(const std::string& name) { return testing::fixture("torchtitan/" + name); }

// A config of a few sections, as small as torchtitan accepts.
std::string config(const std::string& parallelism, const std::string& extra = "") {
  return "[model]\nname = \"llama3\"\nflavor = \"8B\"\n\n[training]\nlocal_batch_size = 2\nseq_len = 8192\n"
         "mixed_precision_reduce = \"bfloat16\"\n\n[activation_checkpoint]\nmode = \"full\"\n\n[parallelism]\n" +
         parallelism + extra;
}

ImportResult titan(const std::string& text, const ImportOptions& options, const std::vector<std::string>& overrides = {}) {
  const auto commands = commands_from_words(overrides);
  return import_torchtitan_text(text, "t.toml", options, commands.empty() ? std::vector<Word>{} : commands[0].words);
}

std::string error_key(const std::string& text, const ImportOptions& options) {
  return testing::key_of([&] { titan(text, options); });
}

}  // namespace

TEST_CASE("torchtitan: Llama 3 8B as shipped needs one setting trainsim models") {
  const std::string stock = fixture("llama3_8b.toml");
  CHECK(message_of([&] { titan(stock, on("h100-400g", 1)); }) ==
        "t.toml:55:23: error: key 'activation_checkpoint.selective_ac_option': torchtitan's per-op selective "
        "checkpointing (recomputing every second matmul and the elementwise ops) is not modelled: trainsim's "
        "selective recomputation is Korthikanti et al.'s (the core attention only); expected mode \"none\" or "
        "\"full\"");
  // torchtitan's default fp32 gradient reduction is grad_reduce_precision fp32.
  CHECK(titan(stock, on("h100-400g", 1), {"--activation_checkpoint.mode", "none"}).job.plan.grad_reduce_bytes == 4);
  // With torchtitan's own overrides for both, every field.
  const auto r = titan(stock, on("h100-400g", 1),
                       {"--activation_checkpoint.mode", "full", "--training.mixed_precision_reduce=bfloat16"});
  const auto& m = r.job.model;
  CHECK(m.name == "llama3-8b");
  CHECK(m.seq_len == 8192);
  const auto& p = r.job.plan;
  CHECK(p.tp == 1);
  CHECK(p.pp == 1);
  CHECK(p.dp == 8);  // data_parallel_shard_degree -1 on one node of 8
  CHECK(p.zero_stage == 3);  // FSDP
  CHECK(p.micro_batch == 1);
  CHECK(p.global_batch == 8);
  CHECK(p.recompute == workload::Recompute::Full);
  CHECK(p.flash_attention);
  CHECK_FALSE(p.sequence_parallel);
  CHECK(r.ignored == std::vector<std::string>{"[checkpoint]", "[float8]", "[job]", "[lr_scheduler]", "[metrics]",
                                              "model.tokenizer_path", "optimizer.eps", "optimizer.lr", "[profiling]",
                                              "training.dataset", "training.max_norm", "training.steps",
                                              "activation_checkpoint.selective_ac_option (only with mode selective)"});
}

TEST_CASE("torchtitan: Llama 3 70B, 8-way tensor parallelism and FSDP across nodes") {
  const auto r = titan(fixture("llama3_70b.toml"), on("h100-400g", 8));
  CHECK(r.job.model.name == "llama3-70b");
  const auto& p = r.job.plan;
  CHECK(p.tp == 8);
  CHECK(p.dp == 8);
  CHECK(p.zero_stage == 3);
  CHECK(p.sequence_parallel);  // torchtitan's TP shards norms over the sequence
  CHECK(p.micro_batch == 8);
  CHECK(p.global_batch == 64);
  CHECK(r.nodes == 8);
}

TEST_CASE("torchtitan: the GPU count, from trainsim's options or the degrees") {
  // All degrees given: the GPU count is their product.
  const auto r = titan(config("data_parallel_shard_degree = 4\ntensor_parallel_degree = 4\n"), on("h100-400g"));
  CHECK(r.nodes == 2);
  CHECK(r.job.plan.dp == 4);
  CHECK(message_of([] { titan(config("tensor_parallel_degree = 4\n"), on("h100-400g")); }) ==
        "t.toml:13:1: error: key 'parallelism.data_parallel_shard_degree': -1 (the remaining GPUs) needs the GPU count, "
        "which the config does not hold; expected trainsim import's --nodes N (torchrun's --nnodes)");
  CHECK(message_of([] { titan(config("data_parallel_shard_degree = 4\n"), on("h100-400g", 1)); }) ==
        "t.toml:14:30: error: key 'parallelism.data_parallel_shard_degree': the degrees multiply to 4 GPUs but the job "
        "has 8 (1 node x 8 GPUs); expected their product to be the GPU count");
  // Fewer GPUs per node than the platform's: ranks mapped to those GPUs.
  const auto half = titan(config("data_parallel_shard_degree = -1\n"), on("h100-400g", 2, 4));
  CHECK(half.job.plan.mapping == std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11});
}

TEST_CASE("torchtitan: data parallelism that trainsim does not model") {
  CHECK(error_key(config("data_parallel_replicate_degree = 8\ndata_parallel_shard_degree = 1\n"), on("h100-400g", 1)) ==
        "parallelism.data_parallel_shard_degree");  // DDP: fp32 gradients under autocast
  CHECK(error_key(config("data_parallel_shard_degree = 1\ntensor_parallel_degree = 8\n"), on("h100-400g", 1)) ==
        "parallelism.data_parallel_shard_degree");  // TP without FSDP trains in fp32
  CHECK(error_key(config("data_parallel_shard_degree = -1\n", "context_parallel_degree = 1\n"), on("h100-400g", 1)) ==
        "<no error>");
}

TEST_CASE("torchtitan: pipeline schedules, micro-batches and split points") {
  const std::string pp2 = "data_parallel_shard_degree = -1\npipeline_parallel_degree = 2\n"
                          "fsdp_reshard_after_forward = \"always\"\n";
  const auto r = titan(config(pp2, "pipeline_parallel_microbatch_size = 1\n"), on("h100-400g", 1));
  CHECK(r.job.plan.pp == 2);
  CHECK(r.job.plan.dp == 4);
  CHECK(r.job.plan.micro_batch == 1);
  CHECK(r.job.plan.global_batch == 8);  // local 2 x dp 4: two micro-batches per pipeline
  CHECK(r.job.plan.schedule == schedule::ScheduleKind::OneFOneB);
  const auto i = titan(config(pp2, "pipeline_parallel_schedule = \"Interleaved1F1B\"\n"
                                   "pipeline_parallel_layers_per_stage = 4\n"),
                       on("h100-400g", 1));
  CHECK(i.job.plan.schedule == schedule::ScheduleKind::Interleaved1F1B);
  CHECK(i.job.plan.chunks == 4);  // 32 layers / (2 ranks x 4 layers)
  const auto s = titan(config(pp2, "pipeline_parallel_split_points = [\"layers.12\"]\n"), on("h100-400g", 1));
  CHECK(s.job.plan.layers_per_stage == std::vector<int>{12, 20});
  CHECK(titan(config(pp2, "pipeline_parallel_schedule = \"GPipe\"\n"), on("h100-400g", 1)).job.plan.schedule ==
        schedule::ScheduleKind::GPipe);
  CHECK(error_key(config(pp2, "pipeline_parallel_schedule = \"DualPipeV\"\n"), on("h100-400g", 1)) ==
        "parallelism.pipeline_parallel_schedule");
  // FSDP's default with pipelining keeps parameters gathered from forward to backward.
  CHECK(error_key(config("data_parallel_shard_degree = -1\npipeline_parallel_degree = 2\n"), on("h100-400g", 1)) ==
        "parallelism.fsdp_reshard_after_forward");
  // Gradient accumulation around a pipeline flushes it every step.
  std::string accumulate = config(pp2);
  accumulate.insert(accumulate.find("seq_len"), "global_batch_size = 16\n");
  CHECK(error_key(accumulate, on("h100-400g", 1)) == "training.global_batch_size");
}

TEST_CASE("torchtitan: activation checkpointing modes") {
  auto mode = [](const std::string& ac) {
    const std::string text = "[model]\nname = \"llama3\"\nflavor = \"8B\"\n[training]\nmixed_precision_reduce = "
                             "\"bfloat16\"\n[parallelism]\ndata_parallel_shard_degree = 8\n[activation_checkpoint]\n" + ac;
    return titan(text, on("h100-400g")).job.plan.recompute;
  };
  CHECK(mode("mode = \"none\"\n") == workload::Recompute::None);
  CHECK(mode("mode = \"full\"\n") == workload::Recompute::Full);
  CHECK(mode("mode = \"selective\"\nselective_ac_option = \"1\"\n") == workload::Recompute::Full);
  CHECK(message_of([&] { mode("mode = \"selective\"\nselective_ac_option = \"2\"\n"); }).find(
            "checkpointing every 2th layer is not modelled") != std::string::npos);
  CHECK(message_of([&] { mode(""); }).find("key 'activation_checkpoint.mode'") != std::string::npos);  // default "2"
}

TEST_CASE("torchtitan: unknown sections and keys, bad values, TOML errors, float8") {
  const auto opts = on("h100-400g", 1);
  CHECK(message_of([&] { titan(config("data_parallel_shard_degree = -1\n") + "[paralelism]\nx = 1\n", opts); }) ==
        "t.toml:15:2: error: key 'paralelism': not a torchtitan config section trainsim knows (did you mean "
        "'parallelism'?); expected [model], [training], [parallelism], ... (docs/import.md)");
  CHECK(message_of([&] { titan(config("data_parallel_shard_degre = -1\n"), opts); }).find(
            "t.toml:14:1: error: key 'parallelism.data_parallel_shard_degre': not a key of [parallelism] trainsim knows "
            "(did you mean 'data_parallel_shard_degree'?)") == 0);
  CHECK(message_of([&] { titan(config("tensor_parallel_degree = \"8\"\n"), opts); }) ==
        "t.toml:14:26: error: key 'parallelism.tensor_parallel_degree': expected an integer from 1 to 1048576, got 8");
  CHECK(message_of([&] { titan("[model\nname = 1\n", opts); }).rfind("t.toml:1:7: error: not valid TOML: ", 0) == 0);
  const std::string fp8 = config("data_parallel_shard_degree = -1\n");
  CHECK(message_of([&] { titan(fp8.substr(0, fp8.find("[training]")) + "converters = [\"float8\"]\n" +
                                   fp8.substr(fp8.find("[training]")),
                               opts); }) ==
        "t.toml:5:14: error: key 'model.converters': the imported job is refused (gemm_precision): fp8 GEMMs are "
        "modelled for MoE models (family moe); the dense training programs time every GEMM in bf16, expected bf16");
  CHECK(error_key(config("data_parallel_shard_degree = -1\n"), on("v100-edr-hetero", 1)) ==
        "training.mixed_precision_param");  // no bf16 on V100
  CHECK(message_of([&] { titan(config("data_parallel_shard_degree = -1\n"), opts, {"training.steps", "3"}); }) ==
        "<command line>:1:1: error: key 'training.steps': not a torchtitan override; expected --section.key value (for "
        "example --training.seq_len 4096)");
  const auto compiled = titan(config("data_parallel_shard_degree = -1\n"), opts, {"--training.compile"});
  CHECK(std::find(compiled.ignored.begin(), compiled.ignored.end(),
                  "training.compile (torch.compile's kernel fusion: trainsim times eager kernels)") != compiled.ignored.end());
}
