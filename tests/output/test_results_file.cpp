// `trainsim run --results FILE.json`: the run's result model in its one serialized form
// (output/result_json.hpp), the same metrics and units as the HDF5 summary, written once.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "output/result_json.hpp"
#include "support/run_process.hpp"

namespace fs = std::filesystem;
using namespace trainsim::output;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("run --results: the result model as one line of JSON, refused over an existing file", "[output][results]") {
  const fs::path dir = fs::temp_directory_path() / ("trainsim-results-file-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string exe = std::string(TRAINSIM_BINARY_DIR) + "/sim/trainsim";
  const std::string file = (dir / "sub" / "r.json").string();
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {exe, "run", "scenarios/tutorial/gpt-1.7b-32gpu.yaml", "--quiet", "--results", file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return trainsim::testing::run_process(argv, TRAINSIM_SOURCE_DIR, {}, 60);
  };
  const auto first = run({});
  REQUIRE(first.status == 0);
  const std::string text = slurp(file);
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);  // one line
  const TraceData r = results_from_json(text);
  CHECK(metric_value(r, "iteration_time") > 0.5);  // the summary's 560.3 ms
  bool unit_s = false;
  for (const auto& m : r.summary) unit_s |= m.name == "iteration_time" && m.unit == "s";
  CHECK(unit_s);
  // Same inputs, same bytes; an existing file is refused without --force.
  const auto again = run({});
  CHECK(again.status == 2);
  CHECK(again.err.find("r.json") != std::string::npos);
  REQUIRE(run({"--force"}).status == 0);
  CHECK(slurp(file) == text);
  fs::remove_all(dir);
}
