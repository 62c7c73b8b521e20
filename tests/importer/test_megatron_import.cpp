// Megatron-LM flags -> training job: each modelled flag into its field (values by hand from
// Megatron-LM's rules), every refused flag an error naming it, every ignored flag listed.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/isolated.hpp"
#include "importer/megatron_flags.hpp"
#include "importer/scenario_writer.hpp"
#include "importer_support.hpp"
#include "jobs/run_job.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::kGpt;
using testing::kLlama;
using testing::megatron;
using testing::message_of;
using testing::on;

namespace {

bool has(const std::vector<std::string>& list, const std::string& prefix) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
}

std::string error_key(const std::string& line, const ImportOptions& options) {
  return testing::key_of([&] { megatron(line, options); });
}

}  // namespace

TEST_CASE("megatron: a current Llama-style launch, every field") {
  const auto r = megatron(kLlama +
                              "--tensor-model-parallel-size 2 --pipeline-model-parallel-size 4 "
                              "--num-layers-per-virtual-pipeline-stage 4 --sequence-parallel --use-distributed-optimizer "
                              "--overlap-grad-reduce --ddp-bucket-size 10000000 --global-batch-size 64 "
                              "--recompute-activations --transformer-impl local --use-flash-attn",
                          on("h100-400g", 2));
  const auto& m = r.job.model;
  CHECK(m.name == "llama3-8b");  // the shape is the preset's
  CHECK(m.family == workload::Family::Llama);
  CHECK(m.layers == 32);
  CHECK(m.hidden == 4096);
  CHECK(m.heads == 32);
  CHECK(m.kv_heads == 8);
  CHECK(m.ffn_hidden == 14336);
  CHECK(m.seq_len == 8192);
  CHECK(m.vocab == 128256);
  CHECK_FALSE(m.tied_embeddings);
  const auto& p = r.job.plan;
  CHECK(p.tp == 2);
  CHECK(p.pp == 4);
  CHECK(p.dp == 2);  // 16 GPUs / (2 x 4)
  CHECK(p.micro_batch == 1);
  CHECK(p.global_batch == 64);
  CHECK(p.chunks == 2);  // 32 layers / 4 stages / 4 layers per virtual stage
  CHECK(p.schedule == schedule::ScheduleKind::Interleaved1F1B);
  CHECK(p.sequence_parallel);
  CHECK(p.recompute == workload::Recompute::Selective);
  CHECK(p.zero_stage == 1);
  CHECK(p.flash_attention);
  CHECK(p.fused_bias_dropout_add);
  CHECK(p.overlap_grad_reduce);
  CHECK(p.bucket_bytes == 20e6);  // 10M 16-bit gradients
  CHECK(p.scatter_gather);
  CHECK(p.order == RankOrder::Megatron);
  CHECK(r.nodes == 2);
  CHECK(r.gpus_per_node == 8);
  CHECK(has(r.notes, "attention: fused (flash) kernels (--use-flash-attn)"));
  CHECK(r.ignored ==
        std::vector<std::string>{"--tokenizer-model", "--tokenizer-type (--padded-vocab-size gives the size)"});
}

TEST_CASE("megatron: modelled flags that other flags make pointless are listed as ignored") {
  const auto opts = on("selene-dgx-a100", 1);
  auto ignored = [&](const std::string& flags) { return megatron(kGpt + flags, opts).ignored; };
  CHECK(ignored("--recompute-activations --recompute-num-layers 2") ==
        std::vector<std::string>{"--recompute-num-layers (only with full recomputation)"});
  CHECK(ignored("--DDP-impl torch --ddp-bucket-size 5") ==
        std::vector<std::string>{"--ddp-bucket-size (--DDP-impl torch uses PyTorch's buckets)"});
  CHECK(ignored("--padded-vocab-size 51200 --make-vocab-size-divisible-by 8") ==
        std::vector<std::string>{"--make-vocab-size-divisible-by (--padded-vocab-size gives the padded size)",
                                 "--tokenizer-type (--padded-vocab-size gives the size)"});
  CHECK(ignored("--use-flash-attn --attention-backend unfused") ==
        std::vector<std::string>{"--use-flash-attn (--attention-backend unfused decides)"});
  CHECK(ignored("--grad-reduce-in-bf16") ==
        std::vector<std::string>{"--grad-reduce-in-bf16 (with --fp16 gradients are reduced in fp16)"});
}

