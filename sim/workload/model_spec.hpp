#pragma once
// Shape of a decoder-only transformer: the numbers every FLOP, byte and memory formula of the
// workload model starts from. Plain value type; presets live in presets.hpp.
#include <string>
#include <utility>
#include <vector>

namespace trainsim::workload {

enum class Family {
  Gpt,    // LayerNorm, multi-head attention with biases, 4h GELU MLP, dropout (Megatron GPT)
  Llama,  // RMSNorm, grouped-query attention without biases, SwiGLU MLP, no dropout (Llama 3)
};

// Every family with the name scenario files write ("gpt", "llama"), in the enum's order: the
// one table the parser, the importers' scenario text and messages read.
const std::vector<std::pair<std::string, Family>>& family_names();
const std::string& family_name(Family family);

struct ModelSpec {
  std::string name;
  Family family = Family::Gpt;
  int layers = 0;
  int hidden = 0;      // h
  int heads = 0;       // a (query heads)
  int kv_heads = 0;    // key/value heads (= heads for GPT; 8 for Llama 3)
  int ffn_hidden = 0;  // f: 4h for GPT; SwiGLU inner width for Llama
  int seq_len = 0;     // s
  int vocab = 0;       // V
  bool tied_embeddings = true;  // LM head shares the input embedding matrix

  int head_dim() const { return hidden / heads; }
  int kv_dim() const { return kv_heads * head_dim(); }  // width of K (and of V)
};

// Throws InputError (key names the field) when a shape is unusable: non-positive sizes, heads
// not dividing hidden, kv_heads not dividing heads.
void validate(const ModelSpec& model);

// Exact parameter counts (docs/model.md, "Parameters").
double layer_parameters(const ModelSpec& model);       // one transformer layer
double embedding_parameters(const ModelSpec& model);   // token (+ learned position for GPT)
double lm_head_parameters(const ModelSpec& model);     // final norm + output matrix if untied
double total_parameters(const ModelSpec& model);
// Parameters that are GEMM weights in one layer (what 2 FLOPs per parameter per token apply to).
double layer_matrix_parameters(const ModelSpec& model);

}  // namespace trainsim::workload
