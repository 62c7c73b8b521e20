#pragma once
// The arithmetic of one training step, op by op: FLOPs and HBM bytes of every kernel of a
// transformer layer (and of the embedding, LM head and optimizer) on one tensor-parallel rank.
// Formulas and sources: docs/model.md. No timing here; compute_model.hpp turns ops into seconds.
#include <cstdint>
#include <string_view>
#include <vector>

#include "workload/model_spec.hpp"

namespace trainsim::workload {

enum class Pass {
  Forward,
  BackwardInput,   // activation gradients (zero-bubble "B")
  BackwardWeight,  // weight gradients (zero-bubble "W")
};

enum class OpKind {
  Gemm,
  Attention,    // fused (flash) attention kernel
  BatchedGemm,  // per-head GEMMs of unfused attention (small inner dimension: bound by traffic)
  Memory,
  // One grouped-GEMM kernel over several experts' GEMMs (Megatron-Core's --moe-grouped-gemm):
  // `gemm` is the single GEMM whose efficiency it runs at and whose 2mnk FLOPs it executes
  // (row tiles padded), `flops` the useful FLOPs (moe_ops.hpp, docs/model.md).
  GroupedGemm,
};

// Number format of a GEMM's operands. FP8 (E4M3/E5M2, DeepSeek-V3 and Transformer Engine) reads
// 1-byte operands, writes 16-bit outputs and runs at the GPU's FP8 peak (compute_model.hpp).
enum class Precision { Bf16, Fp8 };

// C[m,n] = A[m,k] B[k,n]; FLOPs 2mnk.
struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0;
};

struct Op {
  std::string_view name;  // e.g. "qkv", "attention", "mlp_down.dgrad"
  OpKind kind = OpKind::Memory;
  Pass pass = Pass::Forward;
  double flops = 0;  // executed FLOPs (causal attention counts the half it computes)
  double bytes = 0;  // HBM bytes read + written
  GemmShape gemm;    // when kind == Gemm, BatchedGemm or GroupedGemm
  bool core_attention = false;  // part of softmax(QK^T)V: what selective recomputation re-runs
  Precision precision = Precision::Bf16;  // GEMMs: the operands' format (its peak FLOP/s)
};

// One layer's shard: b sequences of the model's seq_len on one rank of a tp-wide group.
struct LayerShard {
  int micro_batch = 1;
  int tp = 1;
  bool seq_parallel = false;  // norms, dropout and residuals on s/tp tokens (Korthikanti 2022)
  // Flash attention (one fused kernel, Dao 2022) or the unfused core attention of Megatron-LM
  // before 2023: score GEMM, fused scale-mask-softmax, dropout, context GEMM, with the s x s
  // score and probability matrices written to and read from HBM.
  bool flash_attention = true;
  // GPT: Megatron-LM's fused bias-dropout-add kernel (--bias-dropout-fusion, on by default in
  // Megatron): one pass reads x and the residual and writes the sum and the mask (7 B/element
  // instead of 11 for separate dropout and add); its backward reads dy and the mask, writes dx.
  bool fused_bias_dropout_add = false;
  // Context parallelism: this rank holds seq_len / cp tokens of each sequence (two chunks of
  // seq_len / 2cp, i and 2cp-1-i, so causal work balances) and attends them to the keys and
  // values of the whole sequence (flash attention only; docs/training.md).
  int cp = 1;
  // Operands of the linear layers' GEMMs (projections, MLP, experts); the router, the logits and
  // the attention core stay 16-bit (DeepSeek-V3 Sec. 3.3.1; Transformer Engine's FP8 recipe).
  Precision gemm_precision = Precision::Bf16;
};

// Every op of one dense layer (attention block, then a dense FFN of width ffn_hidden: also a MoE
// model's first dense_layers layers), all three passes, in execution order within each pass.
// Throws InputError when tp does not divide heads, ffn_hidden or (with sequence parallelism)
// seq_len.
std::vector<Op> layer_ops(const ModelSpec& model, const LayerShard& shard);
// The attention block alone (input norm, projections, core attention, output projection,
// residual; MHA/GQA or MLA), all three passes.
std::vector<Op> attention_ops(const ModelSpec& model, const LayerShard& shard);
// A dense FFN block of width `width` (its norm, MLP, residual), all three passes, the width
// split over tp like Megatron's MLP. With `shared_experts` the ops are named shared.mlp_up, ...
// and the norm and residual are left out: a MoE layer's shared experts, which read the MoE
// block's norm output and add into its combine (moe_ops.hpp).
std::vector<Op> ffn_ops(const ModelSpec& model, const LayerShard& shard, int width, bool shared_experts = false);

// Input embedding (vocabulary split over tp, as Megatron's VocabParallelEmbedding).
std::vector<Op> embedding_ops(const ModelSpec& model, const LayerShard& shard);
// Final norm, logits GEMM over V/tp columns and cross entropy on them.
std::vector<Op> lm_head_ops(const ModelSpec& model, const LayerShard& shard);

// Bytes of HBM traffic per parameter of one mixed-precision AdamW step: read fp32 master
// weight, fp32 gradient, m, v (16 B); write master, m, v (12 B) and the bf16 copy (2 B).
inline constexpr double kAdamBytesPerParam = 30.0;
// The same step on pure fp32 parameters (torch.optim.AdamW fused, as in optimizer.csv): 28 B.
inline constexpr double kAdamFp32BytesPerParam = 28.0;

double total_flops(const std::vector<Op>& ops, Pass pass);
double total_bytes(const std::vector<Op>& ops, Pass pass);

// Model FLOPs of one training iteration (Megatron's definition: dense attention, GEMMs only).
// For GPT this equals Narayanan et al. (SC21) eq.: 96 B s l h^2 (1 + s/6h + V/16lh) when
// recomputation is counted, 72 B s l h^2 (1 + s/6h + V/12lh) when not. For Llama the same
// derivation applied to its GEMMs (GQA, SwiGLU, untied head).
double megatron_flops_per_iteration(const ModelSpec& model, std::int64_t global_batch,
                                    bool recompute_counted);
// Forward model FLOPs of one layer for b sequences (all tp ranks together): 2 x matrix
// parameters x tokens + 4 b s^2 h. Dense models (InternalError on a MoE model).
double layer_forward_model_flops(const ModelSpec& model, int micro_batch);

// Widths (elements per token) of K and of V on one tensor-parallel rank, as the attention kernel
// reads them and context parallelism exchanges them. GQA/MHA: max(1, kv_heads / tp) heads of
// head_dim each (a KV head is replicated once tp exceeds kv_heads). MLA: the up-projected keys
// (qk_head_dim + qk_rope_head_dim per head, the shared rotary part copied to every head) and
// values (v_head_dim) of heads / tp heads, not the compressed latent: Megatron-Core's MLA hands
// per-head K and V to TransformerEngine's attention, whose context parallelism moves them.
struct KvWidths {
  double k = 0, v = 0;
};
KvWidths kv_widths_per_rank(const ModelSpec& model, int tp);

// Bytes per element of a GEMM operand in `p` (outputs are always 16-bit).
double operand_bytes(Precision p);

}  // namespace trainsim::workload
