#include "configurator/training_bridge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "config/bandwidth_matrix.hpp"
#include "config/loader.hpp"
#include "config/scenario.hpp"
#include "configurator/configurator.hpp"
#include "core/error.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "training/costs.hpp"
#include "training/simulator.hpp"

namespace trainsim::configurator {

const ClusterSpec& single_cluster(const PlatformSpec& p) {
  if (p.clusters.size() != 1)
    throw InputError(SourceLocation{p.file, 0, 0}, "platform.clusters",
                     "the configurators need a platform with exactly one cluster, '" + p.name + "' has " +
                         std::to_string(p.clusters.size()));
  return p.clusters[0];
}

TpLink intra_node_tp_link(const ClusterSpec& c) {
  if (c.intra.kind == IntraNodeKind::NvSwitch) return {c.intra.bandwidth, c.intra.latency};
  return {c.intra.bandwidth / std::max(1, c.gpus_per_node - 1), c.intra.latency};
}

TrainingSpec spec_for(const TrainingSpec& base, const ConfigPoint& c, const std::vector<int>& mapping) {
  TrainingSpec s = base;
  auto& p = s.plan;
  p.tp = c.tp, p.pp = c.pp, p.dp = c.dp, p.micro_batch = c.micro_batch;
  p.chunks = 1;
  p.schedule = schedule::ScheduleKind::OneFOneB;
  p.layers_per_stage.clear();
  p.order = mapping.empty() ? RankOrder::Megatron : RankOrder::Explicit;
  p.mapping = mapping;
  return s;
}

CostFn training_cost_fn(const TrainingSpec& base, const ClusterSpec& cluster) {
  auto compute = std::make_shared<workload::ComputeModel>(cluster.gpu);
  const TpLink link = intra_node_tp_link(cluster);
  return [base, compute, link](const ConfigPoint& c) {
    const TrainingSpec s = spec_for(base, c, {});
    StageEstimate e;
    for (const auto& st : stage_costs(s.model, s.plan, *compute, link)) {
      double f = 0, b = 0;
      for (const auto& ch : st.chunks) f += ch.fwd, b += ch.bwd();
      e.t_f = std::max(e.t_f, f);
      e.t_b = std::max(e.t_b, b);
      e.stage_params = std::max(e.stage_params, st.params());
    }
    for (const auto& m : estimate_stage_memory(s)) e.memory = std::max(e.memory, m.total());
    return e;
  };
}

ConfigureInput configure_input(const Scenario& scenario, const TrainingSpec& job, const NodeBandwidth& bw,
                                      double memory_limit) {
  const ClusterSpec& c = single_cluster(scenario.platform);
  ConfigureInput in;
  in.model = job.model;
  in.global_batch = job.plan.global_batch;
  in.nodes = c.nodes;
  in.gpus_per_node = c.gpus_per_node;
  in.bandwidth = bw;
  in.costs = training_cost_fn(job, c);
  in.memory_limit = memory_limit > 0 ? memory_limit : c.gpu.memory_bytes;
  return in;
}

std::string simulate_recommendation_text(const Scenario& scenario, const TrainingSpec& job,
                                                const Recommendation& r) {
  const ClusterSpec& c = single_cluster(scenario.platform);
  TrainingSpec s = spec_for(job, r.config, recommendation_mapping(r, c.gpus_per_node));
  s.plan.iterations = 1;
  Simulation sim(scenario.platform, scenario.seed);
  const TrainingResult res = simulate_training(sim, s, scenario.seed, nullptr);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g %d", res.iteration_time, res.oom_stages.empty() ? 0 : 1);
  return buf;
}

SimulateFn child_simulator(const Scenario& scenario, const TrainingSpec& job, int jobs,
                                  std::function<void(size_t, size_t)> progress) {
  return [&scenario, &job, jobs, progress](const std::vector<Recommendation>& recs) {
    std::vector<std::function<std::string()>> work;
    for (const auto& r : recs) work.push_back([&scenario, &job, r] { return simulate_recommendation_text(scenario, job, r); });
    std::vector<ChildFailure> failures;
    if (progress) progress(0, recs.size());
    const auto texts = run_isolated_all(work, jobs, &failures, progress);
    std::vector<SimulatedRun> out(recs.size(), {std::nan(""), false});
    for (size_t i = 0; i < texts.size(); ++i) {
      int oom = 0;
      if (!texts[i].empty() && std::sscanf(texts[i].c_str(), "%lf %d", &out[i].seconds, &oom) == 2) out[i].oom = oom != 0;
      else out[i].seconds = std::nan("");
    }
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
                                                               double bytes) {
  const ClusterSpec& c = single_cluster(platform);
  const int n = c.nodes, g = c.gpus_per_node;
  std::vector<std::vector<double>> bw(n, std::vector<double>(n, 0));
  Simulation sim(platform, seed);
  Network& net = sim.network();
  auto exchange = [&net, bytes](int ga, int gb) {
    const double start = Simulation::now();
    auto c1 = simgrid::s4u::Comm::sendto_async(net.gpu_host(ga), net.gpu_host(gb), static_cast<uint64_t>(bytes));
    auto c2 = simgrid::s4u::Comm::sendto_async(net.gpu_host(gb), net.gpu_host(ga), static_cast<uint64_t>(bytes));
    c1->wait();
    c2->wait();
    const double latency = std::max(net.route_latency(ga, gb), net.route_latency(gb, ga));
    return bytes / (Simulation::now() - start + latency);
  };
  const auto rounds = profile_rounds(n);
  sim.spawn("bandwidth-profile", 0, [&] {
    auto run_round = [&](const std::vector<std::pair<int, int>>& pairs) {
      std::vector<simgrid::s4u::ActorPtr> actors;
      for (auto [a, b] : pairs)
        actors.push_back(sim.spawn("pair", a * g, [&bw, &exchange, a = a, b = b, g] {
          const double v = a == b ? exchange(a * g, a * g + 1) : exchange(a * g, b * g);
          bw[a][b] = bw[b][a] = v;
        }));
      for (auto& actor : actors) actor->join();
    };
    for (const auto& pairs : rounds) run_round(pairs);
    if (g >= 2) {
      std::vector<std::pair<int, int>> diag;
      for (int a = 0; a < n; ++a) diag.emplace_back(a, a);
      run_round(diag);
    }
  });
  sim.run();
  if (g < 2)
    for (int a = 0; a < n; ++a) bw[a][a] = c.intra.bandwidth;
  return bw;
}

NodeBandwidth profile_bandwidth(const PlatformSpec& platform, uint64_t seed) {
  const std::string text = run_isolated([&] {
    std::ostringstream os;
    os.precision(17);
    for (const auto& row : profile_bandwidth_here(platform, seed)) {
      for (double v : row) os << v << ' ';
      os << '\n';
    }
    return os.str();
  });
  const int n = single_cluster(platform).nodes;
  std::istringstream is(text);
  std::vector<std::vector<double>> m(n, std::vector<double>(n));
  for (auto& row : m)
    for (double& v : row)
      if (!(is >> v)) throw InternalError("bandwidth profile: short result from the child");
  return NodeBandwidth(std::move(m));
}

Session open_session(const std::string& scenario_file, const SessionOptions& options) {
  Session s;
  s.scenario = load_scenario_file(scenario_file);
  const auto* job = std::get_if<TrainingSpec>(&s.scenario.job);
  if (!job)
    throw InputError(SourceLocation{s.scenario.file, 0, 0}, "job.kind",
                     "the configurators need a 'training' job (model, global batch, sequence length)");
  s.job = *job;
  s.options = options;
  const ClusterSpec& c = single_cluster(s.scenario.platform);
  NodeBandwidth bw;
  if (!options.matrix_file.empty()) {
    const BandwidthMatrix m = load_bandwidth_matrix(options.matrix_file, c.name);
    if (static_cast<int>(m.bandwidth.size()) != c.nodes)
      throw InputError(SourceLocation{options.matrix_file, 0, 0}, "bandwidth",
                       "the matrix has " + std::to_string(m.bandwidth.size()) + " nodes but cluster '" + c.name +
                           "' has " + std::to_string(c.nodes));
    bw = NodeBandwidth::from_matrix(m);
    s.bandwidth_source = options.matrix_file;
  } else {
    bw = profile_bandwidth(s.scenario.platform, s.scenario.seed);
    s.bandwidth_source = "profiled on the simulated platform";
  }
  s.input = configure_input(s.scenario, s.job, bw, options.memory_limit);
  return s;
}

std::vector<Recommendation> run_method(const Session& s, Method m,
                                              const std::function<void(size_t, size_t)>& progress) {
  if (m == Method::Oracle)
    return oracle(s.input, s.options.configure, s.options.oracle_limit,
                  child_simulator(s.scenario, s.job, s.options.jobs, progress));
  return configure(m, s.input, s.options.configure);
}

}  // namespace trainsim::configurator
