// `trainsim sweep` as a user sees it: what it says about a scenario it cannot sweep, and grid
// points printed so that neighbours can be told apart.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "diloco/sweep.hpp"

using namespace trainsim;

namespace {

const std::string kSource = TRAINSIM_SOURCE_DIR;

// Runs `trainsim sweep ARGS`, returning what it printed on stdout.
std::string sweep_output(const std::vector<std::string>& words) {
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  try {
    cli::sweep_command(words);
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return captured.str();
}

std::string significant(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace

TEST_CASE("sweep on a training scenario names the file and the job kinds it accepts") {
  const std::string file = kSource + "/scenarios/tutorial/gpt-1.7b-32gpu.yaml";
  try {
    sweep_output({file, "--quiet"});
    FAIL("a training scenario was swept");
  } catch (const InputError& e) {
    CHECK(e.where().file == file);
    CHECK(e.where().line > 0);
    CHECK(e.key() == "job.kind");
    CHECK_THAT(e.message(), Catch::Contains("job kind is training") && Catch::Contains("expected kind: diloco"));
  }
}

TEST_CASE("sweep prints grid points with enough digits to tell neighbours apart") {
  // The tutorial's 30-point grid: its second point, 0.1374 Gbit/s, used to print as 0.1.
  const std::string out = sweep_output({kSource + "/scenarios/tutorial/streaming-diloco-two-dc.yaml", "--quiet"});
  CHECK_THAT(out, Catch::Contains(" 0.1374 "));
  CHECK_THAT(out, !Catch::Contains(" 0.1 "));
}

TEST_CASE("grid digits: neighbouring points always print differently, with at least 4 digits") {
  for (int points : {2, 10, 30, 50, 200, 1000, 10000}) {
    SweepSpec s;
    s.points = points;
    const auto grid = sweep_grid(s);
    const int digits = sweep_grid_digits(s);
    INFO(points << " points: " << digits << " digits");
    CHECK(digits >= 4);
    for (size_t i = 1; i < grid.size(); ++i) CHECK(significant(grid[i - 1], digits) != significant(grid[i], digits));
  }
}

TEST_CASE("journal keys tell every (model, method) pair apart, whatever their names") {
  // "a / b" with "c" and "a" with "b / c" used to share the key "<tag> a / b / c @ <bw>".
  CHECK(sweep_point_key("t", "a / b", "c", 1.0) != sweep_point_key("t", "a", "b / c", 1.0));
  CHECK(sweep_point_key("t", "a", "b", 1.0) != sweep_point_key("t", "a", "b", std::nextafter(1.0, 2.0)));
}
