#pragma once
// One simulation: the SimGrid engine, the network built from a platform, and the actors
// that play the simulated GPUs. SimGrid's engine is a process singleton whose state survives
// its destruction, so a process runs at most one Simulation (engine/isolated.hpp runs
// several in child processes).
#include <cstdint>
#include <functional>
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "platform/spec.hpp"

namespace simgrid::s4u {
class Engine;
}

namespace trainsim {

class Network;

struct SimulationOptions {
  // Actor stacks: small stacks and no guard pages let 16k+ GPU actors fit (each guard page
  // costs a memory mapping; Linux allows ~65k). Our actors are shallow.
  int stack_kib = 64;
  bool guard_pages = true;  // turned off automatically above 8,192 GPUs
  // The GPUs the job runs on (global indices); only what routes between them cross is built,
  // which changes no result (network/network.hpp, GpuScope). std::nullopt: the whole platform.
  std::optional<std::vector<int>> gpus;
};

// Every remaining actor is blocked for ever: the simulated programs deadlock (a bug of a
// generator, or programs read from a file that cannot complete).
class SimulationDeadlock : public InternalError {
 public:
  using InternalError::InternalError;
};

class Simulation {
 public:
  Simulation(const PlatformSpec& platform, uint64_t seed, SimulationOptions options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  Network& network() { return *network_; }
  const Network& network() const { return *network_; }

  // Starts an actor on the host of `gpu`.
  simgrid::s4u::ActorPtr spawn(const std::string& name, int gpu, std::function<void()> body);

  // Runs until every actor has finished; returns the simulated time at the end. Throws
  // SimulationDeadlock when actors remain blocked.
  double run();

  static double now();

 private:
  std::unique_ptr<simgrid::s4u::Engine> engine_;
  std::unique_ptr<Network> network_;
};

}  // namespace trainsim
