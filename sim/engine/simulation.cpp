#include "engine/simulation.hpp"

#include <simgrid/s4u/Engine.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "network/network.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {

static std::unique_ptr<sg4::Engine> make_engine(const PlatformSpec& platform,
                                                const SimulationOptions& options) {
  // SimGrid reads its options from argv; the strings must outlive the engine.
  static std::vector<std::string> args;
  args = {"trainsim", "--log=root.thresh:warning", "--log=xbt_cfg.thresh:warning",
          "--cfg=contexts/stack-size:" + std::to_string(options.stack_kib)};
  const size_t gpus = options.gpus ? options.gpus->size() : static_cast<size_t>(platform.total_gpus());
  if (!options.guard_pages || gpus > 8192) args.push_back("--cfg=contexts/guard-size:0");
  static std::vector<char*> argv;
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  auto engine = std::make_unique<sg4::Engine>(&argc, argv.data());
  // SimGrid installs its own SIGINT handler (print and exit 1): put ours back, so an
  // interrupted run removes its temporary outputs and exits 130 (docs/robustness.md).
  interrupt::install(/*force=*/true);
  Network::configure_engine(*engine);
  return engine;
}

Simulation::Simulation(const PlatformSpec& platform, uint64_t seed, SimulationOptions options)
    : engine_(make_engine(platform, options)), network_(std::make_unique<Network>(platform, seed, options.gpus)) {}

Simulation::~Simulation() = default;

sg4::ActorPtr Simulation::spawn(const std::string& name, int gpu, std::function<void()> body) {
  return sg4::Actor::create(name, network_->gpu_host(gpu), std::move(body));
}

double Simulation::run() {
  engine_->run();
  // SimGrid returns normally when every remaining actor is blocked: a deadlock of the
  // simulated program (a bug), never a result to report.
  if (const size_t blocked = engine_->get_actor_count(); blocked > 0)
    throw SimulationDeadlock("the simulation deadlocked at t = " + std::to_string(sg4::Engine::get_clock()) + " s with " +
                        std::to_string(blocked) + " actors blocked");
  return sg4::Engine::get_clock();
}

double Simulation::now() { return sg4::Engine::get_clock(); }

}  // namespace trainsim
