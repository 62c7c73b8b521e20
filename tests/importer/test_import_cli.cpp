// The trainsim command's import and export: what a user sees (stdout, stderr, exit code, the
// files written or not), and export -> import -> run giving the same summary as the scenario.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jobs/load.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;

namespace {

using trainsim::testing::read_file;

struct Outcome {
  int code = -1;
  std::string out, err;
};

// A scratch folder per test case, removed at the end.
struct Scratch {
  fs::path dir;
  Scratch() {
    dir = fs::temp_directory_path() / ("trainsim-import-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

// Runs build/sim/trainsim with `args` from the repository root, capturing both streams.
Outcome run_trainsim(const std::vector<std::string>& args, const fs::path& scratch) {
  const fs::path out = scratch / ".stdout", err = scratch / ".stderr";
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) ::_exit(127);
    if (::chdir(TRAINSIM_SOURCE_DIR) != 0) ::_exit(127);
    std::vector<char*> argv;
    const std::string exe = std::string(TRAINSIM_BINARY_DIR) + "/sim/trainsim";
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  fs::remove(out);
  fs::remove(err);
  return o;
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

const std::vector<std::string> kGptFlags = {
    "--num-layers", "24", "--hidden-size", "2304", "--num-attention-heads", "24", "--seq-length", "2048",
    "--micro-batch-size", "2", "--global-batch-size", "64", "--tensor-model-parallel-size", "2",
    "--pipeline-model-parallel-size", "4", "--vocab-size", "51200", "--make-vocab-size-divisible-by", "1",
    "--transformer-impl", "local", "--data-path", "/data/x", "--lr", "1e-4", "--fp16"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("import cli: the scenario on stdout, ignored flags in one warning line, notes") {
  Scratch s;
  const auto o = run_trainsim(with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "4", "--"}, kGptFlags),
                          s.dir);
  REQUIRE(o.code == 0);
  CHECK(o.err.rfind("trainsim: warning: ignored 2 setting(s) that do not change the simulated iteration: "
                    "--data-path, --lr\n",
                    0) == 0);
  CHECK(o.err.find("trainsim: note: vocabulary 51200 (--vocab-size) padded to 51200") != std::string::npos);
  CHECK(o.out.find("\njob:\n  kind: training\n  model: gpt-1.7b\n  parallelism: {tp: 2, pp: 4, dp: 4}\n") !=
        std::string::npos);
  // Printed, the platform path is relative to the current folder: the text loads from there.
  const trainsim::Scenario sc = trainsim::load_scenario_text(o.out, std::string(TRAINSIM_SOURCE_DIR) + "/x.yaml");
  CHECK(sc.platform.name == "dgx-a100-16node");
  // --quiet drops the notes, never the warning.
  const auto q = run_trainsim(with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "4", "--quiet", "--"},
                               kGptFlags),
                          s.dir);
  CHECK(q.err == "trainsim: warning: ignored 2 setting(s) that do not change the simulated iteration: "
                 "--data-path, --lr\n");
}

TEST_CASE("import cli: --output writes once, refuses to replace without --force") {
  Scratch s;
  const std::string file = (s.dir / "sub" / "gpt.yaml").string();
  auto args = with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "4", "--quiet", "--output", file,
                    "--"},
                   kGptFlags);
  auto o = run_trainsim(args, s.dir);
  REQUIRE(o.code == 0);
  CHECK(o.out == "scenario written to " + file + "\n");
  const std::string written = read_file(file);
  CHECK(written.find("name: gpt\n") != std::string::npos);  // the output file's name
  CHECK(written.find("platform: ") != std::string::npos);
  CHECK(trainsim::load_scenario_file(file).name == "gpt");
  std::ofstream(file) << "mine\n";
  o = run_trainsim(args, s.dir);
  CHECK(o.code == 2);
  CHECK(o.err == file + ": error: key '--output': the file exists; pass --force to replace it\n");
  CHECK(read_file(file) == "mine\n");
  args.insert(args.begin() + 2, "--force");
  CHECK(run_trainsim(args, s.dir).code == 0);
  CHECK(read_file(file) == written);
  // Nothing else is left in the folder (no temporary files).
  CHECK(std::distance(fs::directory_iterator(s.dir / "sub"), fs::directory_iterator()) == 1);
}

