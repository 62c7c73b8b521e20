#pragma once
// Built-in GPU models: dense 16-bit peak, HBM capacity and bandwidth (vendor datasheets).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainsim {

struct GpuModel {
  std::string name;
  double peak_flops = 0;      // dense 16-bit (bf16/fp16) tensor FLOP/s
  double memory_bytes = 0;    // HBM capacity
  double memory_bandwidth = 0;  // HBM bytes/s
};

// Catalogue lookup by exact name (case-sensitive): V100, A100-40GB, A100-80GB, H100-SXM, H200.
std::optional<GpuModel> find_gpu_model(std::string_view name);
const std::vector<GpuModel>& gpu_catalog();

}  // namespace trainsim
