#include "workload/compute_model.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "platform/kernel_times.hpp"
#include "workload/calibration_h200.hpp"

namespace trainsim::workload {

namespace {

// Position of x on a sorted axis: lower index and weight of the upper neighbour (clamped).
struct AxisPos {
  std::size_t lo = 0;
  double w = 0;
};
AxisPos locate(const std::vector<double>& axis, double x) {
  if (x <= axis.front()) return {0, 0};
  if (x >= axis.back()) return {axis.size() - 2, 1};
  const auto it = std::upper_bound(axis.begin(), axis.end(), x);
  const std::size_t hi = std::size_t(it - axis.begin());
  return {hi - 1, (x - axis[hi - 1]) / (axis[hi] - axis[hi - 1])};
}

std::vector<double> log2_axis(const std::set<long long>& values) {
  std::vector<double> out;
  for (long long v : values) out.push_back(std::log2(double(v)));
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

ComputeModel::ComputeModel(const GpuModel& gpu, ComputeOptions options) : gpu_(gpu), options_(options) {
  if (!(gpu.peak_flops > 0) || !(gpu.memory_bandwidth > 0))
    throw InputError({}, "gpu", "GPU model '" + gpu.name + "' needs positive peak_flops and memory_bandwidth");
  if (gpu.kernel_times) {
    use_kernel_times(*gpu.kernel_times);
  } else {
    use_h200_calibration();
  }
}

// Efficiencies are measured times relative to the measured card's datasheet figures, and carry
// over to this GPU through its own figures (docs/model.md).
void ComputeModel::use_h200_calibration() {
  using namespace calibration;
  std::vector<KernelTimes::Gemm> gemm;
  for (std::size_t i = 0; i < kH200GemmCount; ++i)
    gemm.push_back({kH200Gemm[i].m, kH200Gemm[i].n, kH200Gemm[i].k, kH200Gemm[i].ms_median * 1e-3, 0});
  set_gemm_grid(gemm, kH200PeakFlops);
  memory_efficiency_ = kH200CopyBytesPerSecond / kH200HbmBandwidth;
  attention_efficiency_fwd_ = options_.attention_efficiency_fwd;
  attention_efficiency_bwd_ = options_.attention_efficiency_bwd;
  std::vector<KernelTimes::Adam> adam;
  for (std::size_t i = 0; i < kH200OptimizerCount; ++i)
    adam.push_back({kH200Optimizer[i].params, kH200Optimizer[i].step_ms * 1e-3, 0});
  set_optimizer(adam, kH200HbmBandwidth);
}

// The user's own kernel times, relative to this GPU's datasheet figures: at a measured shape the
// model's time is the measured one.
void ComputeModel::use_kernel_times(const KernelTimes& t) {
  set_gemm_grid(t.gemm, gpu_.peak_flops);
  std::vector<double> copy, fwd, bwd;
  for (const auto& c : t.copy) copy.push_back(c.bytes / c.seconds / gpu_.memory_bandwidth);
  for (const auto& a : t.attention_fwd) fwd.push_back(attention_forward_flops(a) / a.seconds / gpu_.peak_flops);
  for (const auto& a : t.attention_bwd) bwd.push_back(attention_backward_flops(a) / a.seconds / gpu_.peak_flops);
  memory_efficiency_ = median(copy);
  attention_efficiency_fwd_ = median(fwd);
  attention_efficiency_bwd_ = median(bwd);
  set_optimizer(t.adamw, gpu_.memory_bandwidth);
}

void ComputeModel::set_gemm_grid(const std::vector<KernelTimes::Gemm>& samples, double reference_peak) {
  std::set<long long> ms, ns, ks;
  for (const auto& g : samples) ms.insert(g.m), ns.insert(g.n), ks.insert(g.k);
  log2_m_ = log2_axis(ms), log2_n_ = log2_axis(ns), log2_k_ = log2_axis(ks);
  const std::vector<long long> m_v(ms.begin(), ms.end()), n_v(ns.begin(), ns.end()), k_v(ks.begin(), ks.end());
  auto index = [](const std::vector<long long>& axis, long long v) {
    return std::size_t(std::lower_bound(axis.begin(), axis.end(), v) - axis.begin());
  };
  log_eff_.assign(m_v.size() * n_v.size() * k_v.size(), std::nan(""));
  for (const auto& g : samples) {
    const double eff = 2.0 * double(g.m) * double(g.n) * double(g.k) / g.seconds / reference_peak;
    log_eff_[(index(m_v, g.m) * n_v.size() + index(n_v, g.n)) * k_v.size() + index(k_v, g.k)] = std::log(eff);
  }
  for (double v : log_eff_)
    if (std::isnan(v)) throw InternalError("GEMM efficiency grid is not complete");
}

// AdamW: least-squares line step = fixed + params * per_param over the measured steps.
void ComputeModel::set_optimizer(const std::vector<KernelTimes::Adam>& samples, double reference_bandwidth) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = double(samples.size());
  for (const auto& a : samples) {
    const double x = a.params, y = a.seconds;
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  const double per_param = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  optimizer_fixed_s_ = std::max(0.0, (sy - per_param * sx) / n);
  optimizer_bw_efficiency_ = kAdamFp32BytesPerParam / per_param / reference_bandwidth;
}

double ComputeModel::gemm_efficiency(const GemmShape& s) const {
  const double dims[3] = {double(s.m), double(s.n), double(s.k)};
  for (double d : dims)
    if (!(d >= 1)) throw InternalError("GEMM with an empty dimension");
  const AxisPos pm = locate(log2_m_, std::log2(dims[0]));
  const AxisPos pn = locate(log2_n_, std::log2(dims[1]));
  const AxisPos pk = locate(log2_k_, std::log2(dims[2]));
  const std::size_t nn = log2_n_.size(), nk = log2_k_.size();
  double log_eff = 0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 2; ++c) {
        const double w = (a ? pm.w : 1 - pm.w) * (b ? pn.w : 1 - pn.w) * (c ? pk.w : 1 - pk.w);
        if (w == 0) continue;
        log_eff += w * log_eff_[((pm.lo + a) * nn + pn.lo + b) * nk + pk.lo + c];
      }
  double eff = std::exp(log_eff);
  // Below the grid a GEMM cannot fill the GPU: tiles (and waves) shrink with the dimension,
  // so efficiency falls in proportion (time stays at the smallest measured shape's time).
  const double smallest[3] = {std::exp2(log2_m_.front()), std::exp2(log2_n_.front()), std::exp2(log2_k_.front())};
  for (int i = 0; i < 3; ++i)
    if (dims[i] < smallest[i]) eff *= dims[i] / smallest[i];
  return eff;
}

double ComputeModel::peak_flops(Precision p) const {
  if (p == Precision::Bf16) return gpu_.peak_flops;
  if (!(gpu_.peak_fp8 > 0))
    throw InputError({}, "gemm_precision", "GPU '" + gpu_.name + "' has no FP8 tensor cores (no FP8 peak in its datasheet)");
  return gpu_.peak_fp8;
}

double ComputeModel::op_time(const Op& op) const {
  double compute = 0;
  switch (op.kind) {
    case OpKind::Gemm:
      compute = op.flops / (peak_flops(op.precision) * gemm_efficiency(op.gemm));
      break;
    case OpKind::GroupedGemm: {
      // One kernel over every local expert's GEMM: it runs at the efficiency of, and executes
      // the FLOPs of, its aggregate shape (moe_ops.hpp); the FP8 rate is the datasheet's.
      const double executed = 2.0 * double(op.gemm.m) * double(op.gemm.n) * double(op.gemm.k);
      compute = executed / (peak_flops(op.precision) * gemm_efficiency(op.gemm));
      break;
    }
    case OpKind::BatchedGemm: {
      // Per-head GEMMs have a small inner or outer dimension (the head size); their time is set
      // by the traffic of the s x s matrices (memory term below) or by the GEMM rate of the
      // measured grid, without the small-dimension penalty (the batch fills the GPU).
      GemmShape big = op.gemm;
      big.m = std::max<std::int64_t>(big.m, 1024);
      big.n = std::max<std::int64_t>(big.n, 1024);
      big.k = std::max<std::int64_t>(big.k, 1024);
      compute = op.flops / (gpu_.peak_flops * gemm_efficiency(big));
      break;
    }
    case OpKind::Attention: {
      const double eff = op.pass == Pass::Forward ? attention_efficiency_fwd_ : attention_efficiency_bwd_;
      compute = op.flops / (gpu_.peak_flops * eff);
      break;
    }
    case OpKind::Memory:
      compute = 0;  // elementwise arithmetic hides under the memory traffic
      break;
  }
  const double memory = op.bytes / (gpu_.memory_bandwidth * memory_efficiency_);
  return std::max(compute, memory) + options_.launch_overhead;
}

PassTimes ComputeModel::pass_times(const std::vector<Op>& ops) const {
  PassTimes t;
  int fwd_kernels = 0, bwd_kernels = 0;
  for (const auto& op : ops) {
    const double dt = op_time(op);
    switch (op.pass) {
      case Pass::Forward: t.fwd += dt, ++fwd_kernels; break;
      case Pass::BackwardInput: t.bwd_input += dt, ++bwd_kernels; break;
      case Pass::BackwardWeight: t.bwd_weight += dt, ++bwd_kernels; break;
    }
  }
  // The host issues kernels asynchronously: it only shows when the GPU work is shorter.
  t.fwd = std::max(t.fwd, fwd_kernels * options_.host_per_kernel_fwd);
  const double bwd = t.bwd_input + t.bwd_weight, floor = bwd_kernels * options_.host_per_kernel_bwd;
  if (bwd > 0 && floor > bwd) {
    t.bwd_input *= floor / bwd;
    t.bwd_weight *= floor / bwd;
  }
  return t;
}

LayerTimes ComputeModel::layer(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel,
                               Recompute mode, bool flash_attention, bool fused_bias_dropout_add, int cp) const {
  const std::vector<Op> ops =
      layer_ops(model, {micro_batch, tp, seq_parallel, flash_attention, fused_bias_dropout_add, cp});
  LayerTimes t;
  static_cast<PassTimes&>(t) = pass_times(ops);
  switch (mode) {
    case Recompute::None: break;
    case Recompute::Full: t.recompute = t.fwd; break;
    case Recompute::Selective:
      for (const auto& op : ops)
        if (op.core_attention && op.pass == Pass::Forward) t.recompute += op_time(op);
      break;
  }
  t.bwd_input += t.recompute;
  return t;
}

PassTimes ComputeModel::embedding(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel, int cp) const {
  return pass_times(embedding_ops(model, {micro_batch, tp, seq_parallel, true, false, cp}));
}

PassTimes ComputeModel::lm_head(const ModelSpec& model, int micro_batch, int tp, bool seq_parallel, int cp) const {
  return pass_times(lm_head_ops(model, {micro_batch, tp, seq_parallel, true, false, cp}));
}

double ComputeModel::optimizer_step(double params_on_gpu) const {
  if (params_on_gpu <= 0) return 0;
  return optimizer_fixed_s_ +
         params_on_gpu * kAdamBytesPerParam / (gpu_.memory_bandwidth * optimizer_bw_efficiency_);
}

}  // namespace trainsim::workload