TEST_CASE("import cli: bad flags and usage are one line, exit 2, nothing written") {
  Scratch s;
  const std::string file = (s.dir / "never.yaml").string();
  const std::vector<std::vector<std::string>> cases = {
      with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "4", "--output", file, "--"},
           with(kGptFlags, {"--num-experts", "8"})),
      with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "4", "--output", file, "--"},
           with(kGptFlags, {"--hiden-size", "8"})),
      with({"import", "megatron", "--platform", "dgx-a100-16nod", "--output", file, "--"}, kGptFlags),
      with({"import", "megatron", "--nodes", "4", "--output", file, "--"}, kGptFlags),
      {"import", "megatron", "--platform", "dgx-a100-16node", "--output", file},
      with({"import", "megatron", "--platform", "dgx-a100-16node", "--nodes", "x", "--"}, kGptFlags),
      {"import", "pytorch"},
      {"import", "torchtitan", "missing.toml", "--platform", "h100-400g", "--output", file},
      {"export", "megatron", "scenarios/nccl/dgx-a100-allreduce-1node.yaml", "--output", file},
      {"export", "megatron"},
  };
  for (const auto& args : cases) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    CAPTURE(joined);
    const auto o = run_trainsim(args, s.dir);
    CHECK(o.code == 2);
    CHECK(o.out.empty());
    CHECK(lines(o.err) == 1);
    CHECK_FALSE(fs::exists(file));
  }
  const auto platform = run_trainsim(with({"import", "megatron", "--platform", "dgx-a100-16nod", "--"}, kGptFlags), s.dir);
  CHECK(platform.err.find("no platform named 'dgx-a100-16nod' (did you mean 'dgx-a100-16node'?)") != std::string::npos);
  const auto kind = run_trainsim({"export", "megatron", "scenarios/nccl/dgx-a100-allreduce-1node.yaml"}, s.dir);
  CHECK(kind.err == "scenarios/nccl/dgx-a100-allreduce-1node.yaml: error: key 'job.kind': only training jobs have a "
                    "Megatron-LM launch; expected kind: training\n");
}

TEST_CASE("import cli: a pasted script as one argument") {
  Scratch s;
  const std::string script =
      "#!/bin/bash\nGPUS_PER_NODE=8\nNNODES=4\nexport CUDA_DEVICE_MAX_CONNECTIONS=1\n"
      "torchrun --nproc_per_node $GPUS_PER_NODE --nnodes $NNODES --node_rank $NODE_RANK \\\n"
      "    pretrain_gpt.py \\\n    --num-layers 24 --hidden-size 2304 --num-attention-heads 24 \\\n"
      "    --seq-length 2048 --micro-batch-size 2 --global-batch-size 64 \\\n"
      "    --tensor-model-parallel-size 2 --pipeline-model-parallel-size 4 \\\n"
      "    --padded-vocab-size 51200 --transformer-impl local --fp16   # trailing comment\n";
  const auto o = run_trainsim({"import", "megatron", "--platform", "dgx-a100-16node", "--quiet", "--", script}, s.dir);
  REQUIRE(o.code == 0);
  CHECK(o.err == "trainsim: warning: ignored 1 setting(s) that do not change the simulated iteration: "
                 "torchrun --node_rank $NODE_RANK\n");
  CHECK(o.out.find("  parallelism: {tp: 2, pp: 4, dp: 4}\n") != std::string::npos);
  // An error inside it points at the line and column of the pasted text.
  const auto bad = run_trainsim({"import", "megatron", "--platform", "dgx-a100-16node", "--",
                             "torchrun pretrain_gpt.py \\\n  --num-layers 24 \\\n  --qk-layernorm\n"},
                            s.dir);
  CHECK(bad.code == 2);
  CHECK(bad.err.rfind("<command line>:3:3: error: key '--qk-layernorm': ", 0) == 0);
}