TEST_CASE("megatron: Megatron-LM's defaults for what the flags leave out") {
  const auto r = megatron(kGpt, on("selene-dgx-a100", 1));
  const auto& m = r.job.model;
  CHECK(m.family == workload::Family::Gpt);
  CHECK(m.ffn_hidden == 4 * 2304);
  CHECK(m.kv_heads == 24);
  CHECK(m.tied_embeddings);
  CHECK(m.vocab == 50304);  // 50257 up to a multiple of 128 x tp 1
  CHECK(m.name.empty());  // no preset has this vocabulary: the scenario will name it
  const auto& p = r.job.plan;
  CHECK(p.tp == 1);
  CHECK(p.dp == 8);
  CHECK(p.global_batch == 32);  // micro-batch x dp
  CHECK(has(r.notes, "global batch 32 = micro-batch x dp (Megatron-LM's default)"));
  CHECK(p.schedule == schedule::ScheduleKind::OneFOneB);
  CHECK(p.recompute == workload::Recompute::None);
  CHECK(p.zero_stage == 0);
  CHECK(p.flash_attention);  // current Megatron-LM: Transformer Engine's fused attention
  CHECK(has(r.notes, "attention: fused (flash) kernels (Megatron-LM's default --transformer-impl)"));
  CHECK(p.fused_bias_dropout_add);
  CHECK_FALSE(p.overlap_grad_reduce);
  CHECK(p.bucket_bytes == 80e6);  // max(40M, 1M x 8) 16-bit gradients
  CHECK(r.ignored.empty());
}

TEST_CASE("megatron: vocabulary padded as Megatron-LM pads it") {
  struct Case {
    std::string flags;
    int tp, vocab;
  };
  const std::vector<Case> cases = {
      {"", 1, 50304},  // GPT-2: 50257 up to 128 x 1
      {"", 2, 50432},  // 197 x 256
      {"", 4, 50688},  // 99 x 512
      {"", 8, 51200},  // 50 x 1024
      {"--tokenizer-type NullTokenizer --vocab-size 51199 --make-vocab-size-divisible-by 1", 8, 51200},  // 51199 + 1
      {"--tokenizer-type NullTokenizer --vocab-size 1000", 1, 1024},
      {"--tokenizer-type SentencePieceTokenizer --vocab-size 32000", 4, 32256},  // 63 x 512
      {"--padded-vocab-size 51200", 1, 51200},
      {"--make-vocab-size-divisible-by 1024", 1, 51200},
  };
  for (const auto& c : cases) {
    CAPTURE(c.flags, c.tp);
    const auto r = megatron(kGpt + c.flags + " --tensor-model-parallel-size " + std::to_string(c.tp),
                            on("selene-dgx-a100", 1));
    CHECK(r.job.model.vocab == c.vocab);
  }
  // Without a size trainsim can see: an error naming --padded-vocab-size.
  CHECK(message_of([] {
          megatron("--num-layers 2 --hidden-size 64 --num-attention-heads 4 --seq-length 128 --micro-batch-size 1 "
                   "--fp16 --tokenizer-type HuggingFaceTokenizer --tokenizer-model x",
                   on("selene-dgx-a100", 1));
        }) == "<command line>:1:102: error: key '--padded-vocab-size': missing; the vocabulary size of --tokenizer-type "
              "HuggingFaceTokenizer is in its tokenizer files, which trainsim cannot see; expected --padded-vocab-size "
              "N (Megatron-LM prints it at start-up: 'padded vocab ... (new size: N)') or --vocab-size N");
}

