#pragma once
// The training job: a model (workload), a parallel plan (execution), stragglers. The platform
// is the scenario's. Parsed by config/parse_training.cpp.
#include <string_view>

#include "parallel/plan.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {

struct TrainingSpec {
  static constexpr std::string_view kind = "training";  // `job: {kind: training}`
  workload::ModelSpec model;
  ParallelPlan plan;
  StragglerSpec stragglers;
  SourceLocation where;
};

}  // namespace trainsim