TEST_CASE("export cli: export, import, run: the same summary as the scenario") {
  Scratch s;
  const std::string scenario = "scenarios/tutorial/gpt-1.7b-32gpu.yaml";
  const auto exported = run_trainsim({"export", "megatron", scenario}, s.dir);
  REQUIRE(exported.code == 0);
  CHECK(exported.out.rfind("# Megatron-LM launch of " + scenario + ": gpt-1.7b on 32 GPUs (4 nodes x 8 GPUs)", 0) == 0);
  const auto flags = run_trainsim({"export", "megatron", scenario, "--flags-only"}, s.dir);
  CHECK(lines(flags.out) == 1);
  CHECK(flags.out.rfind("--num-layers 24 --hidden-size 2304 ", 0) == 0);
  const std::string back = (s.dir / "back.yaml").string();
  const auto imported = run_trainsim({"import", "megatron", "--platform", "platforms/dgx-a100-16node.yaml", "--quiet",
                                  "--output", back, "--", exported.out},
                                 s.dir);
  REQUIRE(imported.code == 0);
  const auto a = run_trainsim({"run", scenario}, s.dir);
  const auto b = run_trainsim({"run", back}, s.dir);
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out.find("iteration time") != std::string::npos);
}

TEST_CASE("export cli: the Mixtral scenario exported, imported and run gives its summary") {
  Scratch s;
  const std::string scenario = "scenarios/moe/mixtral-8x7b-64gpu.yaml";
  const auto exported = run_trainsim({"export", "megatron", scenario}, s.dir);
  REQUIRE(exported.code == 0);
  CHECK(exported.out.find("    --num-experts 8 \\\n") != std::string::npos);
  CHECK(exported.out.find("    --moe-token-dispatcher-type alltoall \\\n") != std::string::npos);
  const std::string back = (s.dir / "back.yaml").string();
  const auto imported = run_trainsim(
      {"import", "megatron", "--platform", "h100-400g", "--quiet", "--output", back, "--", exported.out}, s.dir);
  REQUIRE(imported.code == 0);
  // The routing is seeded: both runs with the scenario's seed (an import writes seed 0).
  const auto a = run_trainsim({"run", scenario, "--seed", "1"}, s.dir);
  const auto b = run_trainsim({"run", back, "--seed", "1"}, s.dir);
  REQUIRE(a.code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out.find("iteration time") != std::string::npos);
}

TEST_CASE("import cli: torchtitan, with torchtitan's overrides") {
  Scratch s;
  const auto o = run_trainsim({"import", "torchtitan", "tests/importer/torchtitan/llama3_8b.toml", "--platform", "h100-400g",
                           "--nodes", "1", "--quiet", "--", "--activation_checkpoint.mode", "full",
                           "--training.mixed_precision_reduce", "bfloat16"},
                          s.dir);
  REQUIRE(o.code == 0);
  CHECK(o.out.find("name: llama3_8b\n") != std::string::npos);
  CHECK(o.out.find("  model: llama3-8b\n  parallelism: {tp: 1, pp: 1, dp: 8}\n") != std::string::npos);
  const auto refused = run_trainsim({"import", "torchtitan", "tests/importer/torchtitan/llama3_8b.toml", "--platform",
                                 "h100-400g", "--nodes", "1"},
                                s.dir);
  CHECK(refused.code == 2);
  CHECK(refused.err.rfind("tests/importer/torchtitan/llama3_8b.toml:55:23: error: key "
                          "'activation_checkpoint.selective_ac_option': ",
                          0) == 0);
}
