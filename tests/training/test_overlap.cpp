// Communication overlap of issue 12 by hand: the distributed optimizer's parameter all-gather
// during the next forward (overlap_param_gather) and Megatron-Core's tensor-parallel overlap
// (tp_comm_overlap).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <iomanip>
#include <sstream>
#include <string>

#include "collective/network_costs.hpp"
#include "engine/isolated.hpp"
#include "engine/player.hpp"
#include "engine/simulation.hpp"
#include "program/executor.hpp"
#include "support/platforms.hpp"
#include "support/programs.hpp"
#include "training/costs.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"

using namespace trainsim;

namespace {

TrainingSpec tiny(int layers, int tp, int dp, int m) {
  TrainingSpec s;
  s.model = {"tiny", workload::Family::Gpt, layers, 1024, 16, 16, 4096, 512, 1000, false};
  s.plan.tp = tp;
  s.plan.dp = dp;
  s.plan.micro_batch = 1;
  s.plan.global_batch = m * dp;
  return s;
}

// Iteration time and exposed TP of each spec, each simulated in its own process.
std::vector<std::pair<double, double>> simulate_each(const std::vector<TrainingSpec>& specs, const PlatformSpec& platform) {
  std::vector<std::function<std::string()>> jobs;
  for (const auto& s : specs)
    jobs.push_back([s, platform] {
      Simulation sim(platform, 0);
      const auto r = simulate_training(sim, s, 0, nullptr);
      std::ostringstream o;
      o << std::setprecision(17) << r.iteration_time << " " << r.exposed_tp;
      return o.str();
    });
  std::vector<std::pair<double, double>> out;
  for (const auto& text : run_isolated_all(jobs, 2)) {
    std::istringstream in(text);
    double a = 0, b = 0;
    in >> a >> b;
    out.emplace_back(a, b);
  }
  return out;
}

}  // namespace

TEST_CASE("overlap_param_gather hides all but the first bucket group's all-gather behind the forward", "[training][overlap]") {
  // dp 2 on two nodes, no latency, ZeRO-1, one micro-batch, 4 buckets. Without overlap the
  // iteration is F + B + RS + step + AG. With it the four bucket gathers are issued at the
  // iteration's start and the forward runs in four shares, each after its bucket's gather:
  // when a share (F/4) outlasts a bucket's gather (AG/4) only the first gather is exposed,
  // so the iteration is 3/4 AG shorter.
  const double bw = 1e11;
  auto spec = tiny(4, 1, 2, 1);
  spec.plan.zero_stage = 1;
  const auto platform = testing::uniform_cluster(2, 1, 1e12, bw, 0);
  workload::ComputeModel cm(platform.clusters[0].gpu);
  const auto c = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0})[0].chunks[0];
  spec.plan.bucket_bytes = 2.0 * c.params / 4 * (1 + 1e-9);  // exactly 4 buckets
  const double ag = 2.0 * c.params / 2 / bw;               // each of 2 ranks receives half
  REQUIRE(c.fwd_compute > ag);
  auto on = spec;
  on.plan.overlap_param_gather = true;
  const auto r = simulate_each({spec, on}, platform);
  CHECK(r[0].first - r[1].first == Approx(0.75 * ag).epsilon(1e-6));
}

