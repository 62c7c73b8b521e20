// Pasted launch commands split as a shell would (importer/command_line) and their launcher
// read (importer/launcher): words, positions, variables, launchers and their GPU counts.
#include <catch2/catch.hpp>

#include "importer/command_line.hpp"
#include "importer/launcher.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using namespace trainsim::importer;
using testing::message_of;

namespace {

std::vector<std::string> texts(const Command& c) {
  std::vector<std::string> out;
  for (const auto& w : c.words) out.push_back(w.text);
  return out;
}

std::vector<Command> paste(const std::string& text) { return commands_from_text(text, {kCommandLineName, 1, 1}); }

}  // namespace

TEST_CASE("command line: quotes, escapes, continuations and comments") {
  const auto cs = paste("torchrun --nproc_per_node 8 \\\n  pretrain_gpt.py --data-path 'a b' \"c \\\"d\\\"\" e\\ f # comment\n");
  REQUIRE(cs.size() == 1);
  CHECK(texts(cs[0]) == std::vector<std::string>{"torchrun", "--nproc_per_node", "8", "pretrain_gpt.py", "--data-path",
                                                 "a b", "c \"d\"", "e f"});
  // Positions: line and column of each word's first character.
  CHECK(cs[0].words[3].where.line == 2);
  CHECK(cs[0].words[3].where.column == 3);
  CHECK(cs[0].words[0].where.file == kCommandLineName);
}

TEST_CASE("command line: variables the text sets are expanded, unquoted expansions split into words") {
  const auto cs = paste(
      "GPUS_PER_NODE=8\nexport NNODES=2\nTP=$((GPUS_PER_NODE / 2))\n"
      "DISTRIBUTED_ARGS=\"--nproc_per_node $GPUS_PER_NODE --nnodes ${NNODES}\"\n"
      "python -m torch.distributed.launch $DISTRIBUTED_ARGS pretrain_gpt.py --tensor-model-parallel-size $TP "
      "--save \"$CHECKPOINT_PATH\" --seq-length ${SEQ:-2048}");
  REQUIRE(cs.size() == 1);
  CHECK(texts(cs[0]) == std::vector<std::string>{"python", "-m", "torch.distributed.launch", "--nproc_per_node", "8",
                                                 "--nnodes", "2", "pretrain_gpt.py", "--tensor-model-parallel-size",
                                                 "4", "--save", "$CHECKPOINT_PATH", "--seq-length", "2048"});
  CHECK(cs[0].words[11].unexpanded);  // never set by the text
  CHECK_FALSE(cs[0].words[9].unexpanded);
}

TEST_CASE("command line: commands are separated: prefix assignments and redirections kept apart") {
  const auto cs = paste("mkdir -p logs; CUDA_DEVICE_MAX_CONNECTIONS=1 torchrun a.py --x 1 > logs/out.txt 2>&1 && echo done");
  REQUIRE(cs.size() == 3);
  CHECK(texts(cs[0]) == std::vector<std::string>{"mkdir", "-p", "logs"});
  REQUIRE(cs[1].env.size() == 1);
  CHECK(cs[1].env[0].text == "CUDA_DEVICE_MAX_CONNECTIONS=1");
  CHECK(texts(cs[1]) == std::vector<std::string>{"torchrun", "a.py", "--x", "1"});
  CHECK(texts(cs[2]) == std::vector<std::string>{"echo", "done"});
}

TEST_CASE("command line: command substitutions stay unexpanded: an unclosed quote is an error at the quote") {
  const auto cs = paste("python train.py --save $(date +%s) --load `pwd`");
  CHECK(cs[0].words[3].text == "$(date +%s)");
  CHECK(cs[0].words[3].unexpanded);
  CHECK(cs[0].words[5].unexpanded);
  CHECK(message_of([] { paste("python a.py --data-path 'oops"); }) ==
        "<command line>:1:25: error: this single quote is never closed; paste the whole command");
}

TEST_CASE("command line: words from the shell keep their columns on one line") {
  const auto cs = commands_from_words({"A=1", "torchrun", "--nnodes", "2"});
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].env[0].text == "A=1");
  CHECK(cs[0].words[2].where.column == 23);
  CHECK(join_words(cs[0].words) == "torchrun --nnodes 2");
  CHECK(join_words({Word{"a b", {}, false}, Word{"it's", {}, false}}) == "'a b' 'it'\\''s'");
}

