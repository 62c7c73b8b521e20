// The programs of every shipped scenario, dumped (`trainsim run --dump-programs`) and played
// back as a `programs` job on the same platform, give exactly the scenario's summary: every
// value bit for bit, in the same order. Abstract DiLoCo workers are models, not GPU programs,
// and are left out (job_programs refuses them).
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <sstream>
#include <unistd.h>

#include "engine/isolated.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {

std::string summary(const JobOutcome& out) {
  std::ostringstream os;
  os.precision(17);
  for (const auto& v : out.trace.summary) os << v.name << " " << v.value << " " << v.unit << "\n";
  return os.str();
}

// The scenario's summary, every GPU simulated: a programs file is played unfolded, and the round
// trip is compared bit for bit (folded runs agree to 1e-9: tests/engine/test_fold.cpp).
std::string simulated(const fs::path& file) {
  JobOptions options{false, true};
  options.fold = false;
  return summary(run_job(load_scenario_file(file.string()), options));
}

// The summary of its programs, dumped to a file and played back (each in its own process: one
// simulation per process).
std::string replayed(const fs::path& file) {
  Scenario s = load_scenario_file(file.string());
  const fs::path dir = fs::temp_directory_path() / ("trainsim-roundtrip-" + std::to_string(::getpid()));
  const auto dumps = programs_to_dump(s, dir.string());
  fs::create_directories(dir);
  for (const auto& d : dumps) write_programs_file(d.path, d.set, output::Existing::Replace);
  ProgramsSpec spec;
  spec.file = dumps.front().path;  // full DiLoCo workers: the first method's programs, as its summary
  spec.where = {file.string(), 0, 0};
  s.job = spec;
  const std::string got = summary(run_job(s, {false, true}));
  fs::remove_all(dir);
  return got;
}

// Checks the round trip of every scenario whose path (relative to scenarios/) starts with one of
// `prefixes` ("" matches all that no other test case covers).
void check_round_trips(const std::vector<std::string>& prefixes) {
  const fs::path root = fs::path(TRAINSIM_SOURCE_DIR) / "scenarios";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".yaml" || e.path().string().find("/platforms/") != std::string::npos) continue;
    const std::string rel = fs::relative(e.path(), root).generic_string();
    bool match = false;
    for (const auto& p : prefixes) match = match || rel.rfind(p, 0) == 0;
    // (long-context/ holds a 16,384-GPU run, beyond a test's time: as in the golden summaries.)
    if (prefixes.empty())
      match = rel.rfind("validation/", 0) != 0 && rel.rfind("pipette/", 0) != 0 && rel.rfind("long-context/", 0) != 0;
    if (!match) continue;
    const Scenario s = load_scenario_file(e.path().string());
    if (const auto* d = s.job.get_if<DilocoSpec>(); d && d->worker != WorkerMode::Full) continue;
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  std::vector<std::function<std::string()>> jobs;
  for (const auto& f : files) {
    jobs.push_back([f] { return simulated(f); });
    jobs.push_back([f] { return replayed(f); });
  }
  std::vector<ChildFailure> failures;
  const auto out = run_isolated_all(jobs, 2, &failures);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(files[i].filename().string() << ": " << failures[2 * i].message << failures[2 * i + 1].message);
    REQUIRE_FALSE(failures[2 * i].failed);
    REQUIRE_FALSE(failures[2 * i + 1].failed);
    CHECK(!out[2 * i].empty());
    CHECK(out[2 * i + 1] == out[2 * i]);
  }
}

}  // namespace

// One test case per group of scenarios, so that each stays well inside CTest's time limit.
TEST_CASE("dumped programs reproduce the summaries of the tutorial, default, nccl and DiLoCo scenarios", "[golden]") {
  check_round_trips({});
}

TEST_CASE("dumped programs reproduce the summaries of the Pipette scenarios", "[golden]") {
  check_round_trips({"pipette/"});
}

TEST_CASE("dumped programs reproduce the summaries of the Megatron validation rows up to 145.6B", "[golden]") {
  check_round_trips({"validation/megatron-1.7b", "validation/megatron-7.5b", "validation/megatron-39.1b",
                     "validation/megatron-145.6b"});
}

TEST_CASE("dumped programs reproduce the summary of the Megatron 1T validation row", "[golden]") {
  check_round_trips({"validation/megatron-1t"});
}

TEST_CASE("dumped programs reproduce the summaries of the Korthikanti validation rows", "[golden]") {
  check_round_trips({"validation/korthikanti-"});
}