TEST_CASE("tp_comm_overlap runs each pass in other kernels + G/t + max(G (t-1)/t, C)", "[training][overlap]") {
  // tp 2 with sequence parallelism on one node, two micro-batches. Without overlap a pass
  // takes its kernels K plus its TP collectives C; with it, K - G/2 + max(G/2, C) where G is
  // the pass's GEMM time: each pass saves min(G/2, C). C per collective is the same closed
  // form in both runs: the exposed TP time without overlap divided by the collectives.
  auto spec = tiny(4, 2, 1, 2);
  spec.plan.sequence_parallel = true;
  auto on = spec;
  on.plan.tp_comm_overlap = true;
  // At 20 GB/s the forward's GEMMs outlast its collectives; at 4 GB/s the collectives do.
  for (double nvlink : {20e9, 4e9}) {
    INFO("NVLink " << nvlink);
    const auto platform = testing::uniform_cluster(1, 2, nvlink, 1e10, 0);
    workload::ComputeModel cm(platform.clusters[0].gpu);
    const auto c = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0})[0].chunks[0];
    const auto r = simulate_each({spec, on}, platform);
    const double per_collective = r[0].second / (2 * (c.tp_fwd_count + c.tp_bwd_count));
    const double fwd_hidden = std::min(c.fwd_gemm, c.fwd_compute) / 2;
    const double bwd_hidden = std::min(c.bwd_input_gemm + c.bwd_weight_gemm, c.bwd_input_compute + c.bwd_weight) / 2;
    const double saved = 2 * (std::min(fwd_hidden, c.tp_fwd_count * per_collective) +
                              std::min(bwd_hidden, c.tp_bwd_count * per_collective));
    REQUIRE(saved > 0);
    CHECK(r[0].first - r[1].first == Approx(saved).epsilon(1e-6));
    // What is still exposed: the collectives' time beyond the GEMMs beside them.
    CHECK(r[1].second == Approx(r[0].second - saved).epsilon(1e-6));
    CHECK((c.tp_fwd_count * per_collective > fwd_hidden) == (nvlink < 10e9));
  }
}

TEST_CASE("the player and the reference executor agree on ZeRO-3, HSDP and overlap programs", "[training][overlap][fsdp]") {
  // Small programs of each new kind, played on SimGrid and by the reference executor (list
  // scheduling with each transfer and collective alone on the network): every op ends at the
  // same time. 2 nodes of 2 GPUs, every GPU its own NIC: no two flows share a link.
  const auto platform = testing::uniform_cluster(2, 2, 50e9, 10e9, 1e-6);
  std::vector<TrainingSpec> specs;
  auto zero3 = tiny(4, 1, 4, 2);
  zero3.plan.zero_stage = 3;
  zero3.plan.fsdp.unit_layers = 2;
  zero3.plan.fsdp.prefetch = 2;
  specs.push_back(zero3);
  auto hsdp = zero3;
  hsdp.plan.fsdp.shard_group = 2;
  hsdp.plan.grad_reduce_bytes = 4;
  specs.push_back(hsdp);
  auto overlap = tiny(4, 2, 2, 2);
  overlap.plan.sequence_parallel = true;
  overlap.plan.tp_comm_overlap = true;
  overlap.plan.zero_stage = 1;
  overlap.plan.overlap_param_gather = true;
  overlap.plan.overlap_grad_reduce = true;
  overlap.plan.bucket_bytes = 8e6;
  specs.push_back(overlap);
  std::vector<std::function<std::string()>> jobs;
  for (const auto& s : specs)
    jobs.push_back([s, platform] {
      const auto set = training_programs(s, platform, 0);
      Simulation sim(platform, 0);
      testing::TimingLog played(set), executed(set);
      const double makespan = play(sim, set, {nullptr, &played});
      const double reference = program::execute(set, NetworkCosts(sim.network(), set), &executed);
      double worst = std::abs(makespan - reference);
      for (const auto& [key, t] : played.times) worst = std::max(worst, std::abs(t.end - executed.at(key.first, key.second).end));
      std::ostringstream o;
      o << std::setprecision(17) << worst << " " << makespan << " " << played.times.size();
      return o.str();
    });
  const auto out = run_isolated_all(jobs, 2);
  for (size_t i = 0; i < out.size(); ++i) {
    INFO("case " << i << ": worst difference, makespan, ops: " << out[i]);
    std::istringstream in(out[i]);
    double worst = 1, makespan = 0, ops = 0;
    in >> worst >> makespan >> ops;
    CHECK(ops > 100);
    // SimGrid resolves event times to 1e-9 s (as tests/engine's comparison on every scenario).
    CHECK(worst < std::max(1e-9, 1e-8 * makespan));
  }
}
