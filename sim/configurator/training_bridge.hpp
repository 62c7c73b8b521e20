#pragma once
// What the configurators need from the rest of trainsim: per-stage compute times and the memory
// estimator (training/), simulated runs and the simulated bandwidth profile (engine/).
//
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "configurator/configurator.hpp"
#include "configurator/oracle.hpp"
#include "core/progress.hpp"
#include "output/trace.hpp"
#include "scenario/scenario.hpp"
#include "training/costs.hpp"

namespace trainsim::configurator {

// Pipette's message size for its bandwidth matrix (nccl-tests sendrecv_perf, 30 MiB).
inline constexpr double kProfileMessageBytes = 31457280;

// The cluster a configurator works on: exactly one in the platform (Pipette's setting).
const ClusterSpec& single_cluster(const PlatformSpec& p);

// Tensor-parallel link inside a node from the platform description (nominal, before spreads):
// NVSwitch port bandwidth, a mesh link's share of the GPU's NVLink, or on PCIe nodes the slowest
// of the GPU's link and the tree links a node-wide ring crosses.
TpLink intra_node_tp_link(const ClusterSpec& c);

// The job's plan with a configuration, placement and layer split applied (1F1B, one chunk;
// every other key of the job as it was).
TrainingSpec spec_for(const TrainingSpec& base, const ConfigPoint& c, const std::vector<int>& mapping,
                      const std::vector<int>& layers_per_stage);
TrainingSpec spec_for(const TrainingSpec& base, const Recommendation& r, int gpus_per_node);

// Forward seconds of one micro-batch per layer type under the job's plan (AMP's profile).
AmpLayerCosts layer_forward_costs(const TrainingSpec& job, const workload::ComputeModel& compute, const TpLink& link);

// t_f, t_b from training/costs.hpp (the compute model, TP communication in), parameters of the
// largest stage, the memory estimator's largest stage, and the per-layer-type forwards.
CostFn training_cost_fn(const TrainingSpec& base, const ClusterSpec& cluster);

// `gpu_memory_limit` 0: the GPU's HBM.
ConfigureInput configure_input(const Scenario& scenario, const TrainingSpec& job, const NodeBandwidth& bw,
                               double gpu_memory_limit);

// --- simulated runs (each in its own child process: one SimGrid engine per process) ---

// Child job: one iteration of the recommendation on the scenario's platform, its results
// (simulated_run_results) in the one serialized form (output/result_json.hpp).
std::string simulate_recommendation_text(const Scenario& scenario, const TrainingSpec& job,
                                         const Recommendation& r);
// A simulated configuration as results: metrics iteration_time (s) and oom (1 or 0).
output::TraceData simulated_run_results(const SimulatedRun& run);

// The runs' results as text (serialized results, "" for a failed child): every recommendation in a
// child process, `jobs` at a time. `progress(done, total)`, if given, is called with 0 first and
// as children finish. The text is what a sharded compare's parts keep (scaleout/).
std::vector<std::string> simulate_texts(const Scenario& scenario, const TrainingSpec& job,
                                        const std::vector<Recommendation>& recs, int jobs, const Progress& progress);
// A run from its text; a failed child's ("" or unreadable) is NaN seconds.
SimulatedRun parse_simulated_run(const std::string& text);

// simulate_texts, parsed: a failed child gives NaN.
SimulateFn child_simulator(const Scenario& scenario, const TrainingSpec& job, int jobs);

// --- Pipette's bandwidth profile, run on the simulated platform ---

// Node pairs of each parallel round (circle method: every pair exactly once, n-1 rounds for
// even n, n rounds for odd n with one node resting per round).
std::vector<std::vector<std::pair<int, int>>> profile_rounds(int nodes);

// How the matrix is measured. Pipette's released procedure runs nccl-tests sendrecv with 4
// ranks on each node of a pair and an 8-GPU ring inside each node for the diagonal; its pairs
// run in recursive-halving rounds, which trainsim replaces by the circle method's rounds
// (docs/pipette.md, deviations).
struct ProfileProcedure {
  int ranks_per_node = 4;        // GPUs of each node in a pair's sendrecv ring
  bool parallel_rounds = true;   // disjoint pairs at the same time; false: one pair at a time
};

// Runs in the calling process (which must not have had an engine): each node pair runs a
// sendrecv ring over the first `ranks_per_node` GPUs of both nodes (one message per rank,
// round after round); then every node runs a ring over all its GPUs (the diagonal).
// Bandwidth = bytes / (time until every message arrived + the ring's largest route latency).
// With `progress`, a bar of the rounds done ("bandwidth profile [###---] 63/256 rounds ...", the
// diagonal last) on its stream when that is a terminal (core/progress.hpp): hundreds of nodes
// take minutes.
std::vector<std::vector<double>> profile_bandwidth_here(const PlatformSpec& platform, uint64_t seed,
                                                        const ProfileProcedure& procedure = {},
                                                        double bytes = kProfileMessageBytes,
                                                        const ProgressOptions* progress = nullptr);

// A figure as Pipette's JSON keeps it: 2 decimals of GB/s (a value that would round to 0 is
// kept as it is).
double pipette_matrix_precision(double bytes_per_s);

// The profile in a child process (the parent never creates an engine), at Pipette's precision.
// The child draws the progress bar (it inherits the stream).
NodeBandwidth profile_bandwidth(const PlatformSpec& platform, uint64_t seed, const ProfileProcedure& procedure = {},
                                const ProgressOptions* progress = nullptr);

// --- what `configure` and `compare` share ---

struct SessionOptions {
  std::string matrix_file;        // Pipette JSON; "" = profile the simulated platform
  double gpu_memory_limit = 0;    // bytes per GPU a configuration may use; 0 = the GPU's HBM
  std::optional<std::string> host_memory_limit;  // --host-memory-limit (core/limits.hpp)
  ConfigureOptions configure;
  OracleOptions oracle;
  int jobs = 2;                   // child processes for simulated runs
};

struct Session {
  Scenario scenario;
  TrainingSpec job;
  ConfigureInput input;
  SessionOptions options;
  std::string bandwidth_source;  // "profiled" or the matrix file
};

// Loads the scenario, refuses runs beyond the host's memory, profiles or reads the matrix.
Session open_session(const std::string& scenario_file, const SessionOptions& options);

// Every model method's ranking, in model_methods() order.
using Rankings = std::vector<std::pair<Method, std::vector<Recommendation>>>;
Rankings rank_methods(const Session& s);

// The oracle over the session, seeded with every proposal of `rankings`.
OracleResult run_oracle(const Session& s, const Rankings& rankings, SimulationCache& cache,
                        const Progress& progress = {});

}  // namespace trainsim::configurator
