// User-measured compute (docs/model.md, "User-measured compute"): the kernel-times CSV reader, the
// compute model built from it (checked by hand on tests/workload/kernel-times/t4-hand.csv, whose
// efficiencies are round), the shipped H200 sample (the calibrated model's data in this format:
// same times), the platform key, and the measuring script's header and plans.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "csv_reader.hpp"
#include "engine/isolated.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "platform/kernel_times.hpp"
#include "workload/compute_model.hpp"
#include "workload/presets.hpp"
#include "support/files.hpp"

using namespace trainsim;
using namespace trainsim::workload;

namespace {

using trainsim::testing::read_file;

const std::string kSource = TRAINSIM_SOURCE_DIR;

GpuModel with_times(const char* gpu, const std::string& csv_path) {
  GpuModel g = *find_gpu_model(gpu);
  g.kernel_times = std::make_shared<const KernelTimes>(parse_kernel_times(read_file(csv_path), csv_path));
  return g;
}

GpuModel t4_hand() { return with_times("T4", kSource + "/tests/workload/kernel-times/t4-hand.csv"); }

// The message of the InputError `text` raises, as the CLI prints it.
std::string error_of(const std::string& text) {
  try {
    parse_kernel_times(text, "k.csv");
  } catch (const InputError& e) {
    return e.where().str() + ": " + e.key() + ": " + e.message();
  }
  return "no error";
}

// A complete, valid file's rows (2 x 2 x 2 GEMM grid), to break one at a time.
std::string valid(const std::string& extra = "", const std::string& drop = "") {
  std::string rows = std::string(kKernelTimesHeader) + "\n";
  for (int m : {1024, 2048})
    for (int n : {1024, 2048})
      for (int k : {1024, 2048}) {
        const std::string row = "gemm," + std::to_string(m) + "," + std::to_string(n) + "," + std::to_string(k) + ",,,,,,,1\n";
        if (row != drop) rows += row;
      }
  for (const char* row : {"copy,,,,,,,,1000000000,,10\n", "attention_fwd,,,,1,1024,8,64,,,0.1\n",
                          "attention_bwd,,,,1,1024,8,64,,,0.5\n", "adamw,,,,,,,,,1000,1\n", "adamw,,,,,,,,,2000,2\n"})
    if (row != drop) rows += row;
  return rows + extra;
}

}  // namespace

TEST_CASE("kernel times: a complete file is read row by row, comments skipped", "[workload][kernel_times]") {
  const KernelTimes t = parse_kernel_times("# measured on a test GPU\n\n" + valid(), "k.csv");
  CHECK(t.file == "k.csv");
  CHECK(t.gemm.size() == 8);
  CHECK(t.gemm[0].seconds == 1e-3);
  CHECK(t.gemm[0].line == 4);
  CHECK(t.copy.size() == 1);
  CHECK(t.copy[0].bytes == 1e9);
  CHECK(t.attention_fwd.at(0).head_dim == 64);
  CHECK(t.adamw.size() == 2);
  // Causal attention, executed FLOPs: 2 b s^2 (heads x head_dim) forward, 2.5 x that backward.
  CHECK(attention_forward_flops(t.attention_fwd[0]) == 2.0 * 1024 * 1024 * 8 * 64);
  CHECK(attention_backward_flops(t.attention_bwd[0]) == 2.5 * 2.0 * 1024 * 1024 * 8 * 64);
}

