#pragma once
// Shared by the importer tests: shipped platforms, and an import of a pasted Megatron-LM line.
#include <fstream>
#include <sstream>
#include <string>

#include "importer/command_line.hpp"
#include "importer/megatron_import.hpp"
#include "jobs/load.hpp"
#include "support/input_error.hpp"

namespace trainsim::testing {

inline PlatformSpec shipped_platform(const std::string& name) {
  return load_platform_file(std::string(TRAINSIM_SOURCE_DIR) + "/platforms/" + name + ".yaml");
}

inline importer::ImportOptions on(const std::string& platform, int nodes = 0, int gpus_per_node = 0) {
  importer::ImportOptions o;
  o.platform = shipped_platform(platform);
  o.platform_file = std::string(TRAINSIM_SOURCE_DIR) + "/platforms/" + platform + ".yaml";
  if (nodes) o.nodes = nodes;
  if (gpus_per_node) o.gpus_per_node = gpus_per_node;
  return o;
}

inline importer::ImportResult megatron(const std::string& line, const importer::ImportOptions& options) {
  return importer::import_megatron(importer::commands_from_text(line, {importer::kCommandLineName, 1, 1}), options);
}

// A file of tests/importer/ (sc21/CONFIG.sh, torchtitan/llama3_8b.toml).
inline std::string fixture(const std::string& relative) {
  std::ifstream in(std::string(TRAINSIM_SOURCE_DIR) + "/tests/importer/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small GPT that every test line starts from (GPT-2 BPE vocabulary, fp16).
inline const std::string kGpt =
    "--num-layers 24 --hidden-size 2304 --num-attention-heads 24 --seq-length 2048 --micro-batch-size 4 "
    "--tokenizer-type GPT2BPETokenizer --fp16 ";

// A Llama-3-8B-shaped model as current Megatron-LM trains it.
inline const std::string kLlama =
    "--num-layers 32 --hidden-size 4096 --ffn-hidden-size 14336 --num-attention-heads 32 --group-query-attention "
    "--num-query-groups 8 --seq-length 8192 --max-position-embeddings 8192 --swiglu --normalization RMSNorm "
    "--position-embedding-type rope --disable-bias-linear --hidden-dropout 0 --attention-dropout 0 "
    "--untie-embeddings-and-output-weights --tokenizer-type HuggingFaceTokenizer --tokenizer-model meta-llama/Llama-3 "
    "--padded-vocab-size 128256 --micro-batch-size 1 --bf16 --grad-reduce-in-bf16 ";

}  // namespace trainsim::testing
