#pragma once
// Built-in GPU models: dense peak FLOP/s by precision, memory capacity and bandwidth, each from
// the vendor datasheet named in `source` (table and conventions: docs/platforms.md, "GPU
// catalogue"; the table there is generated from this file by docs/gen/gpu_catalog.py).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainsim {

struct KernelTimes;  // platform/kernel_times.hpp

struct GpuModel {
  std::string name;
  // Dense (no sparsity) tensor-core peak of the 16-bit type the GPU trains in: bf16, or fp16 on
  // GPUs without bf16 (`bf16` false: V100, T4). The compute model times every op against it.
  double peak_flops = 0;
  double peak_fp32 = 0;   // dense fp32 on the CUDA cores (non-tensor); 0: not stated
  double peak_tf32 = 0;   // dense tf32 tensor-core peak; 0: the GPU has no tf32
  double peak_fp8 = 0;    // dense fp8 tensor-core peak; 0: the GPU has no fp8
  bool bf16 = true;
  double memory_bytes = 0;      // capacity (the datasheet's "GB" read as GiB, docs/platforms.md)
  double memory_bandwidth = 0;  // bytes/s (the datasheet's decimal figure)
  std::string source;           // the datasheet the figures come from
  // Kernel times the user measured on this GPU (a cluster's `kernel_times:` CSV); when set they
  // replace the calibrated compute model (docs/model.md, "User-measured compute").
  std::shared_ptr<const KernelTimes> kernel_times;
};

// Catalogue lookup by exact name (case-sensitive), e.g. T4, V100-32GB, A100-80GB, H100-SXM, B200.
std::optional<GpuModel> find_gpu_model(std::string_view name);
const std::vector<GpuModel>& gpu_catalog();

}  // namespace trainsim
