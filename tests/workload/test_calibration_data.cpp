#include <catch2/catch.hpp>

#include "csv_reader.hpp"
#include "workload/calibration_h200.hpp"

using namespace trainsim::workload;

// The compiled-in arrays must be the shipped CSVs (regenerate with gen_calibration.py).
TEST_CASE("Embedded H200 GEMM and optimizer data match the shipped CSVs") {
  const auto gemm = testing::read_calibration_csv("gemm.csv");
  REQUIRE(gemm.size() == calibration::kH200GemmCount);
  for (std::size_t i = 0; i < gemm.size(); ++i) {
    CHECK(calibration::kH200Gemm[i].m == int(testing::num(gemm[i], "m")));
    CHECK(calibration::kH200Gemm[i].n == int(testing::num(gemm[i], "n")));
    CHECK(calibration::kH200Gemm[i].k == int(testing::num(gemm[i], "k")));
    CHECK(calibration::kH200Gemm[i].ms_median == testing::num(gemm[i], "ms_median"));
  }
  const auto opt = testing::read_calibration_csv("optimizer.csv");
  REQUIRE(opt.size() == calibration::kH200OptimizerCount);
  for (std::size_t i = 0; i < opt.size(); ++i)
    CHECK(calibration::kH200Optimizer[i].step_ms == testing::num(opt[i], "step_ms"));
  CHECK(calibration::kH200CopyBytesPerSecond == Approx(4225.732865296657e9));
}