TEST_CASE("megatron: recomputation flags, current and of 2021") {
  const auto opts = on("selene-dgx-a100", 1);
  const std::string pp2 = kGpt + "--pipeline-model-parallel-size 2 ";  // 12 layers per stage
  auto recompute = [&](const std::string& flags) { return megatron(pp2 + flags, opts).job.plan.recompute; };
  CHECK(recompute("--recompute-activations") == workload::Recompute::Selective);
  CHECK(recompute("--recompute-granularity selective --recompute-modules core_attn") == workload::Recompute::Selective);
  CHECK(recompute("--recompute-granularity full --recompute-method uniform --recompute-num-layers 1") ==
        workload::Recompute::Full);
  CHECK(recompute("--recompute-granularity full --recompute-method block --recompute-num-layers 12") ==
        workload::Recompute::Full);
  CHECK(recompute("--recompute-granularity full --recompute-method block --recompute-num-layers 0") ==
        workload::Recompute::None);
  CHECK(recompute("--checkpoint-activations") == workload::Recompute::Full);
  CHECK(recompute("--activations-checkpoint-method uniform") == workload::Recompute::Full);
  CHECK(error_key(pp2 + "--recompute-granularity full --recompute-method block --recompute-num-layers 6", opts) ==
        "--recompute-num-layers");
  CHECK(message_of([&] { megatron(pp2 + "--recompute-granularity full --recompute-method uniform --recompute-num-layers 2", opts); })
            .find("uniform recomputation of groups of 2 layers stores one input per group") != std::string::npos);
  CHECK(error_key(pp2 + "--recompute-granularity full", opts) == "--recompute-method");
  CHECK(error_key(pp2 + "--recompute-granularity selective --recompute-method uniform", opts) == "--recompute-method");
  CHECK(error_key(pp2 + "--recompute-modules mlp", opts) == "--recompute-modules");
}

TEST_CASE("megatron: which attention kernels ran") {
  const auto opts = on("selene-dgx-a100", 1);
  auto flash = [&](const std::string& flags) { return megatron(kGpt + flags, opts).job.plan.flash_attention; };
  CHECK(flash(""));                                             // Transformer Engine, Megatron-LM's default
  CHECK_FALSE(flash("--transformer-impl local"));               // Megatron-LM's own core attention
  CHECK(flash("--transformer-impl local --use-flash-attn"));
  CHECK_FALSE(flash("--attention-backend unfused"));
  CHECK(flash("--transformer-impl local --attention-backend flash"));
  CHECK_FALSE(flash("--use-legacy-models"));
  CHECK_FALSE(flash("--DDP-impl local"));  // a flag removed in 2023: no fused attention then
  const auto r = megatron(kGpt + "--DDP-impl local", opts);
  CHECK(has(r.notes, "attention: Megatron-LM's unfused core attention (--DDP-impl dates the script before 2023"));
  CHECK_FALSE(megatron(kGpt + "--no-bias-dropout-fusion", opts).job.plan.fused_bias_dropout_add);
}

TEST_CASE("megatron: data-parallel gradient reduction") {
  // PyTorch DDP (2021's --DDP-impl torch) overlaps 25 MiB buckets with the backward pass.
  const auto torch = megatron(kGpt + "--DDP-impl torch", on("selene-dgx-a100", 1)).job.plan;
  CHECK(torch.overlap_grad_reduce);
  CHECK(torch.bucket_bytes == 25.0 * 1024 * 1024);
  // Megatron-LM's bucket grows with the data-parallel size: max(40M, 1M x dp) gradients.
  const auto big = megatron(kGpt + "--overlap-grad-reduce", on("selene-dgx-a100", 8)).job.plan;  // dp 64
  CHECK(big.overlap_grad_reduce);
  CHECK(big.bucket_bytes == 64e6 * 2);
  CHECK(error_key(kGpt + "--DDP-impl torch --use-distributed-optimizer", on("selene-dgx-a100", 1)) == "--DDP-impl");
  CHECK(megatron(kGpt + "--no-scatter-gather-tensors-in-pipeline", on("selene-dgx-a100", 1)).job.plan.scatter_gather ==
        false);
}

