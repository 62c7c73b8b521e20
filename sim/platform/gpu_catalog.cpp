#include "platform/gpu_catalog.hpp"

namespace trainsim {

// Sources: NVIDIA V100, A100 and H100/H200 datasheets (SXM variants, dense, no sparsity).
const std::vector<GpuModel>& gpu_catalog() {
  static const std::vector<GpuModel> catalog = {
      {"V100", 125e12, 32.0 * (1ull << 30), 900e9},
      {"A100-40GB", 312e12, 40.0 * (1ull << 30), 1555e9},
      {"A100-80GB", 312e12, 80.0 * (1ull << 30), 2039e9},
      {"H100-SXM", 989e12, 80.0 * (1ull << 30), 3350e9},
      {"H200", 989e12, 141e9, 4800e9},
  };
  return catalog;
}

std::optional<GpuModel> find_gpu_model(std::string_view name) {
  for (const auto& g : gpu_catalog())
    if (g.name == name) return g;
  return std::nullopt;
}

}  // namespace trainsim
