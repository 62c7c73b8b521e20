// Simulated training against published runs (shared reference validation.md): Megatron-LM
// SC21 Table 1 (TFLOP/s per GPU) and Korthikanti et al. 2022 (iteration time). The scenarios in
// scenarios/validation/ are plain inputs; nothing in the model is fitted to these rows.
// Every row must land within 10% of the published figure (docs/validation.md lists them).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <algorithm>
#include <functional>
#include <vector>

#include "config/loader.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "training/job.hpp"
#include "training/simulator.hpp"

using namespace trainsim;

namespace {

enum class Metric { TflopsPerGpu, IterationSeconds };

// Simulates the scenario and returns the relative error of `metric` against `published`.
double relative_error(const std::string& name, Metric metric, double published) {
  Scenario sc = load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/validation/" + name + ".yaml");
  const auto& spec = std::get<TrainingSpec>(sc.job);
  Simulation sim(sc.platform, sc.seed);
  const TrainingResult r = simulate_training(sim, spec, sc.seed, nullptr);
  const auto m = training_metrics(spec, r, sc.platform.clusters[0].gpu.peak_flops);
  const double simulated = metric == Metric::TflopsPerGpu ? m.tflops_per_gpu : r.iteration_time;
  const double err = simulated / published - 1;
  std::printf("%-32s published %8.2f simulated %8.2f error %+6.1f%%\n", name.c_str(), published, simulated, 100 * err);
  std::fflush(stdout);  // children leave with _exit
  return err;
}

}  // namespace

struct Row {
  const char* name;
  Metric metric;
  double published;
};

TEST_CASE("published runs: every row within 10%, median error under 5%", "[validation]") {
  const std::vector<Row> rows = {
      {"megatron-1.7b", Metric::TflopsPerGpu, 137},
      {"megatron-7.5b", Metric::TflopsPerGpu, 142},
      {"megatron-39.1b", Metric::TflopsPerGpu, 138},
      {"megatron-145.6b", Metric::TflopsPerGpu, 148},
      {"megatron-1t", Metric::TflopsPerGpu, 163},
      {"korthikanti-22b-full", Metric::IterationSeconds, 1.42},
      {"korthikanti-22b-sp-selective", Metric::IterationSeconds, 1.10},
      {"korthikanti-530b-full", Metric::IterationSeconds, 49.05},
      {"korthikanti-530b-sp-selective", Metric::IterationSeconds, 37.83},
  };
  // One simulation per process: each row runs in a child, two at a time.
  std::vector<std::function<std::string()>> jobs;
  for (const auto& row : rows)
    jobs.push_back([row] { return std::to_string(relative_error(row.name, row.metric, row.published)); });
  const auto out = run_isolated_all(jobs, 2);
  std::vector<double> errors;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double err = std::stod(out[i]);
    INFO(rows[i].name << ": error " << 100 * err << "%");
    CHECK(std::abs(err) <= 0.10);
    errors.push_back(std::abs(err));
  }
  std::sort(errors.begin(), errors.end());
  const double median = errors[errors.size() / 2];
  std::printf("median absolute error %.1f%%\n", 100 * median);
  CHECK(median < 0.05);
}
