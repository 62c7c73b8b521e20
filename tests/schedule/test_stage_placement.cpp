// Stages smaller than a node (issue 14): the plan places pipeline stages at GPU granularity, so
// 4 stages of tp 2 share one 8-GPU node; nothing asks pp to divide the node count.
#include <catch2/catch.hpp>

#include "parallel/layout.hpp"
#include "parallel/plan.hpp"
#include "program/program.hpp"
#include "support/platforms.hpp"
#include "training/programs.hpp"
#include "workload/presets.hpp"

using namespace trainsim;

TEST_CASE("four stages of tp 2 on one 8-GPU node land on consecutive GPU pairs", "[stage-placement]") {
  TrainingSpec s;
  s.model = *workload::find_model_preset("gpt-1.7b");
  s.plan.tp = 2, s.plan.pp = 4, s.plan.dp = 1;
  s.plan.micro_batch = 1, s.plan.global_batch = 8;
  const auto platform = testing::uniform_cluster(1, 8, 300e9, 25e9, 1e-6);
  REQUIRE_NOTHROW(validate_plan(s.plan, s.model, platform.total_gpus()));
  const RankLayout layout(s.plan);
  for (int stage = 0; stage < 4; ++stage)
    CHECK(layout.tp_group(stage, 0) == std::vector<int>{2 * stage, 2 * stage + 1});
  CHECK(layout.pp_group(0, 0) == std::vector<int>{0, 2, 4, 6});
  CHECK(layout.pp_group(0, 1) == std::vector<int>{1, 3, 5, 7});
  // The programs put each rank on its GPU with its stage, and the pipeline groups are those.
  const auto set = training_programs(s, platform, 0);
  REQUIRE(set.ranks.size() == 8);
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    CHECK(set.ranks[r].gpu == static_cast<int>(r));
    CHECK(set.ranks[r].info.stage == static_cast<int>(r) / 2);
    CHECK(set.ranks[r].info.tp_rank == static_cast<int>(r) % 2);
  }
  // Two pipelines (one per tp rank), one node: dp 1 of tp 2 x pp 4 fills it exactly; dp 2 would not fit.
  s.plan.dp = 2;
  CHECK_THROWS_AS(validate_plan(s.plan, s.model, platform.total_gpus()), InputError);
}
