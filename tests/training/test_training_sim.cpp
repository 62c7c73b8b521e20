// The training simulator against hand computations and the reference schedule executor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <tuple>

#include "engine/isolated.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "parallel/layout.hpp"
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

namespace {

// A small GPT whose stages are nearly uniform (tiny vocabulary: embedding and head cost little).
TrainingSpec uniform_gpt(int pp, int m, schedule::ScheduleKind kind, int chunks) {
  TrainingSpec s;
  s.model = {"tiny", workload::Family::Gpt, 32, 2048, 16, 16, 8192, 2048, 128, false};
  s.plan.pp = pp;
  s.plan.micro_batch = 1;
  s.plan.global_batch = m;
  s.plan.schedule = kind;
  s.plan.chunks = chunks;
  return s;
}

double simulated_bubble(TrainingSpec spec) {
  Simulation sim(testing::uniform_cluster(spec.plan.pp, 1, 1e15, 1e15, 0), 0);
  return simulate_training(sim, spec, 0, nullptr).bubble_fraction;
}

}  // namespace

TEST_CASE("GPipe and 1F1B bubbles equal (p-1)/(m+p-1) with uniform stages", "[training]") {
  // Each kind in its own child process (one simulation per process).
  const int p = 4, m = 8;
  std::vector<std::function<std::string()>> jobs;
  for (auto kind : {schedule::ScheduleKind::GPipe, schedule::ScheduleKind::OneFOneB})
    jobs.push_back([=] { return std::to_string(simulated_bubble(uniform_gpt(p, m, kind, 1))); });
  for (const auto& out : run_isolated_all(jobs, 2))
    CHECK(std::stod(out) == Approx(double(p - 1) / (m + p - 1)).margin(0.01));
}

TEST_CASE("interleaved 1F1B bubble equals (p-1)/(v*m+p-1), ZB-H1's well below 1F1B's", "[training]") {
  const int p = 4, m = 8, v = 2;
  std::vector<std::function<std::string()>> jobs = {
      [=] { return std::to_string(simulated_bubble(uniform_gpt(p, m, schedule::ScheduleKind::Interleaved1F1B, v))); },
      [=] { return std::to_string(simulated_bubble(uniform_gpt(p, m, schedule::ScheduleKind::ZeroBubbleH1, 1))); },
  };
  const auto out = run_isolated_all(jobs, 2);
  CHECK(std::stod(out[0]) == Approx(double(p - 1) / (v * m + p - 1)).margin(0.01));
  const double one_f_one_b = double(p - 1) / (m + p - 1);
  CHECK(std::stod(out[1]) < 0.6 * one_f_one_b);
}

TEST_CASE("a trace respects the pipeline's dependencies and a GPU never runs two ops at once", "[training]") {
  auto spec = uniform_gpt(4, 8, schedule::ScheduleKind::Interleaved1F1B, 2);
  spec.plan.dp = 2;
  spec.plan.global_batch = 16;
  Simulation sim(testing::uniform_cluster(8, 1, 100e9, 25e9, 1e-6), 0);
  Recorder rec(sim.network(), true);
  simulate_training(sim, spec, 0, &rec);
  using output::ActivityKind;
  const auto& acts = rec.trace().activities;
  const int p = 4;
  // (kind, micro-batch, virtual stage, gpu's dp replica) -> end time
  std::map<std::tuple<int, int, int, int>, double> end_of;
  RankLayout layout(spec.plan);
  auto replica = [&](int gpu) { return layout.coord(gpu).dp; };  // Megatron order: rank == gpu here
  for (const auto& a : acts)
    if (a.kind == ActivityKind::Forward || a.kind == ActivityKind::Backward)
      end_of[{int(a.kind), a.micro_batch, a.chunk * p + a.stage, replica(a.gpu)}] = a.end;
  int checked = 0;
  for (const auto& a : acts) {
    const int vs = a.chunk * p + a.stage;
    if (a.kind == ActivityKind::Forward && vs > 0) {
      CHECK(end_of.at({int(ActivityKind::Forward), a.micro_batch, vs - 1, replica(a.gpu)}) <= a.start + 1e-12);
      ++checked;
    }
    if (a.kind == ActivityKind::Backward && vs < 2 * p - 1) {
      CHECK(end_of.at({int(ActivityKind::Backward), a.micro_batch, vs + 1, replica(a.gpu)}) <= a.start + 1e-12);
      ++checked;
    }
  }
  CHECK(checked > 100);
  // Compute ops of one GPU never overlap.
  std::map<int, std::vector<std::pair<double, double>>> by_gpu;
  for (const auto& a : acts)
    if (a.kind == ActivityKind::Forward || a.kind == ActivityKind::Backward || a.kind == ActivityKind::Optimizer)
      by_gpu[a.gpu].push_back({a.start, a.end});
  for (auto& [gpu, v] : by_gpu) {
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i) CHECK(v[i].first >= v[i - 1].second - 1e-12);
  }
}

