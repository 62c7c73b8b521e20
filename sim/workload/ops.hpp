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
};

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
  GemmShape gemm;    // when kind == Gemm or BatchedGemm
  bool core_attention = false;  // part of softmax(QK^T)V: what selective recomputation re-runs
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
};

// Every op of one layer, all three passes, in execution order within each pass. Throws
// InputError when tp does not divide heads, ffn_hidden or (with sequence parallelism) seq_len.
std::vector<Op> layer_ops(const ModelSpec& model, const LayerShard& shard);

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
// parameters x tokens + 4 b s^2 h.
double layer_forward_model_flops(const ModelSpec& model, int micro_batch);

}  // namespace trainsim::workload