TEST_CASE("megatron: the GPU count from trainsim's options or the launcher") {
  // Four GPUs on each of two nodes: ranks placed on those GPUs in Megatron-LM's order.
  const auto r = megatron("torchrun --nnodes 2 --nproc-per-node 4 pretrain_gpt.py " + kGpt, on("selene-dgx-a100"));
  CHECK(r.nodes == 2);
  CHECK(r.gpus_per_node == 4);
  CHECK(r.job.plan.dp == 8);
  CHECK(r.job.plan.order == RankOrder::Explicit);
  CHECK(r.job.plan.mapping == std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11});
  CHECK(megatron("torchrun --standalone --nproc-per-node gpu pretrain_gpt.py " + kGpt, on("selene-dgx-a100"))
            .job.plan.dp == 8);
  // torchrun's defaults: one node, one process.
  CHECK(megatron("torchrun pretrain_gpt.py " + kGpt, on("selene-dgx-a100")).job.plan.dp == 1);
  // The shell variable is fine when trainsim's option gives the count.
  CHECK(megatron("torchrun --nnodes $NNODES --nproc-per-node 8 pretrain_gpt.py " + kGpt, on("selene-dgx-a100", 2))
            .job.plan.dp == 16);
  CHECK(message_of([] { megatron("torchrun --nnodes $NNODES --nproc-per-node 8 pretrain_gpt.py " + kGpt, on("selene-dgx-a100")); }) ==
        "<command line>:1:19: error: key '$NNODES': '$NNODES' (torchrun --nnodes) is a shell variable the pasted text "
        "does not set; expected trainsim import's --nodes N, or the expanded command");
  CHECK(message_of([] { megatron("torchrun --nnodes 4 pretrain_gpt.py " + kGpt, on("selene-dgx-a100", 2)); }) ==
        "<command line>:1:19: error: key '4': torchrun --nnodes 4 but trainsim import's --nodes 2; expected one value "
        "(drop --nodes or fix the launcher)");
  CHECK(message_of([] { megatron(kGpt, on("selene-dgx-a100")); }) ==
        "<command line>:1:1: error: key '--nodes': missing; the flags do not say how many GPUs run the job; expected "
        "trainsim import's --nodes N (and --gpus-per-node G), or the launcher line (torchrun --nnodes N "
        "--nproc-per-node G ...)");
  CHECK(message_of([] { megatron(kGpt, on("selene-dgx-a100", 500)); }) ==
        "<command line>:1:1: error: key '--nodes': 500 nodes, but platform 'selene-dgx-a100' has 384; expected at most "
        "384");
  CHECK(error_key(kGpt, on("selene-dgx-a100", 1, 16)) == "--gpus-per-node");
  CHECK(error_key(kGpt + "--tensor-model-parallel-size 4", on("selene-dgx-a100", 1, 6)) ==
        "--tensor-model-parallel-size");
}

TEST_CASE("megatron: every refused flag is an error naming it, unless it has its harmless value") {
  const auto opts = on("selene-dgx-a100", 1);
  int refused = 0;
  for (const auto& f : megatron_flags()) {
    if (f.effect != Effect::Refused) continue;
    ++refused;
    const std::string name(f.name);
    const std::string value = f.arity == Arity::One ? " 7" : f.arity == Arity::Many ? " x y" : "";
    CAPTURE(name);
    const std::string message = message_of([&] { megatron(kGpt + name + value, opts); });
    CHECK(message.find("key '" + name + "': ") != std::string::npos);
    CHECK(message.find("; expected ") != std::string::npos);
    if (!f.harmless.empty()) CHECK(error_key(kGpt + name + " " + std::string(f.harmless), opts) == "<no error>");
  }
  CHECK(refused >= 40);
  // Several at once: the first is named, the others listed.
  CHECK(message_of([&] { megatron(kGpt + "--fp4-format e2m1 --window-size 4 --qk-layernorm", opts); }) ==
        "<command line>:1:141: error: key '--fp4-format': FP4 GEMMs are not modelled (trainsim times 16-bit kernels); "
        "expected no --fp4-format (also not modelled here: --window-size, --qk-layernorm)");
}

TEST_CASE("megatron: --context-parallel-size sets parallelism.cp and the data-parallel size") {
  const auto opts = on("selene-dgx-a100", 1);
  const auto job = megatron(kGpt + "--context-parallel-size 2", opts).job;
  CHECK(job.plan.cp == 2);
  CHECK(job.plan.gpus() == 8);
  CHECK(job.plan.dp == 8 / (job.plan.tp * job.plan.pp * 2));
}

TEST_CASE("megatron: every ignored flag is read with its values and listed") {
  const auto opts = on("selene-dgx-a100", 1);
  int ignored = 0;
  for (const auto& f : megatron_flags()) {
    if (f.effect != Effect::Ignored) continue;
    ++ignored;
    const std::string name(f.name);
    const std::string value = f.arity == Arity::One ? " 7" : f.arity == Arity::Many ? " a b" : "";
    CAPTURE(name);
    const auto r = megatron(kGpt + name + value, opts);
    CHECK(r.ignored == std::vector<std::string>{name});
  }
  CHECK(ignored >= 250);
}

