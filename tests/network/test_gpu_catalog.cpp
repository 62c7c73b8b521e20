// The GPU catalogue (sim/platform/gpu_catalog.cpp) against its datasheets, by hand: the values
// below were copied from the datasheets named in the comments, the dense figure being half the
// datasheet's "with sparsity" one where the datasheet prints that (docs/platforms.md).
#include <catch2/catch.hpp>

#include <set>

#include "platform/gpu_catalog.hpp"

using namespace trainsim;

namespace {

constexpr double T = 1e12, GiB = 1024.0 * 1024 * 1024;

GpuModel gpu(const char* name) {
  auto g = find_gpu_model(name);
  REQUIRE(g.has_value());
  return *g;
}

}  // namespace

TEST_CASE("the catalogue holds the GPUs the papers ran on, each with a source", "[platform][catalogue]") {
  std::set<std::string> names;
  for (const auto& g : gpu_catalog()) {
    INFO(g.name);
    CHECK(names.insert(g.name).second);
    CHECK(g.peak_flops > 0);
    CHECK(g.peak_fp32 > 0);
    CHECK(g.memory_bytes > 0);
    CHECK(g.memory_bandwidth > 0);
    CHECK(g.source.find("datasheet") != std::string::npos);
    CHECK(g.kernel_times == nullptr);  // catalogue GPUs use the calibrated model
  }
  CHECK(names == std::set<std::string>{"T4", "V100-16GB", "V100-32GB", "A10", "L4", "L40S", "A100-40GB", "A100-80GB",
                                       "H100-SXM", "H100-PCIe", "H800", "H200", "B200"});
  CHECK_FALSE(find_gpu_model("V100").has_value());  // ambiguous: 16 or 32 GB
  CHECK_FALSE(find_gpu_model("h100-sxm").has_value());
}

TEST_CASE("catalogue figures equal the datasheets' by hand", "[platform][catalogue]") {
  // T4 datasheet: FP32 8.1 TFLOPS, mixed precision (FP16/FP32) 65 TFLOPS, 16 GB GDDR6, 320+ GB/s.
  const GpuModel t4 = gpu("T4");
  CHECK(t4.peak_flops == 65 * T);
  CHECK(t4.peak_fp32 == 8.1 * T);
  CHECK_FALSE(t4.bf16);
  CHECK(t4.memory_bytes == 16 * GiB);
  CHECK(t4.memory_bandwidth == 320e9);
  // V100 SXM2 datasheet: FP32 15.7, Tensor 125 TFLOPS, 900 GB/s, 16 or 32 GB HBM2.
  CHECK(gpu("V100-16GB").memory_bytes == 16 * GiB);
  CHECK(gpu("V100-32GB").peak_flops == 125 * T);
  // A100 datasheet (SXM): TF32 156 (312*), BF16 312 (624*), 80GB HBM2e at 2,039 GB/s.
  const GpuModel a100 = gpu("A100-80GB");
  CHECK(a100.peak_tf32 == 156 * T);
  CHECK(a100.peak_flops == 312 * T);
  CHECK(a100.peak_fp8 == 0);  // Ampere has no fp8
  CHECK(a100.memory_bandwidth == 2039e9);
  // L40S datasheet: FP32 91.6, TF32 183 | 366*, BF16 362.05 | 733*, FP8 733 | 1,466*, 48 GB at 864 GB/s.
  const GpuModel l40s = gpu("L40S");
  CHECK(l40s.peak_flops == 362.05 * T);
  CHECK(l40s.peak_fp8 == 733 * T);
  CHECK(l40s.peak_tf32 == 183 * T);
  // H100 datasheet, PCIe column: FP32 51, TF32 756*, BF16 1,513*, FP8 3,026*, 2 TB/s.
  const GpuModel h100p = gpu("H100-PCIe");
  CHECK(h100p.peak_flops == 1513 * T / 2 - 0.5 * T);  // 756.5 quoted as 756
  CHECK(h100p.peak_fp8 == 3026 * T / 2);
  CHECK(h100p.memory_bandwidth == 2000e9);
  // DGX B200: FP8 72 PFLOPS* for 8 GPUs -> 4.5 PF dense per GPU; 1,440 GB and 64 TB/s in total.
  const GpuModel b200 = gpu("B200");
  CHECK(b200.peak_fp8 == 72e15 / 8 / 2);
  CHECK(b200.memory_bytes == 1440 * GiB / 8);
  CHECK(b200.memory_bandwidth == 64e12 / 8);
}

TEST_CASE("precision ratios follow the datasheets' architecture rules", "[platform][catalogue]") {
  for (const auto& g : gpu_catalog()) {
    INFO(g.name);
    // fp8 (Ada, Hopper, Blackwell) is twice the 16-bit tensor peak: the datasheets' ratio (L40S
    // prints 362.05 dense bf16 and 733 dense fp8, 2.02 x).
    if (g.peak_fp8 > 0) CHECK(g.peak_fp8 == Approx(2 * g.peak_flops).epsilon(0.02));
    // tf32 (Ampere on) is half the 16-bit tensor peak (L40S: 183 vs 362.05).
    if (g.peak_tf32 > 0) CHECK(g.peak_tf32 == Approx(g.peak_flops / 2).epsilon(0.02));
    // GPUs without bf16 (Volta, Turing) have neither tf32 nor fp8.
    if (!g.bf16) CHECK((g.peak_tf32 == 0 && g.peak_fp8 == 0));
    // The tensor cores beat the CUDA cores by a wide margin on every generation (Ada, the
    // narrowest: L4 121 vs 30.3, 4.0 x).
    CHECK(g.peak_flops > 3.9 * g.peak_fp32);
  }
  // H800 is H100 SXM with a cut NVLink: same compute and memory.
  const GpuModel h800 = gpu("H800"), h100 = gpu("H100-SXM");
  CHECK((h800.peak_flops == h100.peak_flops && h800.peak_fp8 == h100.peak_fp8 && h800.memory_bytes == h100.memory_bytes));
}
