// Scoped-build benchmark: runs a scenario's job once, building either only the GPUs the job uses
// (the default of `trainsim run`) or the whole platform (JobOptions::whole_platform), and prints
// the wall time, the peak RSS and the first summary value (which must agree between the two).
// Usage: bench_job_scope <scenario.yaml> scoped|whole   (one simulation per process).
// bench/job_scope.sh runs both on a 100,000-GPU platform.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "jobs/load.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[2], "scoped") != 0 && std::strcmp(argv[2], "whole") != 0)) {
    std::fprintf(stderr, "usage: %s <scenario.yaml> scoped|whole\n", argv[0]);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Scenario scenario = load_scenario_file(argv[1]);
  JobOptions options;
  options.quiet = true;
  options.whole_platform = std::strcmp(argv[2], "whole") == 0;
  const JobOutcome out = run_job(scenario, options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto& first = out.trace.summary.at(0);
  std::printf("%-7s %d GPUs in the platform: wall %.2f s, peak RSS %.0f MiB, %s = %.12g %s\n", argv[2],
              scenario.platform.total_gpus(), wall, static_cast<double>(u.ru_maxrss) / 1024.0, first.name.c_str(),
              first.value, first.unit.c_str());
  return 0;
}