TEST_CASE("kernel times: each bad file is refused at its line, column and column name", "[workload][kernel_times]") {
  const std::array<std::pair<std::string, std::string>, 13> cases = {{
      {"op,m,n,k\n", "k.csv:1:1: header: the first line that is not a '#' comment is \"op,m,n,k\"; expected the header "
                     "\"op,m,n,k,batch,seq,heads,head_dim,bytes,params,ms\""},
      {"# only a comment\n", "k.csv: header: the file has no header; expected \"op,m,n,k,batch,seq,heads,head_dim,bytes,"
                             "params,ms\" and one row per measured kernel"},
      {valid("gem,1,1,1,,,,,,,1\n"), "k.csv:15:1: op: unknown op \"gem\"; expected one of gemm, copy, attention_fwd, "
                                     "attention_bwd, adamw"},
      {valid("gemm,1,1,1,,,,,,1\n"), "k.csv:15:1: row: the row has 10 cells; expected 11 "
                                     "(op,m,n,k,batch,seq,heads,head_dim,bytes,params,ms)"},
      {valid("gemm,1,,1,,,,,,,1\n"), "k.csv:15:8: n: got \"\"; expected a whole number from 1 to 1099511627776"},
      {valid("gemm,1,1,1.5,,,,,,,1\n"), "k.csv:15:10: k: got \"1.5\"; expected a whole number from 1 to 1099511627776"},
      {valid("copy,,,,,,,,100,7,1\n"), "k.csv:15:17: params: a copy row leaves params empty; got \"7\""},
      {valid("adamw,,,,,,,,,1000,0\n"), "k.csv:15:20: ms: got \"0\"; expected a time in milliseconds, > 0 and at most "
                                        "3.6e6 (one hour)"},
      {valid("adamw,,,,,,,,,1000,1 ms\n"), "k.csv:15:20: ms: got \"1 ms\"; expected a time in milliseconds, > 0 and at "
                                           "most 3.6e6 (one hour)"},
      {valid("gemm,2048,1024,1024,,,,,,,3\n"), "k.csv:15:1: op: gemm m=2048 n=1024 k=1024 is measured twice (line 6 too); "
                                               "expected one row per shape (the median of its repetitions)"},
      {valid("", "gemm,2048,1024,2048,,,,,,,1\n"), "k.csv: gemm: the gemm rows do not form a full grid: m=2048 n=1024 "
                                                   "k=2048 is missing; expected every combination of the measured m, n and k"},
      {valid("", "copy,,,,,,,,1000000000,,10\n"), "k.csv: copy: no copy row; expected at least one"},
      {valid("", "adamw,,,,,,,,,2000,2\n"), "k.csv: adamw: the adamw rows have 1 parameter count(s); expected at least 2 "
                                            "(a fixed cost and a per-parameter cost)"},
  }};
  for (const auto& [text, expected] : cases) {
    INFO(text);
    CHECK(error_of(text) == expected);
  }
  // One value of k: nothing to interpolate in.
  std::string one_k = std::string(kKernelTimesHeader) + "\n";
  for (int m : {1024, 2048})
    for (int n : {1024, 2048}) one_k += "gemm," + std::to_string(m) + "," + std::to_string(n) + ",1024,,,,,,,1\n";
  CHECK(error_of(one_k) == "k.csv: gemm: the gemm rows have 1 value(s) of k; expected at least 2 (a grid to interpolate in)");
}

TEST_CASE("kernel times: rows faster than the GPU's datasheet are refused", "[workload][kernel_times]") {
  KernelTimes t = parse_kernel_times(valid(), "k.csv");
  CHECK_NOTHROW(check_kernel_times(t, *find_gpu_model("T4")));  // 2 x 2048^3 FLOPs in 1 ms: 17 TFLOP/s
  // 2 x 1024^3 FLOPs in 10 us: 214.7 TFLOP/s, beyond a T4's 65 TFLOP/s (an H200's row, say).
  t.gemm[0].seconds = 1e-5;
  try {
    check_kernel_times(t, *find_gpu_model("T4"));
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(e.where().line == 2);
    CHECK(e.message() == "this gemm row runs at 214.7 TFLOP/s (16-bit peak), above the T4's 65 TFLOP/s (16-bit peak); "
                         "expected times measured on this GPU, in milliseconds");
  }
  CHECK_NOTHROW(check_kernel_times(t, *find_gpu_model("H200")));
  // A copy at 400 GB/s on a 320 GB/s T4.
  KernelTimes c = parse_kernel_times(valid(), "k.csv");
  c.copy[0].seconds = 1e9 / 400e9;
  CHECK_THROWS_WITH(check_kernel_times(c, *find_gpu_model("T4")),
                    Catch::Contains("this copy row runs at 400 GB/s (memory bandwidth), above the T4's 320 GB/s"));
}

