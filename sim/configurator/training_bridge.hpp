#pragma once
// What the configurators need from the rest of trainsim: per-stage compute times and the memory
// estimator (training/), simulated runs and the simulated bandwidth profile (engine/).
//
#include <functional>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "configurator/configurator.hpp"
#include "training/costs.hpp"

namespace trainsim::configurator {

// Pipette's message size for its bandwidth matrix (nccl-tests sendrecv_perf, 30 MiB).
inline constexpr double kProfileMessageBytes = 31457280;

// The cluster a configurator works on: exactly one in the platform (Pipette's setting).
const ClusterSpec& single_cluster(const PlatformSpec& p);

// Tensor-parallel link inside a node from the platform description (nominal, before spreads):
// NVSwitch port bandwidth and two half-latencies, or a mesh link's share of the GPU's NVLink.
TpLink intra_node_tp_link(const ClusterSpec& c);

// The job's plan with a configuration and placement applied (1F1B, one chunk, even layers).
TrainingSpec spec_for(const TrainingSpec& base, const ConfigPoint& c, const std::vector<int>& mapping);

// t_f, t_b from training/costs.hpp (the compute model, TP communication in), parameters of the
// largest stage, and the memory estimator's largest stage.
CostFn training_cost_fn(const TrainingSpec& base, const ClusterSpec& cluster);

ConfigureInput configure_input(const Scenario& scenario, const TrainingSpec& job, const NodeBandwidth& bw,
                               double memory_limit);

// --- simulated runs (each in its own child process: one SimGrid engine per process) ---

// Child job: one iteration of the recommendation on the scenario's platform; "seconds oom".
std::string simulate_recommendation_text(const Scenario& scenario, const TrainingSpec& job,
                                         const Recommendation& r);

// Simulates every recommendation in child processes, `jobs` at a time. A failed child gives NaN.
// `progress(done, total)`, if given, is called with 0 before each batch and as children finish
// (the CLI's progress bars, cli/batch_progress.hpp).
SimulateFn child_simulator(const Scenario& scenario, const TrainingSpec& job, int jobs,
                           std::function<void(size_t, size_t)> progress = {});

// --- Pipette's bandwidth profile, run on the simulated platform ---

// Node pairs of each parallel round (circle method: every pair exactly once, n-1 rounds for
// even n, n rounds for odd n with one node resting per round).
std::vector<std::vector<std::pair<int, int>>> profile_rounds(int nodes);

// Runs in the calling process (which must not have had an engine): every node pair exchanges
// one message each way between their GPU 0s (sendrecv), round after round; then every node's
// GPU 0 and GPU 1 do the same (the diagonal). Bandwidth = bytes / (time until both
// directions have arrived, route latency included), the figure nccl-tests reports for sendrecv.
std::vector<std::vector<double>> profile_bandwidth_here(const PlatformSpec& platform, uint64_t seed,
                                                        double bytes = kProfileMessageBytes);

// The same in a child process; the parent never creates an engine.
NodeBandwidth profile_bandwidth(const PlatformSpec& platform, uint64_t seed);

// --- what `configure` and `compare` share ---

struct SessionOptions {
  std::string matrix_file;   // Pipette JSON; "" = profile the simulated platform
  double memory_limit = 0;   // bytes; 0 = the GPU's HBM
  ConfigureOptions configure;
  int jobs = 2;              // child processes for simulated runs
  int oracle_limit = 0;      // 0 = simulate every feasible configuration
};

struct Session {
  Scenario scenario;
  TrainingSpec job;
  ConfigureInput input;
  SessionOptions options;
  std::string bandwidth_source;  // "profiled" or the matrix file
};

Session open_session(const std::string& scenario_file, const SessionOptions& options);

// `progress`: the oracle's simulations, as in child_simulator (other methods do not simulate).
std::vector<Recommendation> run_method(const Session& s, Method m,
                                       const std::function<void(size_t, size_t)>& progress = {});

}  // namespace trainsim::configurator
