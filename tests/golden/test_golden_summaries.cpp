// Golden summaries: every shipped scenario (scenarios/**/*.yaml with a job that `trainsim run`
// runs) is simulated and its numeric summary values compared with tests/golden/<path>.golden.
// Tolerance: 1e-9 relative (and 1e-12 absolute): the simulation is deterministic, so any larger
// change is a change of the model (or of how SimGrid resolves events closer than its 1e-9 s
// timing precision) and must be reviewed, explained in the commit, and the golden file
// regenerated:
//   TRAINSIM_UPDATE_GOLDEN=1 build/tests/test_golden
// Validation rows are held to published figures by tests/validation instead.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/isolated.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = TRAINSIM_SOURCE_DIR;

// Shipped scenarios that `trainsim run` runs, in a stable order. Validation rows and the
// configurator inputs (scenarios/pipette: compared by tests/configurator) are left out, as is
// anything slower than a few seconds.
std::vector<fs::path> shipped_scenarios() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(kSource / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    const auto rel = fs::relative(e.path(), kSource / "scenarios").generic_string();
    if (rel.rfind("validation/", 0) == 0 || rel.rfind("pipette/", 0) == 0) continue;
    // 16,384 GPUs at 131,072 tokens: compared with its published figure in docs/validation.md.
    if (rel.rfind("long-context/", 0) == 0) continue;
    if (rel.find("/platforms/") != std::string::npos) continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string summary_text(const fs::path& scenario) {
  Scenario sc = load_scenario_file(scenario.string());
  JobOutcome out = run_job(sc, {false, true});
  std::ostringstream os;
  os.precision(17);
  for (const auto& v : out.trace.summary) os << v.name << " " << v.value << " " << v.unit << "\n";
  return os.str();
}

std::map<std::string, double> parse(const std::string& text) {
  std::map<std::string, double> m;
  std::istringstream is(text);
  std::string name, unit;
  double value;
  while (is >> name >> value >> unit) m[name] = value;
  return m;
}

}  // namespace

TEST_CASE("golden summaries of the shipped scenarios", "[golden]") {
  const auto scenarios = shipped_scenarios();
  REQUIRE(!scenarios.empty());
  std::vector<std::function<std::string()>> jobs;
  for (const auto& s : scenarios) jobs.push_back([s] { return summary_text(s); });
  std::vector<ChildFailure> failures;
  const auto outs = run_isolated_all(jobs, 2, &failures);
  const bool update = std::getenv("TRAINSIM_UPDATE_GOLDEN") != nullptr;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    const auto rel = fs::relative(scenarios[i], kSource / "scenarios").generic_string();
    INFO("scenario " << rel);
    REQUIRE_FALSE(failures[i].failed);
    const fs::path golden = kSource / "tests/golden" / (rel + ".golden");
    if (update) {
      fs::create_directories(golden.parent_path());
      std::ofstream(golden) << outs[i];
      continue;
    }
    std::ifstream in(golden);
    REQUIRE(in.good());  // a new scenario needs its golden file (see the header comment)
    std::stringstream ss;
    ss << in.rdbuf();
    const auto want = parse(ss.str()), got = parse(outs[i]);
    CHECK(got.size() == want.size());
    for (const auto& [name, value] : want) {
      INFO("summary value " << name);
      REQUIRE(got.count(name));
      CHECK(got.at(name) == Approx(value).epsilon(1e-9).margin(1e-12));
    }
  }
}