TEST_CASE("launcher: torchrun, dashes or underscores, counts and ignored options") {
  const auto l = parse_launch(paste("torchrun --nnodes=4 --nproc_per_node 8 --rdzv-endpoint host:29500 "
                                    "pretrain_gpt.py --num-layers 2"));
  CHECK(l.launcher == "torchrun");
  REQUIRE(l.nodes);
  CHECK(*l.nodes->value == 4);
  CHECK(*l.gpus_per_node->value == 8);
  REQUIRE(l.script);
  CHECK(l.script->text == "pretrain_gpt.py");
  REQUIRE(l.flags.size() == 2);
  CHECK(l.ignored == std::vector<std::string>{"torchrun --rdzv-endpoint host:29500"});
  // Elastic ranges with one size are a size; "gpu" means every GPU of the node.
  const auto e = parse_launch(paste("torchrun --nnodes 2:2 --nproc-per-node gpu pretrain_gpt.py"));
  CHECK(*e.nodes->value == 2);
  CHECK(e.per_node_is_all_gpus);
  CHECK(message_of([] { parse_launch(paste("torchrun --nnodes 1:4 pretrain_gpt.py")); }) ==
        "<command line>:1:19: error: key 'torchrun --nnodes': 1:4 is a range of nodes, but trainsim simulates one "
        "size; expected one count (or trainsim import's --nodes N)");
  CHECK(message_of([] { parse_launch(paste("torchrun --nnode 2 pretrain_gpt.py")); }) ==
        "<command line>:1:10: error: key '--nnode': unknown torchrun option '--nnode' (did you mean '--nnodes'?); "
        "expected its options (--nnodes, --nproc-per-node, ...) then the training script");
}

TEST_CASE("launcher: a count that is a variable the text does not set is kept as unknown") {
  const auto l = parse_launch(paste("torchrun --nnodes $NNODES --nproc-per-node 8 pretrain_gpt.py"));
  REQUIRE(l.nodes);
  CHECK_FALSE(l.nodes->value);
  CHECK(l.nodes->text == "$NNODES");
}

TEST_CASE("launcher: srun around sh -c around python (Megatron-LM's examples/sc21/SRUN.sh)") {
  const auto l = parse_launch(paste(
      "srun -l -N4 --ntasks-per-node=8 --container-image \"nvcr.io#nvidia/pytorch:20.12-py3\" "
      "--container-mounts \"/a:/a,/b:/b\" --output=/logs/%x_%j.log sh -c \"python -u /megatron/pretrain_gpt.py "
      "--num-layers 24 --fp16\""));
  CHECK(l.launcher == "srun");
  CHECK(*l.nodes->value == 4);
  CHECK(*l.gpus_per_node->value == 8);
  REQUIRE(l.script);
  CHECK(l.script->text == "/megatron/pretrain_gpt.py");
  REQUIRE(l.flags.size() == 3);
  CHECK(l.flags[0].text == "--num-layers");
  // srun running torchrun: torchrun's per-node count wins, srun's node count is kept.
  const auto t = parse_launch(paste("srun --nodes 2 --ntasks-per-node 1 torchrun --nproc-per-node 8 pretrain_gpt.py"));
  CHECK(t.launcher == "torchrun");
  CHECK(*t.nodes->value == 2);
  CHECK(*t.gpus_per_node->value == 8);
}

TEST_CASE("launcher: bare flags, python scripts, several commands and unknown launchers") {
  const auto bare = parse_launch(commands_from_words({"--num-layers", "2"}));
  CHECK(bare.launcher.empty());
  CHECK_FALSE(bare.script);
  CHECK(bare.flags.size() == 2);
  const auto many = parse_launch(paste("cd /work\nexport X=1\npython pretrain_gpt.py --num-layers 2\necho bye"));
  CHECK(many.other_commands == std::vector<std::string>{"cd /work", "echo bye"});
  CHECK(message_of([] { parse_launch(paste("python a.py\npython pretrain_gpt.py --x\ntorchrun pretrain_gpt.py")); }) ==
        "<command line>:3:1: error: the pasted text starts training more than once (lines 2 and 3); paste one "
        "training command");
  CHECK(message_of([] { parse_launch(paste("deepspeed pretrain_gpt.py --num-layers 2")); }).find(
            "key 'deepspeed': 'deepspeed' is not a launcher trainsim reads") != std::string::npos);
  CHECK(message_of([] { parse_launch(paste("python -m torch.distributed.elastic pretrain_gpt.py")); }) ==
        "<command line>:1:11: error: key 'torch.distributed.elastic': python -m torch.distributed.elastic is not a "
        "launcher trainsim reads; expected torch.distributed.run or torch.distributed.launch");
}
