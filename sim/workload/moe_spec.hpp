#pragma once
// Shape of a mixture-of-experts FFN and of multi-head latent attention: the two parts of a
// sparse model that a dense ModelSpec does not describe. Plain values, members of ModelSpec;
// formulas and sources in docs/model.md ("Mixture of experts", "Multi-head latent attention").
namespace trainsim::workload {

// How the router turns logits into the weights of the chosen experts: softmax over all experts
// (Mixtral, Qwen3, Megatron's default) or a sigmoid per expert normalised over the chosen ones
// (DeepSeek-V3). Both cost the same per element here; the choice is recorded for reports.
enum class RouterScore { Softmax, Sigmoid };

// The FFN of MoE layers: `experts` routed experts of width `expert_ffn_hidden`, `top_k` of them
// per token, plus optional shared experts every token goes through. Names follow Megatron-Core
// (--num-experts, --moe-router-topk, --moe-ffn-hidden-size, --moe-shared-expert-intermediate-size,
// --moe-expert-capacity-factor).
struct MoeSpec {
  int experts = 0;            // E routed experts per MoE layer; 0: a dense model
  int top_k = 0;              // k experts per token
  int expert_ffn_hidden = 0;  // f_e, each routed expert's FFN width
  // Total width of the shared experts (Megatron's convention: n shared experts of width f are one
  // FFN of width n f, the same parameters and FLOPs); 0: none.
  int shared_ffn_hidden = 0;
  // The first `dense_layers` layers have a dense FFN of width ModelSpec::ffn_hidden (DeepSeek-V3:
  // 3); the rest are MoE layers.
  int dense_layers = 0;
  // Tokens an expert accepts per source rank and micro-batch: ceil(capacity_factor x T k / E)
  // for T tokens routed by that rank (Megatron-Core's rule); the excess is dropped. 0: dropless.
  double capacity_factor = 0;
  RouterScore score = RouterScore::Softmax;

  bool enabled() const { return experts > 0; }
};

// Multi-head latent attention (DeepSeek-V2/V3): queries and keys/values pass through low-rank
// latent projections; each head's query and key have a non-rotary part and a rotary part (the
// rotary key part shared by all heads), values their own width.
struct MlaSpec {
  int q_lora_rank = 0;       // query latent width; 0: queries projected from the hidden state directly
  int kv_lora_rank = 0;      // key/value latent width; > 0 turns MLA on
  int qk_head_dim = 0;       // non-rotary query/key width per head (DeepSeek: qk_nope_head_dim)
  int qk_rope_head_dim = 0;  // rotary query/key width per head
  int v_head_dim = 0;        // value width per head

  bool enabled() const { return kv_lora_rank > 0; }
};

}  // namespace trainsim::workload