TEST_CASE("a straggler slows its stage by its factor and the whole pipeline with it", "[training]") {
  auto base = uniform_gpt(2, 8, schedule::ScheduleKind::OneFOneB, 1);
  auto slow = base;
  slow.stragglers.gpus = {{1, 1.5}};
  std::vector<std::function<std::string()>> jobs;
  for (const auto& s : {base, slow})
    jobs.push_back([s] {
      Simulation sim(testing::uniform_cluster(2, 1, 1e15, 1e15, 0), 0);
      auto r = simulate_training(sim, s, 0, nullptr);
      return std::to_string(r.iteration_time) + " " + std::to_string(r.stage_compute[1]) + " " +
             std::to_string(r.stage_compute[0]);
    });
  const auto out = run_isolated_all(jobs, 2);
  double t0, c0, f0, t1, c1, f1;
  std::sscanf(out[0].c_str(), "%lf %lf %lf", &t0, &c0, &f0);
  std::sscanf(out[1].c_str(), "%lf %lf %lf", &t1, &c1, &f1);
  CHECK(c1 == Approx(1.5 * c0).epsilon(1e-3));
  CHECK(f1 == Approx(f0).epsilon(1e-6));
  CHECK(t1 > 1.3 * t0);
}

TEST_CASE("memory per stage flags a plan that does not fit", "[training]") {
  TrainingSpec s;
  s.model = *workload::find_model_preset("gpt3-175b");
  s.plan.tp = 8;
  s.plan.micro_batch = 1;
  s.plan.global_batch = 8;
  auto mem = estimate_stage_memory(s);
  REQUIRE(mem.size() == 1);
  // 175B parameters on 8 GPUs: 16 bytes per parameter of model state alone is 350 GB per GPU.
  CHECK(mem[0].total() > 80.0 * (1ull << 30));
  CHECK(mem[0].weights == Approx(2.0 * mem[0].parameters));
}

TEST_CASE("ZeRO-3 gathers each op's parameters and reduce-scatters each backward's gradients", "[training]") {
  auto spec = uniform_gpt(2, 4, schedule::ScheduleKind::OneFOneB, 1);
  spec.plan.dp = 2;
  spec.plan.global_batch = 8;
  spec.plan.zero_stage = 3;
  Simulation sim(testing::uniform_cluster(4, 1, 100e9, 25e9, 1e-6), 0);
  Recorder rec(sim.network(), true);
  const auto r = simulate_training(sim, spec, 0, &rec);
  int forward = 0, backward = 0, comm = 0;
  double comm_bytes = 0, params = 0;
  for (const auto& a : rec.trace().activities)
    if (a.gpu == 0) {
      forward += a.kind == output::ActivityKind::Forward;
      backward += a.kind == output::ActivityKind::Backward;
      if (a.kind == output::ActivityKind::DpComm) ++comm, comm_bytes += a.bytes;
    }
  workload::ComputeModel cm(sim.network().spec().clusters[0].gpu);
  params = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0})[0].chunks[0].params;
  REQUIRE(forward == 4);
  REQUIRE(backward == 4);
  // One all-gather of the bf16 parameters per forward and per backward, one reduce-scatter of
  // the gradients per backward (collectives queued back to back may go out together).
  CHECK(comm_bytes == Approx((forward + backward) * 2 * params + backward * 2 * params));
  CHECK(comm >= 1);
  CHECK(r.exposed_dp > 0);
}

TEST_CASE("a straggler with overlapped gradient buckets and dp 8 completes (ranks issue the same collectives)", "[training]") {
  // Regression: buckets used to be merged by each rank from its own queue, so an out-of-step
  // rank could issue a different number of collectives than its data-parallel group: deadlock.
  auto spec = uniform_gpt(2, 4, schedule::ScheduleKind::OneFOneB, 1);
  spec.plan.dp = 8;
  spec.plan.global_batch = 32;
  spec.plan.overlap_grad_reduce = true;
  spec.plan.bucket_bytes = 1 << 20;
  spec.plan.iterations = 2;
  spec.stragglers.gpus = {{1, 1.3}, {6, 1.1}};
  Simulation sim(testing::uniform_cluster(16, 1, 100e9, 25e9, 1e-6), 0);
  const auto r = simulate_training(sim, spec, 0, nullptr);  // Simulation::run throws on deadlock
  CHECK(r.iteration_time > 0);
  CHECK(r.exposed_dp > 0);
}