TEST_CASE("megatron: layer traits must be one of trainsim's two families") {
  const auto opts = on("selene-dgx-a100", 1);
  CHECK(message_of([&] { megatron(kGpt + "--swiglu", opts); }) ==
        "<command line>:1:141: error: key '--swiglu': linear-layer biases (Megatron-LM's default) in a SwiGLU model "
        "are not modelled: trainsim's SwiGLU family (llama) has none; expected --disable-bias-linear");
  CHECK(error_key(kGpt + "--swiglu --disable-bias-linear", opts) == "--swiglu");  // dropout 0.1 by default
  CHECK(error_key(kGpt + "--swiglu --disable-bias-linear --hidden-dropout 0.1 --attention-dropout 0", opts) ==
        "--hidden-dropout");
  const auto llama = megatron(kGpt + "--swiglu --disable-bias-linear --hidden-dropout 0 --attention-dropout 0", opts);
  CHECK(llama.job.model.family == workload::Family::Llama);
  CHECK(llama.job.model.ffn_hidden == 6144);  // int(8 x 2304 / 3 / 64) x 64
  CHECK(has(llama.notes, "LayerNorm modelled as the llama family's RMSNorm"));
  CHECK(has(llama.notes, "learned absolute position embedding left out"));
  CHECK(error_key(kGpt + "--disable-bias-linear", opts) == "--disable-bias-linear");
  CHECK(error_key(kGpt + "--attention-dropout 0", opts) == "--attention-dropout");
  CHECK(error_key(kGpt + "--group-query-attention --num-query-groups 8", opts) == "--group-query-attention");
  // --kv-channels other than hidden / heads (2304 / 24 = 96) is the width of a head.
  CHECK(megatron(kGpt + "--kv-channels 64", opts).job.model.head_size == 64);
  CHECK(megatron(kGpt + "--kv-channels 96", opts).job.model.head_size == 0);
  CHECK(error_key(kLlama + "--add-qkv-bias", on("h100-400g", 1)) == "--add-qkv-bias");
  CHECK(has(megatron(kGpt + "--normalization RMSNorm", opts).notes, "RMSNorm modelled as the gpt family's LayerNorm"));
  CHECK(megatron(kGpt + "--num-query-groups 4", opts).ignored ==
        std::vector<std::string>{"--num-query-groups (no effect without --group-query-attention)"});
  CHECK(megatron(kLlama + "--group-query-attention", on("h100-400g", 1)).job.model.kv_heads == 8);
}

TEST_CASE("megatron: precision and optimizer") {
  const auto opts = on("selene-dgx-a100", 1);
  const std::string no_precision =
      "--num-layers 24 --hidden-size 2304 --num-attention-heads 24 --seq-length 2048 --micro-batch-size 4 "
      "--tokenizer-type GPT2BPETokenizer ";
  CHECK(message_of([&] { megatron(no_precision, opts); }) ==
        "<command line>:1:1: error: key '--bf16': missing: without --bf16 or --fp16 Megatron-LM trains in fp32, which "
        "trainsim does not model (it times 16-bit kernels); expected --bf16 or --fp16");
  CHECK(error_key(no_precision + "--bf16", opts) == "<no error>");  // fp32 gradient reduction (below)
  CHECK(error_key(no_precision + "--bf16 --grad-reduce-in-bf16", opts) == "<no error>");
  CHECK(error_key(no_precision + "--bf16 --grad-reduce-in-bf16 --fp16", opts) == "--bf16");
  CHECK(message_of([&] { megatron(no_precision + "--bf16 --grad-reduce-in-bf16", on("v100-edr-hetero", 1)); }).find(
            "the platform's V100-32GB has no bf16 tensor cores; expected --fp16") != std::string::npos);
  // Gradient precision (issue 14): fp32 with --bf16 unless --grad-reduce-in-bf16, and with
  // --accumulate-allreduce-grads-in-fp32; the buckets hold Megatron-LM's gradients at that size.
  CHECK(megatron(no_precision + "--bf16", opts).job.plan.grad_reduce_bytes == 4);
  CHECK(megatron(no_precision + "--bf16 --grad-reduce-in-bf16", opts).job.plan.grad_reduce_bytes == 2);
  CHECK(megatron(no_precision + "--fp16", opts).job.plan.grad_reduce_bytes == 2);
  const auto fp32 = megatron(no_precision + "--fp16 --accumulate-allreduce-grads-in-fp32 --ddp-bucket-size 1000", opts);
  CHECK(fp32.job.plan.grad_reduce_bytes == 4);
  CHECK(fp32.job.plan.bucket_bytes == 4000);
  CHECK(error_key(kGpt + "--optimizer sgd", opts) == "--optimizer");
  CHECK(error_key(kGpt + "--optimizer adam", opts) == "<no error>");
}

