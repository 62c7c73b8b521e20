#pragma once
// Turns ops into seconds on one GPU: a roofline per op whose GEMM efficiency comes from H200
// measurements (gemm.csv, interpolated in log space), memory-bound ops at the measured copy
// bandwidth, flash attention at a global efficiency, plus a host issue floor per pass.
// Other GPUs: same efficiencies, their own peak FLOP/s and HBM bandwidth; or, when the GPU
// carries the user's own kernel times (GpuModel::kernel_times), the same model with every
// efficiency taken from them instead. docs/model.md.
#include <array>
#include <vector>

#include "platform/gpu_catalog.hpp"
#include "platform/kernel_times.hpp"
#include "workload/model_spec.hpp"
#include "workload/ops.hpp"

namespace trainsim::workload {

enum class Recompute {
  None,
  Selective,  // recompute the attention core in backward (Korthikanti 2022)
  Full,       // one extra forward of the layer in backward
};

struct PassTimes {
  double fwd = 0, bwd_input = 0, bwd_weight = 0;  // seconds
  double bwd() const { return bwd_input + bwd_weight; }
};

struct LayerTimes : PassTimes {
  double recompute = 0;  // already inside bwd_input: it must run before the activation gradients
};

// Global constants of the model, documented with their provenance in docs/model.md. Defaults
// are the calibrated values; fields exist so studies can switch parts off.
struct ComputeOptions {
  // Flash attention (causal, executed FLOPs) efficiency relative to peak; fitted globally on
  // layer.csv (the standalone attention columns of that file are not consistent with the
  // layer totals, see docs/model.md). Not used for a GPU with its own kernel times.
  double attention_efficiency_fwd = 0.40;
  double attention_efficiency_bwd = 0.15;
  // GPU-side gap per kernel (seconds), added to every op.
  double launch_overhead = 2e-6;
  // Host (CPU) issue time per kernel in eager PyTorch: a pass never finishes faster than
  // kernels x this. Fitted on the smallest layer.csv rows. 0 disables the floor.
  double host_per_kernel_fwd = 40e-6;
  double host_per_kernel_bwd = 120e-6;
};

class ComputeModel {
 public:
  explicit ComputeModel(const GpuModel& gpu, ComputeOptions options = {});

  const GpuModel& gpu() const { return gpu_; }
  const ComputeOptions& options() const { return options_; }

  // Fraction of peak a 16-bit GEMM of this shape reaches (measured grid, log-space trilinear
  // interpolation; clamped above the grid; linear fall-off below the smallest measured dimension).
  double gemm_efficiency(const GemmShape& shape) const;
  // Datasheet peak of GEMMs in this operand format: the 16-bit peak, or the FP8 peak (InputError
  // naming gemm_precision when the GPU has none). FP8 GEMMs are assumed to reach the same
  // fraction of their peak as 16-bit ones (docs/model.md, "FP8").
  double peak_flops(Precision p) const;
  // Fraction of datasheet HBM bandwidth a streaming kernel reaches (measured copy / datasheet).
  double memory_efficiency() const { return memory_efficiency_; }
  // Fractions of peak causal attention reaches on its executed FLOPs, forward and backward.
  double attention_efficiency_fwd() const { return attention_efficiency_fwd_; }
  double attention_efficiency_bwd() const { return attention_efficiency_bwd_; }

  // Roofline time of one op, no host floor.
  double op_time(const Op& op) const;
  // Sum of op times per pass, each pass raised to its host issue floor.
  PassTimes pass_times(const std::vector<Op>& ops) const;

  // `cp`: context-parallel ranks sharing each sequence (ops.hpp LayerShard::cp).
  LayerTimes layer(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel,
                   Recompute mode, bool flash_attention = true, bool fused_bias_dropout_add = false, int cp = 1) const;
  PassTimes embedding(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel, int cp = 1) const;
  PassTimes lm_head(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel, int cp = 1) const;
  // Mixed-precision AdamW over the parameters held by this GPU (fp32 master + m + v).
  double optimizer_step(double params_on_gpu) const;

 private:
  void use_h200_calibration();
  void use_kernel_times(const KernelTimes& times);
  void set_gemm_grid(const std::vector<KernelTimes::Gemm>& samples, double reference_peak);
  void set_optimizer(const std::vector<KernelTimes::Adam>& samples, double reference_bandwidth);

  GpuModel gpu_;
  ComputeOptions options_;
  double memory_efficiency_ = 1;
  double attention_efficiency_fwd_ = 0, attention_efficiency_bwd_ = 0;
  double optimizer_fixed_s_ = 0;         // per-step fixed cost (launches), from the AdamW steps
  double optimizer_bw_efficiency_ = 1;   // AdamW streaming efficiency vs datasheet bandwidth
  // Grid of log(efficiency) over log2 of the measured m, n, k values.
  std::vector<double> log2_m_, log2_n_, log2_k_;
  std::vector<double> log_eff_;  // [i_m][i_n][i_k]
};

}  // namespace trainsim::workload
