// Simulated training against published runs (shared reference validation.md): Megatron-LM
// SC21 Table 1 (TFLOP/s per GPU) and Korthikanti et al. 2022 (iteration time). The scenarios in
// scenarios/validation/ are plain inputs; nothing in the model is fitted to these rows.
// Every row must land within 10% of the published figure. The rows and their published
// figures are read from scenarios/validation/published.tsv, the one place they are written
// (docs/gen/validation.py reads the same file to generate the table of docs/validation.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <algorithm>
#include <functional>
#include <vector>

#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "jobs/load.hpp"
#include "training/job.hpp"
#include "training/simulator.hpp"

using namespace trainsim;

namespace {

enum class Metric { TflopsPerGpu, IterationSeconds };

// Simulates the scenario and returns the relative error of `metric` against `published`.
double relative_error(const std::string& name, Metric metric, double published) {
  Scenario sc = load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/validation/" + name + ".yaml");
  const auto& spec = sc.job.as<TrainingSpec>();
  Simulation sim(sc.platform, sc.seed);
  const TrainingResult r = simulate_training(sim, spec, sc.seed, nullptr);
  const auto m = training_metrics(spec, r, sc.platform.clusters[0].gpu.peak_flops);
  const double simulated = metric == Metric::TflopsPerGpu ? m.tflops_per_gpu : r.iteration_time;
  const double err = simulated / published - 1;
  std::printf("%-32s published %8.2f simulated %8.2f error %+6.1f%%\n", name.c_str(), published, simulated, 100 * err);
  std::fflush(stdout);  // children leave with _exit
  return err;
}

struct Row {
  std::string name;
  Metric metric;
  double published;
};

// Rows of scenarios/validation/published.tsv: scenario, metric, published, row label, source.
std::vector<Row> published_rows() {
  std::ifstream in(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/validation/published.tsv");
  REQUIRE(in);
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, metric, published;
    std::getline(fields, name, '\t');
    std::getline(fields, metric, '\t');
    std::getline(fields, published, '\t');
    REQUIRE((metric == "tflops_per_gpu" || metric == "iteration_time"));
    rows.push_back({name, metric == "tflops_per_gpu" ? Metric::TflopsPerGpu : Metric::IterationSeconds,
                    std::stod(published)});
  }
  return rows;
}

}  // namespace

TEST_CASE("published runs: every row within 10%, median error under 5%", "[validation]") {
  const std::vector<Row> rows = published_rows();
  REQUIRE(rows.size() >= 9);  // the file is whole
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
