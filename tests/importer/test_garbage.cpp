// Whatever a user pastes, the importers answer with an InputError or a job, never a crash, a
// hang or another exception: seeded random texts built from shell syntax, flag pieces and
// numbers, and random TOML-like texts, through the whole import.
#include <catch2/catch.hpp>

#include <random>

#include "importer/torchtitan_import.hpp"
#include "importer_support.hpp"

using namespace trainsim;
using namespace trainsim::importer;

namespace {

const std::vector<std::string> kShellPieces = {
    " ", " ", "\n", "\\\n", "'", "\"", "\\", "$", "${", "}", "$((", "))", "(", ")", "`", ";", "&&", "|", "&", ">", "2>&1",
    "#", "=", "X", "TP", "$TP", "${TP:-8}", "$((TP*2))", "$((9223372036854775807*9))", "$((-(-(-1))))", "sh -c ",
    "bash -c ", "srun -N", "torchrun ", "--nnodes ", "--nproc-per-node ", "python -m torch.distributed.launch ",
    "pretrain_gpt.py ", "pretrain_mamba.py", "--num-layers ", "--hidden-size ", "--num-attention-heads ",
    "--seq-length ", "--micro-batch-size ", "--fp16 ", "--bf16 ", "--swiglu ", "--vocab-size ", "--tp-comm-overlap ",
    "--pipeline-model-parallel-size ", "--num-layers-per-virtual-pipeline-stage ", "--recompute-granularity ",
    "full ", "0", "1", "2", "8", "24", "-1", "1e9", "99999999999999999999", "abc", "=", "--", "-", "export TP=8\n",
    "--num-experts ", "--expert-model-parallel-size ", "--moe-layer-freq ", "--moe-router-num-groups ",
    "--moe-router-group-topk ", "--moe-token-dispatcher-type alltoall ", "--context-parallel-size ",
    "--cp-comm-type ", "--pipeline-model-parallel-layout ", "--account-for-embedding-in-pipeline-split ",
    "--multi-latent-attention ", "--fp8-format hybrid ", "[0]*3+[1]*21", "[0,1]", "*999999", "+", "[", "]",
    "Et*4|", "(t|)*3", "t*7L", "|", "E", "L", "t"};

const std::vector<std::string> kTomlPieces = {
    "[model]\n", "[parallelism]\n", "[training]\n", "[activation_checkpoint]\n", "[[x]]\n", "name = \"llama3\"\n",
    "flavor = \"8B\"\n", "flavor = \"70B\"\n", "data_parallel_shard_degree = ", "tensor_parallel_degree = ",
    "pipeline_parallel_degree = ", "local_batch_size = ", "mode = \"full\"\n", "mixed_precision_reduce = \"bfloat16\"\n",
    "-1\n", "0\n", "2\n", "8\n", "9223372036854775807\n", "1.5\n", "\"x\"\n", "[1, 2]\n", "{a = 1}\n", "true\n", "=",
    "\"", "'", "#", "\n", " ", "[", "]", "pipeline_parallel_schedule = \"Interleaved1F1B\"\n",
    "pipeline_parallel_layers_per_stage = ", "pipeline_parallel_split_points = [\"layers.8\"]\n",
    "context_parallel_degree = ", "context_parallel_rotate_method = \"alltoall\"\n"};

std::string random_text(std::mt19937_64& rng, const std::vector<std::string>& pieces) {
  std::uniform_int_distribution<size_t> count(0, 40), pick(0, pieces.size() - 1);
  std::string s;
  for (size_t i = count(rng); i > 0; --i) s += pieces[pick(rng)];
  return s;
}

}  // namespace

TEST_CASE("garbage: random pasted commands end in a job or one InputError") {
  const auto options = testing::on("selene-dgx-a100", 1);
  std::mt19937_64 rng(20251130);
  int jobs = 0, errors = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng, kShellPieces);
    CAPTURE(text);
    try {
      import_megatron(commands_from_text(text, {kCommandLineName, 1, 1}), options);
      ++jobs;
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
      ++errors;
    }
  }
  CHECK(jobs + errors == 3000);
  CHECK(errors > 0);
}

TEST_CASE("garbage: random TOML texts end in a job or one InputError") {
  const auto options = testing::on("h100-400g", 1);
  std::mt19937_64 rng(20251201);
  int answered = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = random_text(rng, kTomlPieces);
    CAPTURE(text);
    try {
      import_torchtitan_text(text, "g.toml", options);
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find("g.toml") == 0);
    }
    ++answered;
  }
  CHECK(answered == 3000);
}