TEST_CASE("kernel times: at a measured GEMM shape the model takes the measured time, between them it interpolates",
          "[workload][kernel_times]") {
  const ComputeModel cm(t4_hand());
  // t4-hand.csv: efficiency 0.1 x 2^(a+b+c), a, b, c = 1 where the dimension is 4096.
  CHECK(cm.gemm_efficiency({1024, 1024, 1024}) == Approx(0.1).epsilon(1e-12));
  CHECK(cm.gemm_efficiency({4096, 1024, 4096}) == Approx(0.4).epsilon(1e-12));
  CHECK(cm.gemm_efficiency({4096, 4096, 4096}) == Approx(0.8).epsilon(1e-12));
  // Halfway in log2 on every axis (2048): the geometric mean of the corners, 0.1 x 2^1.5.
  CHECK(cm.gemm_efficiency({2048, 2048, 2048}) == Approx(0.1 * std::pow(2.0, 1.5)).epsilon(1e-12));
  // Halfway on m only: 0.1 x 2^0.5.
  CHECK(cm.gemm_efficiency({2048, 1024, 1024}) == Approx(0.1 * std::sqrt(2.0)).epsilon(1e-12));
  // Below the grid in proportion to the dimension; above it clamped to the edge.
  CHECK(cm.gemm_efficiency({512, 1024, 1024}) == Approx(0.05).epsilon(1e-12));
  CHECK(cm.gemm_efficiency({16384, 1024, 1024}) == Approx(0.2).epsilon(1e-12));
  // A GEMM op at a measured shape takes the measured 0.330382 ms (compute-bound: its 6 MiB at
  // 200 GB/s would take 31 us) plus the 2 us launch gap.
  Op g;
  g.kind = OpKind::Gemm;
  g.gemm = {1024, 1024, 1024};
  g.flops = 2.0 * 1024 * 1024 * 1024;
  g.bytes = 2.0 * 3 * 1024 * 1024;
  CHECK(cm.op_time(g) == Approx(0.3303820996923077e-3 + 2e-6).epsilon(1e-12));
}

TEST_CASE("kernel times: memory, attention and optimizer rates come from the file", "[workload][kernel_times]") {
  const ComputeModel cm(t4_hand());
  // Copies at 150, 200 and 250 GB/s: the median, 200 GB/s, of the T4's 320 GB/s.
  CHECK(cm.memory_efficiency() == Approx(200.0 / 320.0).epsilon(1e-12));
  Op mem;
  mem.kind = OpKind::Memory;
  mem.bytes = 1e9;
  CHECK(cm.op_time(mem) == Approx(1e9 / 200e9 + 2e-6).epsilon(1e-12));
  // Attention (b 1, s 1024, 8 heads of 64): forward 2 x 1024^2 x 512 FLOPs in 0.1 ms, backward
  // 2.5 x that in 0.5 ms, against 65 TFLOP/s.
  const double fwd_flops = 2.0 * 1024 * 1024 * 512;
  CHECK(cm.attention_efficiency_fwd() == Approx(fwd_flops / (0.1e-3 * 65e12)).epsilon(1e-12));
  CHECK(cm.attention_efficiency_bwd() == Approx(2.5 * fwd_flops / (0.5e-3 * 65e12)).epsilon(1e-12));
  // AdamW: 2 ms at 10M, 5 ms at 30M -> 0.5 ms + 1.5e-10 s per fp32 parameter moving 28 B; the
  // mixed-precision step moves 30 B: 20M parameters take 0.5 ms + 20M x 1.5e-10 x 30 / 28.
  CHECK(cm.optimizer_step(20e6) == Approx(0.5e-3 + 20e6 * 1.5e-10 * 30.0 / 28.0).epsilon(1e-9));
}

TEST_CASE("kernel times: the shipped H200 sample gives the calibrated model's times", "[workload][kernel_times]") {
  // platforms/kernel-times/h200-calibration.csv holds the H200 calibration data in the user's
  // format (tools/kernel_times_from_h200_calibration.py): an H200 naming it must be timed exactly
  // as the calibrated H200.
  const ComputeModel calibrated(*find_gpu_model("H200"));
  const ComputeModel from_csv(with_times("H200", kSource + "/platforms/kernel-times/h200-calibration.csv"));
  CHECK(from_csv.memory_efficiency() == Approx(calibrated.memory_efficiency()).epsilon(1e-12));
  CHECK(from_csv.attention_efficiency_fwd() == Approx(0.40).epsilon(1e-12));
  CHECK(from_csv.attention_efficiency_bwd() == Approx(0.15).epsilon(1e-12));
  CHECK(from_csv.optimizer_step(1e9) == Approx(calibrated.optimizer_step(1e9)).epsilon(1e-12));
  int rows = 0;
  for (const auto& r : workload::testing::read_calibration_csv("layer.csv")) {
    ModelSpec m = *find_model_preset("gpt-22b");
    m.layers = 1;
    m.hidden = int(workload::testing::num(r, "hidden"));
    m.heads = int(workload::testing::num(r, "heads"));
    m.kv_heads = m.heads;
    m.ffn_hidden = 4 * m.hidden;
    m.seq_len = int(workload::testing::num(r, "seq"));
    const int b = int(workload::testing::num(r, "micro_batch")), tp = int(workload::testing::num(r, "tp"));
    const LayerTimes a = calibrated.layer(m, b, tp, true, Recompute::Selective);
    const LayerTimes c = from_csv.layer(m, b, tp, true, Recompute::Selective);
    CHECK(c.fwd == Approx(a.fwd).epsilon(1e-12));
    CHECK(c.bwd_input == Approx(a.bwd_input).epsilon(1e-12));
    CHECK(c.bwd_weight == Approx(a.bwd_weight).epsilon(1e-12));
    CHECK(from_csv.lm_head(m, b, tp, true).fwd == Approx(calibrated.lm_head(m, b, tp, true).fwd).epsilon(1e-12));
    ++rows;
  }
  CHECK(rows == 96);
}

