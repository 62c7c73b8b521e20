#include "platform/gpu_catalog.hpp"

namespace trainsim {

namespace {
constexpr double T = 1e12;                   // TFLOP/s
constexpr double GiB = 1024.0 * 1024 * 1024;  // datasheet "GB" of capacity
constexpr double GBps = 1e9;                 // datasheet GB/s of bandwidth

// A datasheet's figures, every field given (0: the GPU has no such tensor-core precision).
struct Datasheet {
  const char* name;
  double peak_16bit, peak_fp32, peak_tf32, peak_fp8;
  bool bf16;
  double memory, bandwidth;
  const char* source;
};

// One entry per line (docs/gen/gpu_catalog.py reads them). Dense peaks: where a datasheet prints
// only tensor-core figures "with sparsity" (marked *), twice the dense ones, the dense figure is
// their half; where it prints both (L40S: "362.05 | 733*"), the dense one. SXM/SXM2 form factors unless the name says PCIe; A10, L4, L40S and T4 are PCIe cards.
// Fields: name, dense 16-bit (bf16, or fp16 where bf16 is false), fp32, tf32, fp8, bf16, memory,
// memory bandwidth, source.
constexpr Datasheet kDatasheets[] = {
    {"T4", 65 * T, 8.1 * T, 0, 0, false, 16 * GiB, 320 * GBps, "NVIDIA T4 Tensor Core GPU datasheet"},
    {"V100-16GB", 125 * T, 15.7 * T, 0, 0, false, 16 * GiB, 900 * GBps, "NVIDIA V100 Tensor Core GPU datasheet (SXM2)"},
    {"V100-32GB", 125 * T, 15.7 * T, 0, 0, false, 32 * GiB, 900 * GBps, "NVIDIA V100 Tensor Core GPU datasheet (SXM2)"},
    {"A10", 125 * T, 31.2 * T, 62.5 * T, 0, true, 24 * GiB, 600 * GBps, "NVIDIA A10 Tensor Core GPU datasheet"},
    {"L4", 121 * T, 30.3 * T, 60 * T, 242.5 * T, true, 24 * GiB, 300 * GBps, "NVIDIA L4 Tensor Core GPU datasheet"},
    {"L40S", 362.05 * T, 91.6 * T, 183 * T, 733 * T, true, 48 * GiB, 864 * GBps, "NVIDIA L40S GPU datasheet"},
    {"A100-40GB", 312 * T, 19.5 * T, 156 * T, 0, true, 40 * GiB, 1555 * GBps, "NVIDIA A100 Tensor Core GPU datasheet (SXM4 40GB)"},
    {"A100-80GB", 312 * T, 19.5 * T, 156 * T, 0, true, 80 * GiB, 2039 * GBps, "NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB)"},
    {"H100-SXM", 989 * T, 67 * T, 494.5 * T, 1979 * T, true, 80 * GiB, 3350 * GBps, "NVIDIA H100 Tensor Core GPU datasheet (H100 SXM)"},
    {"H100-PCIe", 756 * T, 51 * T, 378 * T, 1513 * T, true, 80 * GiB, 2000 * GBps, "NVIDIA H100 Tensor Core GPU datasheet (H100 PCIe)"},
    {"H800", 989 * T, 67 * T, 494.5 * T, 1979 * T, true, 80 * GiB, 3350 * GBps, "NVIDIA H800 Tensor Core GPU datasheet (H800 SXM)"},
    {"H200", 989 * T, 67 * T, 494.5 * T, 1979 * T, true, 141 * GiB, 4800 * GBps, "NVIDIA H200 Tensor Core GPU datasheet (H200 SXM)"},
    {"B200", 2250 * T, 75 * T, 1125 * T, 4500 * T, true, 180 * GiB, 8000 * GBps, "NVIDIA DGX B200 and HGX B200 datasheets (per GPU: the 8-GPU system's figures / 8)"},
};

}  // namespace

const std::vector<GpuModel>& gpu_catalog() {
  static const std::vector<GpuModel> catalog = [] {
    std::vector<GpuModel> out;
    for (const Datasheet& d : kDatasheets) {
      GpuModel g;
      g.name = d.name;
      g.peak_flops = d.peak_16bit, g.peak_fp32 = d.peak_fp32, g.peak_tf32 = d.peak_tf32, g.peak_fp8 = d.peak_fp8;
      g.bf16 = d.bf16;
      g.memory_bytes = d.memory, g.memory_bandwidth = d.bandwidth;
      g.source = d.source;
      out.push_back(std::move(g));
    }
    return out;
  }();
  return catalog;
}

std::optional<GpuModel> find_gpu_model(std::string_view name) {
  for (const auto& g : gpu_catalog())
    if (g.name == name) return g;
  return std::nullopt;
}

}  // namespace trainsim
