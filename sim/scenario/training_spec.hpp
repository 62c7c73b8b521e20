#pragma once
// The training job: a model (workload), a parallel plan (execution), stragglers. The platform
// is the scenario's. Parsed by config/parse_training.cpp.
#include "parallel/plan.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {

struct TrainingSpec {
  workload::ModelSpec model;
  ParallelPlan plan;
  StragglerSpec stragglers;
  SourceLocation where;
};

}  // namespace trainsim