TEST_CASE("kernel times: a cluster names its CSV, relative to the platform file", "[workload][kernel_times]") {
  const PlatformSpec p = load_platform_file(kSource + "/tests/workload/kernel-times/t4-hand-platform.yaml");
  const GpuModel& g = p.clusters.at(0).gpu;
  REQUIRE(g.kernel_times != nullptr);
  CHECK(g.name == "T4");
  CHECK(g.kernel_times->gemm.size() == 8);
  CHECK(g.kernel_times->file == kSource + "/tests/workload/kernel-times/t4-hand.csv");
  CHECK(ComputeModel(g).gemm_efficiency({4096, 4096, 4096}) == Approx(0.8).epsilon(1e-12));
  // Without the key the same GPU uses the calibrated model.
  CHECK(ComputeModel(*find_gpu_model("T4")).gemm_efficiency({4096, 4096, 4096}) ==
        Approx(ComputeModel(*find_gpu_model("H200")).gemm_efficiency({4096, 4096, 4096})));
}

TEST_CASE("kernel times: the measuring script writes this header and complete plans", "[workload][kernel_times]") {
  auto run = [](const std::string& args) {
    const std::string cmd = "/usr/bin/python3 " + kSource + "/tools/measure_kernel_times.py " + args;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    CHECK(pclose(p) == 0);
    return out;
  };
  CHECK(run("--print-header") == std::string(kKernelTimesHeader) + "\n");
  // Whatever the GPU's memory, the rows it plans to measure make a file trainsim accepts.
  for (const char* plan : {"--plan 16", "--plan 16 --quick", "--plan 80", "--plan 4"}) {
    INFO(plan);
    const KernelTimes t = parse_kernel_times(run(plan), "plan.csv");
    CHECK(t.gemm.size() >= 8);
  }
  CHECK(parse_kernel_times(run("--plan 16"), "plan.csv").gemm.size() == 100);  // 5 x 5 x 4 on a T4
}

TEST_CASE("kernel times: a training run on GPUs with their own kernel times uses them", "[workload][kernel_times]") {
  // The same job on 8 H200 with the calibrated model and with the H200 sample CSV (the same
  // data): the same iteration time. With the hand-made T4 times instead of the calibrated T4
  // model: a different one (the file is really used).
  auto scenario = [](const std::string& gpu_lines) {
    return "name: k\nplatform:\n  clusters:\n    - name: c\n" + gpu_lines + R"(
      nodes: 1
      intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us}
      nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}
job:
  kind: training
  model: {name: small, family: gpt, layers: 8, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200}
  parallelism: {tp: 2, pp: 2, dp: 2}
  micro_batch: 1
  global_batch: 8
)";
  };
  auto iteration = [&](const std::string& gpu_lines) {
    return [&, gpu_lines] {
      const Scenario sc = load_scenario_text(scenario(gpu_lines), kSource + "/tests/workload/kernel-times/k.yaml");
      JobOptions o;
      o.quiet = true;
      const JobOutcome out = run_job(sc, o);
      for (const auto& v : out.trace.summary)
        if (v.name == "iteration_time") return std::to_string(v.value * 1e6);  // microseconds, 6 decimals
      return std::string("none");
    };
  };
  const auto out = run_isolated_all({iteration("      gpu: H200"),
                                     iteration("      gpu: H200\n      kernel_times: ../../../platforms/kernel-times/h200-calibration.csv"),
                                     iteration("      gpu: T4"), iteration("      gpu: T4\n      kernel_times: t4-hand.csv")},
                                    2);
  INFO(out[0] << " " << out[1] << " " << out[2] << " " << out[3]);
  CHECK(std::stod(out[0]) > 0);
  CHECK(out[0] == out[1]);
  CHECK(std::abs(std::stod(out[2]) / std::stod(out[3]) - 1) > 0.05);
}
