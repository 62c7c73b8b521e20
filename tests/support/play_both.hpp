#pragma once
// A program set played by the SimGrid player and by the reference executor, for the tests that
// compare the two.
#include <sstream>
#include <utility>

#include "collective/network_costs.hpp"
#include "engine/isolated.hpp"
#include "engine/player.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "program/executor.hpp"
#include "support/platforms.hpp"

namespace trainsim::testing {

// The player's (in a child process: one SimGrid engine per process) and the reference
// executor's makespans of `set` on `nodes` x `gpus` GPUs whose links add nothing but latency 0.
inline std::pair<double, double> played_and_executed(const program::ProgramSet& set, int nodes = 2, int gpus = 4) {
  const PlatformSpec fast = uniform_cluster(nodes, gpus, 1e18, 1e18, 0);
  std::istringstream is(run_isolated([&] {
    Simulation sim(fast, 0);
    const double played = play(sim, set, {nullptr, nullptr});
    std::ostringstream os;
    os.precision(17);
    os << played << " " << program::execute(set, NetworkCosts(sim.network(), set));
    return os.str();
  }));
  std::pair<double, double> out;
  is >> out.first >> out.second;
  return out;
}

}  // namespace trainsim::testing
