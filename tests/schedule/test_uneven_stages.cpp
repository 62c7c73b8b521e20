// Uneven virtual stages (issue 12): per-virtual-stage layer lists, checked by hand and the
// generated programs checked against the schedule executor fed with the same per-chunk costs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "parallel/plan.hpp"
#include "program/executor.hpp"
#include "schedule/executor.hpp"
#include "schedule/in_flight.hpp"
#include "support/platforms.hpp"
#include "support/programs.hpp"
#include "training/costs.hpp"
#include "training/meter.hpp"
#include "training/programs.hpp"
#include "training/simulator.hpp"

using namespace trainsim;
using schedule::ScheduleKind;

namespace {

// Llama 3's cut, scaled down: 30 layers on pp 4 x 2 chunks, the first and last virtual stages
// one layer fewer than the other six (3 + 6 x 4 + 3).
TrainingSpec llama_like(ScheduleKind kind = ScheduleKind::Interleaved1F1B, int chunks = 2) {
  TrainingSpec s;
  s.model = {"tiny", workload::Family::Gpt, 30, 1024, 16, 16, 4096, 1024, 128, false};
  s.plan.pp = 4;
  s.plan.micro_batch = 1;
  s.plan.global_batch = 8;
  s.plan.schedule = kind;
  s.plan.chunks = chunks;
  s.plan.layers_per_virtual_stage = {3, 4, 4, 4, 4, 4, 4, 3};
  return s;
}

std::string plan_error(const TrainingSpec& s) {
  try {
    validate_plan(s.plan, s.model, 64);
  } catch (const InputError& e) {
    return e.key() + ": " + e.message();
  }
  return "";
}

}  // namespace

TEST_CASE("layers_per_virtual_stage places each virtual stage's layers in model order", "[schedule][uneven]") {
  const auto s = llama_like();
  REQUIRE(plan_error(s).empty());
  // Virtual stage vs = chunk * pp + stage: stage 0 holds vs 0 (3 layers) and vs 4 (4 layers).
  CHECK(stage_layers(s.plan, s.model) == std::vector<int>{7, 8, 8, 7});
  CHECK(virtual_stage_layers(s.plan, s.model) == s.plan.layers_per_virtual_stage);
  const auto where = stage_of_layers(s.plan, s.model);
  REQUIRE(where.size() == 30);
  // Layers 0-2 on stage 0, 3-6 on stage 1, ..., 15-18 on stage 0 again (vs 4), 23-26 on stage 2
  // (vs 6), 27-29 on stage 3.
  CHECK(where[0] == 0);
  CHECK(where[2] == 0);
  CHECK(where[3] == 1);
  CHECK(where[15] == 0);
  CHECK(where[18] == 0);
  CHECK(where[19] == 1);
  CHECK(where[26] == 2);
  CHECK(where[27] == 3);
  CHECK(where[29] == 3);

  workload::ComputeModel cm(*find_gpu_model("A100-80GB"));
  const auto costs = stage_costs(s.model, s.plan, cm, TpLink{1e30, 0});
  CHECK(costs[0].chunks[0].layers == 3);
  CHECK(costs[0].chunks[0].first_layer == 0);
  CHECK(costs[0].chunks[0].embedding);
  CHECK(costs[0].chunks[1].layers == 4);
  CHECK(costs[0].chunks[1].first_layer == 15);
  CHECK(costs[3].chunks[1].layers == 3);
  CHECK(costs[3].chunks[1].first_layer == 27);
  CHECK(costs[3].chunks[1].lm_head);
  // A chunk's compute is its layers times one layer's (plus embedding / head where they sit).
  const double layer_fwd = costs[1].chunks[0].fwd_compute / 4;
  CHECK(costs[2].chunks[1].fwd_compute == Approx(4 * layer_fwd).epsilon(1e-12));
  CHECK(costs[3].chunks[0].fwd_compute == Approx(4 * layer_fwd).epsilon(1e-12));
}

TEST_CASE("the first and last virtual stages may hold only the embedding or the LM head", "[schedule][uneven]") {
  auto s = llama_like();
  s.plan.layers_per_virtual_stage = {0, 5, 5, 5, 5, 5, 5, 0};
  REQUIRE(plan_error(s).empty());
  workload::ComputeModel cm(*find_gpu_model("A100-80GB"));
  const auto costs = stage_costs(s.model, s.plan, cm, TpLink{1e30, 0});
  const auto emb = cm.embedding(s.model, 1, 1, false);
  const auto head = cm.lm_head(s.model, 1, 1, false);
  CHECK(costs[0].chunks[0].layers == 0);
  CHECK(costs[0].chunks[0].fwd_compute == Approx(emb.fwd).epsilon(1e-12));
  CHECK(costs[3].chunks[1].layers == 0);
  CHECK(costs[3].chunks[1].fwd_compute == Approx(head.fwd).epsilon(1e-12));
  // Activations then split by chunk weight 0 and 5: the layer-less chunk holds none.
  CHECK(chunk_activation_weights(s.plan, s.model, 0) == std::vector<double>{0, 5});
}

