// Overrides (config/overrides.hpp, trainsim batch's grids): values put into a scenario's YAML
// before strict reading, into the platform file when the scenario names one; errors in an
// overridden value reported where it was written.
#include <catch2/catch.hpp>

#include "config/overrides.hpp"
#include "config/yaml_reader.hpp"
#include "jobs/load.hpp"

#include <unistd.h>

using namespace trainsim;

namespace {

const std::string kScenario = "scenarios/tutorial/gpt-1.7b-32gpu.yaml";

// Overrides from a grid text, each key's first value.
std::vector<Override> from_grid(const std::string& text) {
  const YAML::Node doc = parse_yaml(text, "grid.yaml");
  std::vector<Override> out;
  for (const auto& e : doc) out.push_back({e.first.Scalar(), e.second[0], "grid.yaml", location_of(e.first, "grid.yaml")});
  return out;
}

}  // namespace

TEST_CASE("overrides: job keys, added keys and the named platform file's keys") {
  ::chdir(TRAINSIM_SOURCE_DIR);
  const Scenario base = load_scenario_file(kScenario);
  const Scenario s = load_scenario_file(kScenario, from_grid("job.parallelism.dp: [2]\nseed: [7]\n"
                                                             "platform.clusters[0].nic.bandwidth: [100Gbps]\n"));
  const auto& job = s.job.as<TrainingSpec>();
  CHECK(job.plan.dp == 2);
  CHECK(s.seed == 7);  // absent from the file: added
  CHECK(s.platform.clusters[0].nic.bandwidth == Approx(100e9 / 8));
  CHECK(base.platform.clusters[0].nic.bandwidth != Approx(100e9 / 8));
  CHECK(s.text == base.text);  // the scenario's own text, as traces keep it
}

TEST_CASE("overrides: an error in an overridden value is at the grid's line, others name the overrides") {
  ::chdir(TRAINSIM_SOURCE_DIR);
  CHECK_THROWS_WITH(load_scenario_file(kScenario, from_grid("\njob.micro_batch: [0]\n")),
                    Catch::StartsWith("grid.yaml:2:19: error: key 'job.micro_batch'") &&
                        Catch::EndsWith("(the grid's value for " + kScenario + ")"));
  CHECK_THROWS_WITH(load_scenario_file(kScenario, from_grid("job.parallelism.dp: [3]\n")),
                    Catch::StartsWith(kScenario + ":") && Catch::EndsWith("(in the run with job.parallelism.dp=3)"));
}

TEST_CASE("overrides: key path syntax and overlaps") {
  CHECK(override_path_problem("platform.clusters[0].nic.bandwidth").empty());
  CHECK_FALSE(override_path_problem("a..b").empty());
  CHECK_FALSE(override_path_problem("a[x]").empty());
  CHECK_FALSE(override_path_problem("a.").empty());
  CHECK(override_paths_overlap("job.parallelism", "job.parallelism.dp"));
  CHECK(override_paths_overlap("a[0]", "a[0].b"));
  CHECK_FALSE(override_paths_overlap("job.parallelism", "job.parallelism_x"));
}
