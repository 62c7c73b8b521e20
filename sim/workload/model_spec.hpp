#pragma once
// Shape of a decoder-only transformer: the numbers every FLOP, byte and memory formula of the
// workload model starts from. Plain value type; presets live in presets.hpp.
#include <string>
#include <utility>
#include <vector>

#include "workload/moe_spec.hpp"

namespace trainsim::workload {

// The style of a layer's blocks (norms, biases, activations, attention kind). A sparse model is
// one of these with `ModelSpec::moe` set (scenario family `moe`, docs/model.md).
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
  int ffn_hidden = 0;  // f: 4h for GPT; SwiGLU inner width for Llama; dense layers' width in MoE models
  int seq_len = 0;     // s
  int vocab = 0;       // V
  bool tied_embeddings = true;  // LM head shares the input embedding matrix
  // Width of one attention head when it is not hidden / heads (Qwen3-30B-A3B: 128 with hidden
  // 2048 and 32 heads; Megatron's --kv-channels); 0: hidden / heads.
  int head_size = 0;
  MoeSpec moe{};  // experts > 0: MoE FFN layers (after moe.dense_layers dense ones)
  MlaSpec mla{};  // kv_lora_rank > 0: multi-head latent attention instead of MHA/GQA

  int head_dim() const { return head_size > 0 ? head_size : hidden / heads; }
  int kv_dim() const { return kv_heads * head_dim(); }  // width of K (and of V)
  int q_dim() const { return heads * head_dim(); }      // width of Q and of the attention output
  bool is_moe() const { return moe.enabled(); }
  // Layer index (0-based) has a MoE FFN.
  bool is_moe_layer(int layer) const { return moe.enabled() && layer >= moe.dense_layers; }
  int moe_layers() const { return moe.enabled() ? layers - moe.dense_layers : 0; }
};

// Throws InputError (key names the field) when a shape is unusable: non-positive sizes, heads
// not dividing hidden (without head_size), kv_heads not dividing heads, MoE or MLA fields out of
// range (top_k above experts, no MoE layer left after the dense ones, ...).
void validate(const ModelSpec& model);

// Exact parameter counts (docs/model.md, "Parameters").
// Attention block of one layer: its norm, projections (MHA/GQA or MLA) and GPT's biases.
double attention_parameters(const ModelSpec& model);
// FFN block of layer `layer`: its norm and the dense FFN, or the router, every routed expert and
// the shared experts of a MoE layer.
double ffn_parameters(const ModelSpec& model, int layer);
double layer_parameters(const ModelSpec& model, int layer);
// One transformer layer of a dense model (every layer is the same). InternalError on a MoE
// model, whose layers differ: callers must ask per layer.
double layer_parameters(const ModelSpec& model);
double embedding_parameters(const ModelSpec& model);   // token (+ learned position for GPT)
double lm_head_parameters(const ModelSpec& model);     // final norm + output matrix if untied
double total_parameters(const ModelSpec& model);
// Parameters a token passes through: every dense part, the router, the shared experts and top_k
// routed experts per MoE layer (the "activated" count of MoE papers); total_parameters for dense.
double active_parameters(const ModelSpec& model);

// GEMM weights (what 2 FLOPs per parameter per token apply to).
double attention_matrix_parameters(const ModelSpec& model);  // per layer
// Dense model, one layer (InternalError on a MoE model, as layer_parameters).
double layer_matrix_parameters(const ModelSpec& model);
// FFN matrices: 2 (GPT: up, down) or 3 (SwiGLU: gate, up, down) of h x width.
int ffn_matrices(const ModelSpec& model);
// One routed expert's weights: ffn_matrices x h x expert_ffn_hidden (experts have no biases).
double expert_parameters(const ModelSpec& model);
// Router weights of one MoE layer: h x experts.
double router_parameters(const ModelSpec& model);

}  // namespace trainsim::workload