TEST_CASE("megatron: flags that are not flags, values that are not values") {
  const auto opts = on("selene-dgx-a100", 1);
  CHECK(message_of([&] { megatron("--num_layers 24", opts); }) ==
        "<command line>:1:1: error: key '--num_layers': not a Megatron-LM flag trainsim knows (did you mean "
        "'--num-layers'?); expected a flag of pretrain_gpt.py (docs/import.md lists them)");
  CHECK(message_of([&] { megatron("--fp16=true", opts); }) ==
        "<command line>:1:1: error: key '--fp16': takes no value, got 'true'");
  CHECK(message_of([&] { megatron("--fp16 --num-layers", opts); }) ==
        "<command line>:1:8: error: key '--num-layers': needs a value");
  CHECK(message_of([&] { megatron("--num-layers 24 stray", opts); }) ==
        "<command line>:1:17: error: key 'stray': 'stray' is not a flag and no flag takes it as a value (after "
        "--num-layers); expected --name [value] words");
  CHECK(message_of([&] { megatron(kGpt + "--hidden-dropout 1.5", opts); }) ==
        "<command line>:1:158: error: key '--hidden-dropout': '1.5' is out of range; expected a number from 0 to 1");
  CHECK(message_of([&] { megatron("--num-layers=0", opts); }) ==
        "<command line>:1:1: error: key '--num-layers': 0 is out of range; expected an integer from 1 to 1073741824");
  CHECK(error_key("--num-layers 24", opts) == "--hidden-size");  // the first missing required flag
  // Given twice: the last value wins, as in argparse, and the import says so.
  const auto twice = megatron(kGpt + "--micro-batch-size 2", opts);
  CHECK(twice.job.plan.micro_batch == 2);
  CHECK(has(twice.notes, "--micro-batch-size given twice: the last value (2) is used"));
}

TEST_CASE("megatron: pipeline stages, virtual stages and scripts") {
  const auto opts = on("selene-dgx-a100", 1);
  const auto uneven = megatron(kGpt + "--pipeline-model-parallel-size 4 --decoder-first-pipeline-num-layers 3 "
                                      "--decoder-last-pipeline-num-layers 5 --global-batch-size 32",
                               opts);
  CHECK(uneven.job.plan.layers_per_stage == std::vector<int>{3, 8, 8, 5});
  // Uneven first/last stages with virtual stages: each stage's layers split evenly over its
  // chunks, written per virtual stage in model order (issue 12).
  const auto uneven_vpp = megatron(kGpt + "--pipeline-model-parallel-size 4 --num-virtual-stages-per-pipeline-rank 2 "
                                          "--decoder-first-pipeline-num-layers 2 --decoder-last-pipeline-num-layers 2 "
                                          "--global-batch-size 32",
                                   opts);
  CHECK(uneven_vpp.job.plan.chunks == 2);
  CHECK(uneven_vpp.job.plan.layers_per_stage.empty());
  CHECK(uneven_vpp.job.plan.layers_per_virtual_stage == std::vector<int>{1, 5, 5, 1, 1, 5, 5, 1});
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 4 --num-virtual-stages-per-pipeline-rank 2 "
                         "--decoder-first-pipeline-num-layers 3 --global-batch-size 32",
                  opts) == "--decoder-first-pipeline-num-layers");  // 3 layers do not split into 2 chunks
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 4 --num-layers-per-virtual-pipeline-stage 3 "
                         "--decoder-first-pipeline-num-layers 2 --decoder-last-pipeline-num-layers 2 "
                         "--global-batch-size 32",
                  opts) == "--num-layers-per-virtual-pipeline-stage");
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 4 --num-layers-per-virtual-pipeline-stage 4", opts) ==
        "--num-layers-per-virtual-pipeline-stage");  // 6 layers per stage
  CHECK(error_key(kGpt + "--num-layers-per-virtual-pipeline-stage 4", opts) == "--num-layers-per-virtual-pipeline-stage");
  // 48 / (4 x 4) = 3 micro-batches per pipeline: not a multiple of pp 2 for interleaving.
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 2 --num-layers-per-virtual-pipeline-stage 6 "
                         "--global-batch-size 48",
                  opts) == "--global-batch-size");
  CHECK(megatron(kGpt + "--pipeline-model-parallel-size 2 --num-virtual-stages-per-pipeline-rank 3 "
                        "--global-batch-size 64",
                 opts)
            .job.plan.chunks == 3);
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 5", on("selene-dgx-a100", 5)) == "--num-layers");
  const auto sp = megatron(kGpt + "--sequence-parallel", opts);
  CHECK_FALSE(sp.job.plan.sequence_parallel);
  CHECK(has(sp.notes, "--sequence-parallel without tensor parallelism: off"));
  CHECK(message_of([&] { megatron("python pretrain_mamba.py " + kGpt, opts); }).find(
            "key 'pretrain_mamba.py': pretrain_mamba.py trains Mamba (state-space) layers, which are not modelled") !=
        std::string::npos);
  CHECK(error_key("python pretrain_bert.py " + kGpt, opts) == "pretrain_bert.py");
}