TEST_CASE("bad per-virtual-stage lists are refused naming the key", "[schedule][uneven]") {
  auto s = llama_like();
  s.plan.layers_per_virtual_stage = {3, 4, 4, 4, 4, 4, 4};
  CHECK_THAT(plan_error(s), Catch::StartsWith("layers_per_virtual_stage: has 7 entries; expected pp x chunks = 8"));
  s.plan.layers_per_virtual_stage = {3, 4, 4, 4, 4, 4, 4, 4};
  CHECK_THAT(plan_error(s), Catch::StartsWith("layers_per_virtual_stage: sums to 31; expected the model's 30"));
  s.plan.layers_per_virtual_stage = {4, 4, 4, 0, 4, 4, 4, 6};
  CHECK_THAT(plan_error(s), Catch::StartsWith("layers_per_virtual_stage: virtual stage 3 has no layer"));
  s.plan.layers_per_virtual_stage = {3, 4, 4, 4, 4, 4, 4, 3};
  s.plan.layers_per_stage = {7, 8, 8, 7};
  CHECK_THAT(plan_error(s), Catch::StartsWith("layers_per_virtual_stage: given with layers_per_stage"));
  // Without the list, a stage count that does not divide by chunks points at the list.
  s.plan.layers_per_virtual_stage.clear();
  CHECK_THAT(plan_error(s), Catch::Contains("layers_per_virtual_stage gives each chunk its own count"));
}

TEST_CASE("layer-weighted in-flight peak, by hand", "[schedule][uneven]") {
  // p = 2, m = 4, v = 2, rank 0 (docs/schedules.md):
  //   F0.0 F1.0 F0.1 F1.1 F2.0 B0.1 F3.0 B1.1 F2.1 B0.0 F3.1 B1.0 B2.1 B3.1 B2.0 B3.0
  // with chunk 0 weighing 3 and chunk 1 weighing 1 the running sum is
  //   3 6 7 8 11 10 13 12 13 10 11 8 7 6 3 0  -> peak 13,
  // while the unweighted peak is 5 (x 2 = 10 with equal weights 2).
  const auto sched = schedule::make_schedule({ScheduleKind::Interleaved1F1B, 2, 4, 2});
  CHECK(schedule::peak_weighted_in_flight(sched, 0, {3, 1}) == 13);
  CHECK(schedule::peak_weighted_in_flight(sched, 0, {2, 2}) == 2 * schedule::peak_in_flight(sched, 0).total);
  CHECK_THROWS_AS(schedule::peak_weighted_in_flight(sched, 0, {1}), std::out_of_range);
  CHECK_THROWS_AS(schedule::peak_weighted_in_flight(sched, 2, {1, 1}), std::out_of_range);
}

TEST_CASE("uneven interleaved programs run as the schedule executor says, memory as the estimator", "[schedule][uneven]") {
  // zb-v: the same eight virtual stages in a V (rank 0 holds virtual stages 0 and 7).
  for (const auto& s : {llama_like(), llama_like(ScheduleKind::OneFOneB, 1), llama_like(ScheduleKind::ZeroBubbleV, 2)}) {
    auto spec = s;
    if (spec.plan.chunks == 1) spec.plan.layers_per_virtual_stage = {7, 8, 8, 7};
    INFO(schedule::to_string(spec.plan.schedule) << " chunks " << spec.plan.chunks);
    const auto platform = testing::uniform_cluster(4, 1, 1e15, 1e15, 0);
    const auto set = training_programs(spec, platform, 0);
    TrainingMeter meter(set);
    program::execute(set, testing::FixedCosts(0, 0), &meter);
    const auto got = meter.result(1e15);

    workload::ComputeModel cm(platform.clusters[0].gpu);
    const auto costs = stage_costs(spec.model, spec.plan, cm, TpLink{1e30, 0});
    const int p = spec.plan.pp, v = spec.plan.chunks;
    schedule::ExecutorParams ep;
    ep.chunks = v;
    const schedule::Placement placement = chunk_placement(spec.plan);
    ep.layout = placement.layout;
    for (int vs = 0; vs < p * v; ++vs) {
      const auto& c = costs[placement.rank_of(vs)].chunks[placement.chunk_of(vs)];
      ep.durations.push_back({c.fwd, c.bwd(), c.bwd_input, c.bwd_weight});
    }
    const auto ref = schedule::execute(
        schedule::make_schedule({spec.plan.schedule, p, spec.plan.micro_batches(), v}), ep);
    double expect = 0;
    for (int st = 0; st < p; ++st)
      expect = std::max(expect, ref.timeline[st].back().end + cm.optimizer_step(costs[st].params()));
    CHECK(got.iteration_time == Approx(expect).epsilon(1e-9));
    // The stages' compute differs (7 vs 8 layers): each GPU's busy time is its own ops' sum.
    for (int st = 0; st < p; ++st) CHECK(got.stage_compute[st] == Approx(ref.busy[st]).epsilon(1e-9));

    const auto want = estimate_stage_memory(spec);
    for (int st = 0; st < p; ++st) {
      CHECK(got.stage_memory[st].activations == Approx(want[st].activations).epsilon(1e-12));
      CHECK(got.stage_memory[st].total() == Approx(want[st].total()).epsilon(1e-12));
    }
  }
}
