#include "configurator/training_bridge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <string>
#include <variant>
#include <vector>

#include "config/bandwidth_matrix.hpp"
#include "config/job_kinds.hpp"
#include "config/loader.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"
#include "configurator/configurator.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/result_json.hpp"
#include "scenario/scenario.hpp"
#include "training/costs.hpp"
#include "training/job.hpp"
#include "training/simulator.hpp"

namespace trainsim::configurator {

const ClusterSpec& single_cluster(const PlatformSpec& p) {
  if (p.clusters.size() != 1)
    throw InputError(p.clusters.size() > 1 ? p.clusters[1].where : SourceLocation{p.file, 0, 0}, "platform.clusters[1]",
                     "the configurators need a platform with exactly one cluster (Pipette's setting), '" + p.name +
                         "' has " + std::to_string(p.clusters.size()) + "; expected a single-cluster platform");
  return p.clusters[0];
}

TpLink intra_node_tp_link(const ClusterSpec& c) {
  switch (c.intra.kind) {
    case IntraNodeKind::NvSwitch:
      return {c.intra.bandwidth, c.intra.latency};
    case IntraNodeKind::NvLinkMesh:
      return {c.intra.bandwidth / std::max(1, c.gpus_per_node - 1), c.intra.latency};
    case IntraNodeKind::Pcie: {
      // A node-wide ring crosses the GPUs' own links and, between switches and sockets, the
      // switch uplinks, the root complex and the socket link: the slowest of those present.
      const PcieTopology& p = c.intra.pcie;
      double bw = c.intra.bandwidth;
      for (double hop : {p.switch_uplink.bandwidth, p.root_complex.bandwidth, p.sockets > 1 ? p.socket_link.bandwidth : 0.0})
        if (hop > 0) bw = std::min(bw, hop);
      return {bw, c.intra.latency};
    }
  }
  return {c.intra.bandwidth, c.intra.latency};
}

TrainingSpec spec_for(const TrainingSpec& base, const ConfigPoint& c, const std::vector<int>& mapping,
                      const std::vector<int>& layers_per_stage) {
  TrainingSpec s = base;
  auto& p = s.plan;
  p.tp = c.tp, p.pp = c.pp, p.dp = c.dp, p.micro_batch = c.micro_batch;
  p.chunks = 1;
  p.schedule = schedule::ScheduleKind::OneFOneB;
  p.layers_per_stage = layers_per_stage;
  p.order = mapping.empty() ? RankOrder::Megatron : RankOrder::Explicit;
  p.mapping = mapping;
  return s;
}

TrainingSpec spec_for(const TrainingSpec& base, const Recommendation& r, int gpus_per_node) {
  return spec_for(base, r.config, recommendation_mapping(r, gpus_per_node), r.layers_per_stage);
}

AmpLayerCosts layer_forward_costs(const TrainingSpec& s, const workload::ComputeModel& compute, const TpLink& link) {
  // Three one-layer stages of a three-layer copy of the model: the middle stage is one layer,
  // the first adds the embedding, the last the LM head (costs do not depend on the depth).
  workload::ModelSpec three = s.model;
  three.layers = 3;
  ParallelPlan p = s.plan;
  p.pp = 3, p.chunks = 1, p.layers_per_stage = {1, 1, 1};
  const auto st = stage_costs(three, p, compute, link);
  AmpLayerCosts c;
  c.layer = st[1].chunks[0].fwd;
  c.embedding = st[0].chunks[0].fwd - c.layer;
  c.lm_head = st[2].chunks[0].fwd - c.layer;
  return c;
}

CostFn training_cost_fn(const TrainingSpec& base, const ClusterSpec& cluster) {
  auto compute = std::make_shared<workload::ComputeModel>(cluster.gpu);
  const TpLink link = intra_node_tp_link(cluster);
  return [base, compute, link](const ConfigPoint& c, const std::vector<int>& layers_per_stage) {
    const TrainingSpec s = spec_for(base, c, {}, layers_per_stage);
    StageEstimate e;
    for (const auto& st : stage_costs(s.model, s.plan, *compute, link)) {
      double f = 0, b = 0;
      for (const auto& ch : st.chunks) f += ch.fwd, b += ch.bwd();
      e.t_f = std::max(e.t_f, f);
      e.t_b = std::max(e.t_b, b);
      e.stage_params = std::max(e.stage_params, st.params());
    }
    for (const auto& m : estimate_stage_memory(s)) e.memory = std::max(e.memory, m.total());
    e.layer_fwd = layer_forward_costs(s, *compute, link);
    return e;
  };
}

ConfigureInput configure_input(const Scenario& scenario, const TrainingSpec& job, const NodeBandwidth& bw,
                                      double gpu_memory_limit) {
  const ClusterSpec& c = single_cluster(scenario.platform);
  ConfigureInput in;
  in.model = job.model;
  in.global_batch = job.plan.global_batch;
  in.nodes = c.nodes;
  in.gpus_per_node = c.gpus_per_node;
  in.bandwidth = bw;
  in.costs = training_cost_fn(job, c);
  in.memory_limit = gpu_memory_limit > 0 ? gpu_memory_limit : c.gpu.memory_bytes;
  return in;
}

std::string simulate_recommendation_text(const Scenario& scenario, const TrainingSpec& job,
                                                const Recommendation& r) {
  TrainingSpec s = spec_for(job, r, single_cluster(scenario.platform).gpus_per_node);
  s.plan.iterations = 1;
  Simulation sim(scenario.platform, scenario.seed);
  const TrainingResult res = simulate_training(sim, s, scenario.seed, nullptr);
  return output::results_to_json(simulated_run_results({res.iteration_time, !res.oom_stages.empty()}));
}

output::TraceData simulated_run_results(const SimulatedRun& run) {
  output::TraceData r;
  r.summary = {{"iteration_time", run.seconds, "s"}, {"oom", run.oom ? 1.0 : 0.0, "1"}};
  return r;
}

std::vector<std::string> simulate_texts(const Scenario& scenario, const TrainingSpec& job,
                                        const std::vector<Recommendation>& recs, int jobs, const Progress& progress) {
  std::vector<std::function<std::string()>> work;
  for (const auto& r : recs) work.push_back([&scenario, &job, r] { return simulate_recommendation_text(scenario, job, r); });
  std::vector<ChildFailure> failures;  // a failed child's text stays empty
  if (progress) progress(0, recs.size());
  return run_isolated_all(work, jobs, &failures, progress);
}

SimulatedRun parse_simulated_run(const std::string& text) {
  if (text.empty()) return {std::nan(""), false};  // the child failed
  try {
    const output::TraceData r = output::results_from_json(text);
    return {output::metric_value(r, "iteration_time"), output::metric_value(r, "oom") != 0};
  } catch (const std::runtime_error&) {
    return {std::nan(""), false};
  }
}

SimulateFn child_simulator(const Scenario& scenario, const TrainingSpec& job, int jobs) {
  return [&scenario, &job, jobs](const std::vector<Recommendation>& recs, const Progress& progress) {
    std::vector<SimulatedRun> out;
    for (const auto& text : simulate_texts(scenario, job, recs, jobs, progress)) out.push_back(parse_simulated_run(text));
    return out;
  };
}

std::vector<std::vector<std::pair<int, int>>> profile_rounds(int nodes) {
  std::vector<std::vector<std::pair<int, int>>> rounds;
  const int n = nodes % 2 ? nodes + 1 : nodes;  // n-1 is the resting slot when nodes is odd
  std::vector<int> ring(n);
  for (int i = 0; i < n; ++i) ring[i] = i;
  for (int r = 0; r + 1 < n; ++r) {
    std::vector<std::pair<int, int>> pairs;
    for (int i = 0; i < n / 2; ++i) {
      const int a = ring[i], b = ring[n - 1 - i];
      if (a < nodes && b < nodes) pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    rounds.push_back(std::move(pairs));
    std::rotate(ring.begin() + 1, ring.end() - 1, ring.end());  // node 0 stays, the rest turn
  }
  return rounds;
}

std::vector<std::vector<double>> profile_bandwidth_here(const PlatformSpec& platform, uint64_t seed,
                                                        const ProfileProcedure& procedure, double bytes,
                                                        const ProgressOptions* progress) {
  const ClusterSpec& c = single_cluster(platform);
  const int n = c.nodes, g = c.gpus_per_node;
  std::vector<std::vector<double>> bw(n, std::vector<double>(n, 0));
  Simulation sim(platform, seed);
  Network& net = sim.network();
  // nccl-tests sendrecv over `gpus`: rank k sends to k+1 and receives from k-1 (mod ranks).
  auto ring = [&net, bytes](const std::vector<int>& gpus) {
    const double start = Simulation::now();
    std::vector<simgrid::s4u::CommPtr> comms;
    double latency = 0;
    for (size_t k = 0; k < gpus.size(); ++k) {
      const int from = gpus[k], to = gpus[(k + 1) % gpus.size()];
      comms.push_back(simgrid::s4u::Comm::sendto_async(net.gpu_host(from), net.gpu_host(to), static_cast<uint64_t>(bytes)));
      latency = std::max(latency, net.route_latency(from, to));
    }
    for (auto& comm : comms) comm->wait();
    return bytes / (Simulation::now() - start + latency);
  };
  const int ranks = std::min(procedure.ranks_per_node, g);
  auto pair_ranks = [ranks, g](int a, int b) {
    std::vector<int> gpus;
    for (int node : {a, b})
      for (int k = 0; k < ranks; ++k) gpus.push_back(node * g + k);
    return gpus;
  };
  std::vector<std::vector<std::pair<int, int>>> rounds;
  if (procedure.parallel_rounds) rounds = profile_rounds(n);
  else
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b) rounds.push_back({{a, b}});
  std::optional<ProgressBar> bar;
  if (progress) bar.emplace("bandwidth profile", double(rounds.size() + (g >= 2 ? 1 : 0)), "rounds", *progress);
  sim.spawn("bandwidth-profile", 0, [&] {
    auto run_round = [&](const std::vector<std::pair<int, int>>& pairs) {
      std::vector<simgrid::s4u::ActorPtr> actors;
      for (auto [a, b] : pairs)
        actors.push_back(sim.spawn("pair", a * g, [&, a = a, b = b] {
          std::vector<int> gpus;
          if (a != b) gpus = pair_ranks(a, b);
          else
            for (int k = 0; k < g; ++k) gpus.push_back(a * g + k);
          bw[a][b] = bw[b][a] = ring(gpus);
        }));
      for (auto& actor : actors) actor->join();
      if (bar) bar->advance();
    };
    for (const auto& pairs : rounds) run_round(pairs);
    if (g >= 2) {
      std::vector<std::pair<int, int>> diag;
      for (int a = 0; a < n; ++a) diag.emplace_back(a, a);
      run_round(diag);
    }
  });
  sim.run();
  if (bar) bar->finish();
  if (g < 2)
    for (int a = 0; a < n; ++a) bw[a][a] = c.intra.bandwidth;
  return bw;
}

double pipette_matrix_precision(double bytes_per_s) {
  const double rounded = std::round(bytes_per_s / 1e7) * 1e7;
  return rounded > 0 ? rounded : bytes_per_s;
}

NodeBandwidth profile_bandwidth(const PlatformSpec& platform, uint64_t seed, const ProfileProcedure& procedure,
                                const ProgressOptions* progress) {
  // The child's results: table `bandwidth` (from, to, bandwidth in B/s), one row per node pair.
  const output::TraceData r = run_isolated_results([&] {
    output::TraceData out;
    auto t = output::Table::with_columns("bandwidth", {}, {"from", "to", "bandwidth"});
    const auto matrix = profile_bandwidth_here(platform, seed, procedure, kProfileMessageBytes, progress);
    for (size_t a = 0; a < matrix.size(); ++a)
      for (size_t b = 0; b < matrix[a].size(); ++b)
        t.add_row({}, {static_cast<double>(a), static_cast<double>(b), matrix[a][b]});
    out.tables.push_back(std::move(t));
    return out;
  });
  const size_t n = static_cast<size_t>(single_cluster(platform).nodes);
  const auto& t = output::table_named(r, "bandwidth");
  const auto &from = output::numeric_column(t, "from"), &to = output::numeric_column(t, "to"),
             &value = output::numeric_column(t, "bandwidth");
  if (t.rows() != n * n) throw InternalError("bandwidth profile: the child measured " + std::to_string(t.rows()) + " pairs");
  std::vector<std::vector<double>> m(n, std::vector<double>(n));
  for (size_t i = 0; i < t.rows(); ++i)
    m.at(static_cast<size_t>(from[i])).at(static_cast<size_t>(to[i])) = pipette_matrix_precision(value[i]);
  return NodeBandwidth(std::move(m));
}

Session open_session(const std::string& scenario_file, const SessionOptions& options) {
  Session s;
  s.scenario = load_scenario_file(scenario_file);
  const auto* job = std::get_if<TrainingSpec>(&s.scenario.job);
  if (!job)
    throw InputError(s.scenario.kind_at, "job.kind",
                     std::string("the configurators need a training job (model, global batch, sequence length), this is a ") +
                        std::string(job_kind_name(s.scenario.job)) + " job; expected kind: training");
  s.job = *job;
  s.options = options;
  const ClusterSpec& c = single_cluster(s.scenario.platform);
  // Every configuration simulates the whole platform; `jobs` of them run at once.
  const auto one = limits::estimate_memory(training_run_size(s.scenario, s.job, false));
  limits::check_memory({one.size, one.bytes * options.jobs}, limits::memory_ceiling(options.host_memory_limit),
                       s.scenario.job_at);
  NodeBandwidth bw;
  if (!options.matrix_file.empty()) {
    const BandwidthMatrix m = load_bandwidth_matrix(options.matrix_file, c.name);
    if (static_cast<int>(m.bandwidth.size()) != c.nodes) {
      YamlMap root(parse_yaml(read_text_file(options.matrix_file, {}, "--matrix"), options.matrix_file),
                   options.matrix_file, "");
      throw root.error("bandwidth", "the matrix has " + std::to_string(m.bandwidth.size()) + " rows, cluster '" +
                                        c.name + "' has " + std::to_string(c.nodes) + " nodes; expected one row per node");
    }
    bw = NodeBandwidth::from_matrix(m);
    s.bandwidth_source = options.matrix_file;
  } else {
    bw = profile_bandwidth(s.scenario.platform, s.scenario.seed);
    s.bandwidth_source = "profiled on the simulated platform";
  }
  s.input = configure_input(s.scenario, s.job, bw, options.gpu_memory_limit);
  return s;
}

Rankings rank_methods(const Session& s) {
  Rankings out;
  for (Method m : model_methods()) out.emplace_back(m, configure(m, s.input, s.options.configure));
  return out;
}

OracleResult run_oracle(const Session& s, const Rankings& rankings, SimulationCache& cache, const Progress& progress) {
  std::vector<Recommendation> proposals;
  for (const auto& [m, recs] : rankings) proposals.insert(proposals.end(), recs.begin(), recs.end());
  OracleOptions o = s.options.oracle;
  o.seed = s.options.configure.seed;
  return oracle(s.input, o, proposals, cache, progress);
}

}  // namespace trainsim::configurator
