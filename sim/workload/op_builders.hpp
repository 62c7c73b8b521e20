#pragma once
// Building blocks of the op lists (ops.cpp, moe_ops.cpp): one GEMM, one memory-bound kernel, and
// the three GEMMs of a linear layer with their FP8 casts. Internal to workload/.
#include <string_view>
#include <vector>

#include "workload/ops.hpp"

namespace trainsim::workload::build {

inline constexpr double kBf16 = 2.0;  // bytes per activation / weight element

// C[m,n] = A[m,k] B[k,n]: FLOPs 2mnk; bytes: A and B in the operand format, C in bf16.
Op gemm(std::string_view name, Pass pass, double m, double n, double k, Precision p = Precision::Bf16);
Op memory(std::string_view name, Pass pass, double bytes);

struct LinearNames {
  std::string_view fwd, dgrad, wgrad;
  std::string_view cast, dgrad_cast;  // FP8: quantisation of the activation operand, forward and backward
};

// y = x W with x: [tokens, k], W: [k, n]. Forward y (tokens, n, k); activation gradient
// dx = dy W^T (tokens, k, n); weight gradient dW = x^T dy (k, n, tokens).
struct Linear {
  LinearNames names;
  double tokens = 0, n = 0, k = 0;
  double bias_bytes = 0;  // GPT biases: the weight-gradient epilogue also reduces dy over tokens
  Precision precision = Precision::Bf16;
};

// FP8 (docs/model.md): before the GEMM, a memory op reads the bf16 activation operand and writes
// its 1-byte copy (3 B per element): x in forward, dy in backward; the weight-gradient GEMM
// reuses both. Weights are cast once per iteration (not per micro-batch): not itemised.
void push_forward(std::vector<Op>& ops, const Linear& l);
void push_backward(std::vector<Op>& ops, const Linear& l);  // dgrad, then wgrad

// Elementwise traffic in bf16 (eager kernels, one read/write per tensor; docs/model.md) on Tn
// tokens (T / t with sequence parallelism). Norm: read x, write y (4 B/element); backward reads
// x and dy, writes dx (6).
inline double norm_fwd_bytes(double Tn, double width) { return 4 * Tn * width; }
inline double norm_bwd_bytes(double Tn, double width) { return 6 * Tn * width; }
// The residual after a block. GPT: dropout (read x, write y and a 1-byte mask) then the add (read
// 2, write 1) = 11 B/element, or Megatron's fused bias-dropout-add: 7 forward, 5 backward.
// Llama: the add only (read 2, write 1) = 6; its backward adds the two gradients: 6.
double residual_bytes(const ModelSpec& model, const LayerShard& shard, double Tn, Pass pass);

}  // namespace trainsim::workload::build
