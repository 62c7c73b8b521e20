#pragma once
// The sample trace shared by the C++ tests and (through the "[sample]" test case, which writes
// it to disk) by tests/python/test_trace_schema.py. The values follow simple formulas so the
// Python test can recompute them: keep both sides in step when changing anything here.
#include <cstddef>

#include "output/trace.hpp"

namespace trainsim::output::testing {

inline constexpr ActivityKind kSampleKinds[] = {ActivityKind::Forward, ActivityKind::Backward,
                                                ActivityKind::PpSend, ActivityKind::DpComm};

inline ActivityRecord sample_activity(std::size_t i) {
  ActivityRecord a;
  a.kind = kSampleKinds[i % 4];
  a.start = 0.5 * static_cast<double>(i);
  a.end = a.start + 0.25;
  a.gpu = static_cast<int32_t>(i % 4);
  a.peer = a.kind == ActivityKind::PpSend ? static_cast<int32_t>((i + 1) % 4) : -1;
  a.stage = a.gpu / 2;
  a.micro_batch = static_cast<int32_t>(i / 4);
  a.chunk = 0;
  a.step = static_cast<int32_t>(i / 8);
  a.bytes = 1024.0 * static_cast<double>(i);
  a.flops = 1e12 * static_cast<double>(i);
  a.label = static_cast<int32_t>(i % 3);
  return a;
}

inline TraceData make_sample_trace(std::size_t activities = 16) {
  TraceData t;
  t.scenario_file = "examples/sample.yaml";
  t.scenario_text = "name: sample\nseed: 42\n";
  t.trainsim_version = "0.1.0";
  t.simgrid_version = "3.32";
  t.command_line = "trainsim run examples/sample.yaml --trace sample.h5";
  t.seed = 42;
  t.makespan = 8.0;
  t.label("fwd");
  t.label("bwd");
  t.label("send µ-batch");  // non-ASCII on purpose: strings are UTF-8
  for (int i = 0; i < 4; ++i)
    t.gpus.push_back({"gpu" + std::to_string(i), "H200", "c0", "node" + std::to_string(i / 2), i % 2, i / 2,
                      i % 2, 0, 0});
  for (std::size_t i = 0; i < activities; ++i) t.activities.push_back(sample_activity(i));
  t.links.push_back({"nvlink-0", "nvlink", 450e9, 1e-6, 1e9, 2.0});
  t.links.push_back({"nic-0", "nic", 50e9, 5e-6, 2e8, 4.0});
  t.link_series.bin_width = 1.0;
  t.link_series.bins = 8;
  t.link_series.link = {0, 1};
  for (int r = 0; r < 2; ++r)
    for (int b = 0; b < 8; ++b) t.link_series.bytes.push_back(100.0 * r + b);
  t.summary.push_back({"makespan", 8.0, "s"});
  t.summary.push_back({"throughput", 1234.5, "tokens/s"});
  t.summary_text.push_back({"schedule", "1f1b"});
  t.summary_text.push_back({"gpu", "H200"});
  Table sweep;
  sweep.name = "sweep";
  sweep.numeric_names = {"tp", "time"};
  sweep.numeric_columns = {{1, 2, 4}, {3.5, 2.0, 1.25}};
  sweep.text_names = {"plan"};
  sweep.text_columns = {{"a", "b", "c"}};
  t.tables.push_back(sweep);
  Table empty;
  empty.name = "empty";
  empty.numeric_names = {"x"};
  empty.numeric_columns = {{}};
  t.tables.push_back(empty);
  return t;
}

}  // namespace trainsim::output::testing
