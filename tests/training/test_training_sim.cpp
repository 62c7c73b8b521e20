// The training simulator against hand computations and the reference schedule executor.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "schedule/executor.hpp"
#include "support/platforms.hpp"
#include "training/costs.hpp"
#include "training/simulator.hpp"
#include "workload/presets.hpp"

using namespace trainsim;

namespace {

TrainingSpec small_gpt(int tp, int pp, int dp, int mb, int gbs, schedule::ScheduleKind kind, int chunks = 1) {
  TrainingSpec s;
  s.model = *workload::find_model_preset("gpt-1.7b");
  s.plan.tp = tp;
  s.plan.pp = pp;
  s.plan.dp = dp;
  s.plan.micro_batch = mb;
  s.plan.global_batch = gbs;
  s.plan.schedule = kind;
  s.plan.chunks = chunks;
  return s;
}

}  // namespace

TEST_CASE("pipeline with nearly free links matches the reference executor", "[training]") {
  // 4 stages on 4 nodes with very fast links: the SimGrid run must give the same makespan as
  // the pure list-scheduling executor fed with the same per-chunk costs.
  auto spec = small_gpt(1, 4, 1, 1, 8, schedule::ScheduleKind::OneFOneB);
  spec.model.tied_embeddings = false;  // no embedding sync
  Simulation sim(testing::uniform_cluster(4, 1, 1e15, 1e15, 0), 0);
  auto r = simulate_training(sim, spec, 0, nullptr);
  workload::ComputeModel cm(sim.network().spec().clusters[0].gpu);
  auto costs = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0});
  schedule::ExecutorParams ep;
  ep.chunks = 1;
  for (int s = 0; s < 4; ++s) {
    const auto& c = costs[s].chunks[0];
    ep.durations.push_back({c.fwd, c.bwd(), c.bwd_input, c.bwd_weight});
  }
  ep.p2p_delay = 0;
  auto ref = schedule::execute(schedule::make_schedule({schedule::ScheduleKind::OneFOneB, 4, 8, 1}), ep);
  // Each stage runs its optimizer step when its own last backward is done.
  double expect = 0;
  for (int s = 0; s < 4; ++s)
    expect = std::max(expect, ref.timeline[s].back().end + cm.optimizer_step(costs[s].params()));
  CHECK(r.iteration_time == Approx(expect).epsilon(1e-6));
  CHECK(r.bubble_fraction == Approx(ref.bubble_fraction).epsilon(0.02));
}
