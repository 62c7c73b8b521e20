// Pipette's full search on a 16-node, 128-GPU cluster: every (pp, tp, micro-batch) candidate,
// the memory filter and the annealing (default budget), for both variants; prints wall times.
// The bandwidth profile (one simulation in a child) is timed separately.
// Usage: bench_pipette_search [SCENARIO.yaml] [iterations]   (run from the repository root)
#include <chrono>
#include <cstdio>
#include <string>

#include "config/loader.hpp"
#include "configurator/training_bridge.hpp"

using namespace trainsim;
using namespace trainsim::configurator;

int main(int argc, char** argv) {
  const std::string file = argc > 1 ? argv[1] : "scenarios/pipette/v100-16node-8.1b.yaml";
  SessionOptions o;
  if (argc > 2) o.configure.iterations = std::stoi(argv[2]);
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  const Session s = open_session(file, o);
  auto t1 = clock::now();
  std::printf("%s: %d nodes x %d GPUs, model %s; profile + load %.2f s\n", file.c_str(), s.input.nodes,
              s.input.gpus_per_node, s.job.model.name.c_str(), std::chrono::duration<double>(t1 - t0).count());
  for (Method m : {Method::Pipette, Method::PipetteCorrected}) {
    const auto a = clock::now();
    const auto recs = configure(m, s.input, s.options.configure);
    const auto b = clock::now();
    const size_t space =
        runnable_space(s.input, m == Method::Pipette ? Stages::WholeNodes : Stages::SubNode).size();
    std::printf("%-18s search space %zu, fitting %zu, %d annealing iterations each: %.3f s (best %s, %.4f s predicted)\n",
                method_name(m).c_str(), space, recs.size(), s.options.configure.iterations,
                std::chrono::duration<double>(b - a).count(), recs.empty() ? "-" : config_text(recs[0].config).c_str(),
                recs.empty() ? 0.0 : recs[0].predicted);
  }
  return 0;
}
