// Seconds of FP8 and grouped-GEMM ops (docs/model.md, "Grouped GEMMs", "FP8"), by hand from the
// calibrated efficiency.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/error.hpp"
#include "platform/gpu_catalog.hpp"
#include "workload/calibration_h200.hpp"
#include "workload/compute_model.hpp"
#include "workload/moe_ops.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {
const Op& find(const std::vector<Op>& ops, std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return op;
  FAIL("no op " << name);
  return ops.front();
}
const double kEtaMem = calibration::kH200CopyBytesPerSecond / calibration::kH200HbmBandwidth;
}  // namespace

TEST_CASE("FP8 GEMMs run at the datasheet FP8 peak with the 16-bit efficiency curve") {
  const ComputeModel cm(*find_gpu_model("H200"));
  CHECK(cm.peak_flops(Precision::Bf16) == 989e12);
  CHECK(cm.peak_flops(Precision::Fp8) == 1979e12);
  const double n = 8192;
  // An 8192^3 GEMM: compute-bound either way; the FP8 one's compute time is 989/1979 of bf16's.
  Op op;
  op.name = "g";
  op.kind = OpKind::Gemm;
  op.flops = 2 * n * n * n;
  op.gemm = {8192, 8192, 8192};
  op.bytes = 2 * 3 * n * n;
  const double eff = cm.gemm_efficiency(op.gemm);
  CHECK(cm.op_time(op) == Approx(2 * n * n * n / (989e12 * eff) + 2e-6).epsilon(1e-12));
  op.precision = Precision::Fp8;
  op.bytes = 1 * 2 * n * n + 2 * n * n;
  const double fp8_time = 2 * n * n * n / (1979e12 * eff);
  CHECK(fp8_time > op.bytes / (4.8e12 * kEtaMem));
  CHECK(cm.op_time(op) == Approx(fp8_time + 2e-6).epsilon(1e-12));
}

TEST_CASE("FP8 on a GPU without FP8 tensor cores is an input error naming gemm_precision") {
  const ComputeModel cm(*find_gpu_model("A100-80GB"));
  try {
    cm.peak_flops(Precision::Fp8);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(e.key() == "gemm_precision");
    CHECK(e.message().find("A100-80GB") != std::string::npos);
  }
}

TEST_CASE("A grouped GEMM runs at the efficiency of its padded aggregate shape") {
  const ComputeModel cm(*find_gpu_model("H200"));
  const ModelSpec m = *find_model_preset("qwen3-30b-a3b");
  MoeShard sh;
  sh.layer = {1, 1, false};
  const MoeFfnOps ops = moe_ffn_ops(m, sh, 4096 * 8, {100, 0, 300, 129});
  const Op& up = find(ops.experts, "experts.mlp_up");
  // (128 + 384 + 256) rows x 1536 x 2048, below the grid's 1024 rows: efficiency x 768/1024.
  const GemmShape shape{768, 1536, 2048};
  const double eff = cm.gemm_efficiency(shape);
  CHECK(eff == Approx(cm.gemm_efficiency({1024, 1536, 2048}) * 768 / 1024).epsilon(1e-12));
  const double compute = 2.0 * 768 * 1536 * 2048 / (989e12 * eff);
  const double memory = up.bytes / (4.8e12 * kEtaMem);
  CHECK(cm.op_time(up) == Approx(std::max(compute, memory) + 2e-6).epsilon(1e-12));
}

TEST_CASE("Small experts: one grouped kernel is faster than a GEMM per expert, imbalance shows in time") {
  const ComputeModel cm(*find_gpu_model("H200"));
  const ModelSpec m = *find_model_preset("qwen3-30b-a3b");
  MoeShard sh;
  sh.layer = {1, 1, false};
  const std::vector<std::int64_t> rows(16, 256);  // EP 8: 16 local experts, 256 rows each
  const PassTimes grouped = cm.pass_times(moe_ffn_ops(m, sh, 4096, rows).experts);
  sh.grouped_gemm = false;
  const PassTimes sequential = cm.pass_times(moe_ffn_ops(m, sh, 4096, rows).experts);
  CHECK(grouped.fwd < 0.5 * sequential.fwd);
  CHECK(grouped.bwd() < 0.5 * sequential.bwd());
  // The GPU whose experts received twice the rows is the straggler of its EP group.
  sh.grouped_gemm = true;
  const std::vector<std::int64_t> hot(16, 512);
  const PassTimes slow = cm.pass_times(moe_ffn_ops(m, sh, 4096, hot).experts);
  CHECK(slow.fwd > 1.5 * grouped.fwd);
}