TEST_CASE("tensor-parallel all-reduces are charged to the NVLink ports of the TP group (issue 10)", "[training]") {
  // One node of 2 GPUs, tp 2 only: the only traffic is the TP ring. Per micro-batch a layer has
  // two all-reduces of 2 b s h bytes in the forward and two in the backward, plus the
  // vocabulary-parallel embedding's and the LM head's; over two ranks each all-reduce sends
  // 2(n-1)/n = 1 buffer to the other rank and receives one.
  auto spec = uniform_gpt(1, 4, schedule::ScheduleKind::OneFOneB, 1);
  spec.plan.tp = 2;
  spec.model.vocab = 32000;
  Simulation sim(testing::uniform_cluster(1, 2, 100e9, 25e9, 1e-6), 0);
  Recorder rec(sim.network(), true);
  const auto r = simulate_training(sim, spec, 0, &rec);
  const double L = spec.model.layers, m = 4;
  const double buffer = 2.0 * spec.plan.micro_batch * spec.model.seq_len * spec.model.hidden;
  const double sent = m * (4 * L + 2) * buffer;  // per rank and iteration
  const auto& t = rec.finish(Simulation::now());
  for (int g = 0; g < 2; ++g) {
    const auto* port = sim.network().find_link("c.n0.gpu" + std::to_string(g) + ".nvlink");
    REQUIRE(port);
    const int index = static_cast<int>(port - sim.network().links().data());
    CHECK(rec.bytes_on_link(index) == Approx(2 * sent).epsilon(1e-12));  // sent + received
    // The load series keeps the busier direction of each link: one rank's sends.
    double series = 0;
    for (size_t row = 0; row < t.link_series.link.size(); ++row)
      if (t.link_series.link[row] == index)
        for (size_t b = 0; b < t.link_series.bins; ++b) series += t.link_series.bytes[row * t.link_series.bins + b];
    CHECK(series == Approx(sent).epsilon(1e-9));
    // Busy while the all-reduces ran: the exposed TP time of the iteration.
    CHECK(t.links[index].busy_time == Approx(r.exposed_tp).epsilon(1e-6));
  }
}

TEST_CASE("the memory peak of the programs equals the estimator on every schedule", "[training]") {
  struct Case {
    schedule::ScheduleKind kind;
    int chunks;
    workload::Recompute recompute;
    int zero;
  };
  const std::vector<Case> cases = {{schedule::ScheduleKind::GPipe, 1, workload::Recompute::None, 0},
                                   {schedule::ScheduleKind::OneFOneB, 1, workload::Recompute::Selective, 1},
                                   {schedule::ScheduleKind::Interleaved1F1B, 2, workload::Recompute::Full, 2},
                                   {schedule::ScheduleKind::ZeroBubbleH1, 1, workload::Recompute::None, 3}};
  std::vector<std::function<std::string()>> jobs;
  for (const auto& c : cases)
    jobs.push_back([c] {
      auto spec = uniform_gpt(4, 8, c.kind, c.chunks);
      spec.plan.dp = 2;
      spec.plan.global_batch = 16;
      spec.plan.recompute = c.recompute;
      spec.plan.zero_stage = c.zero;
      Simulation sim(testing::uniform_cluster(8, 1, 100e9, 25e9, 1e-6), 0);
      const auto r = simulate_training(sim, spec, 0, nullptr);
      const auto want = estimate_stage_memory(spec);
      double worst = 0;
      for (int s = 0; s < 4; ++s) {
        const auto& got = r.stage_memory[s];
        for (auto [a, b] : {std::pair{got.weights, want[s].weights}, {got.gradients, want[s].gradients},
                            {got.optimizer, want[s].optimizer}, {got.activations, want[s].activations},
                            {got.total(), want[s].total()}})
          worst = std::max(worst, std::abs(a / b - 1));
      }
      return std::to_string(worst);
    });
  const auto out = run_isolated_all(jobs, 2);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i);
    CHECK(std::stod(out[i]) < 1e-12);
  }
}