TEST_CASE("megatron import: --tp-comm-overlap and --overlap-param-gather set the overlaps (issue 12)") {
  const auto opts = on("selene-dgx-a100", 1);
  const std::string tp2 = "--tensor-model-parallel-size 2 --global-batch-size 16 ";
  const auto both = megatron(kGpt + tp2 + "--sequence-parallel --use-distributed-optimizer --overlap-param-gather "
                                          "--tp-comm-overlap",
                             opts);
  CHECK(both.job.plan.tp_comm_overlap);
  CHECK(both.job.plan.overlap_param_gather);
  const auto none = megatron(kGpt + tp2 + "--sequence-parallel --use-distributed-optimizer", opts);
  CHECK_FALSE(none.job.plan.tp_comm_overlap);
  CHECK_FALSE(none.job.plan.overlap_param_gather);
  // Megatron-LM's own assertions, at the flag.
  CHECK(error_key(kGpt + tp2 + "--tp-comm-overlap", opts) == "--tp-comm-overlap");
  CHECK(error_key(kGpt + tp2 + "--overlap-param-gather", opts) == "--overlap-param-gather");
}

TEST_CASE("megatron import: --standalone-embedding-stage gives the embedding a pipeline stage of its own") {
  const auto opts = on("selene-dgx-a100", 1);
  const std::string pp4 = kGpt + "--pipeline-model-parallel-size 4 --global-batch-size 16 ";
  const auto r = megatron(pp4 + "--standalone-embedding-stage", opts);
  CHECK(r.job.plan.layers_per_virtual_stage == std::vector<int>{0, 8, 8, 8});  // 24 layers over the 3 others
  CHECK(r.job.plan.chunks == 1);
  CHECK(training_job_text(r.job).find("  layers_per_virtual_stage: [0, 8, 8, 8]\n") != std::string::npos);
  CHECK(std::find(r.notes.begin(), r.notes.end(),
                  "--standalone-embedding-stage: the first pipeline stage holds the embedding alone, the others 8 "
                  "layers each") != r.notes.end());
  const Scenario mine =
      load_scenario_text(training_scenario_text({"imported", 1, opts.platform_file, {}}, r.job), "imported.yaml");
  const auto report = run_isolated_all({[&] { return run_job(mine, {}).report(); }}, 1);
  CHECK(report[0].find("iteration time") != std::string::npos);
  CHECK(message_of([&] { megatron(pp4 + "--standalone-embedding-stage --num-layers-per-virtual-pipeline-stage 2", opts); })
            .find("key '--standalone-embedding-stage': with virtual pipeline stages empties every virtual stage of "
                  "rank 0, which is not modelled") != std::string::npos);
  CHECK(error_key(kGpt + "--pipeline-model-parallel-size 8 --global-batch-size 16 --standalone-embedding-stage", opts) ==
        "--num-layers");  // 24 layers over 7 stages
  CHECK(error_key(pp4 + "--standalone-embedding-stage --account-for-loss-in-pipeline-split", opts) ==
        "--standalone-embedding-stage");
}
