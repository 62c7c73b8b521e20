#include "training/accounting.hpp"

#include "workload/moe_ops.hpp"

namespace trainsim {

TrainingAccounting training_accounting(const TrainingSpec& spec) {
  const auto& p = spec.plan;
  const bool full = p.recompute == workload::Recompute::Full;
  TrainingAccounting a;
  a.gpus = p.gpus();
  a.tokens = double(p.global_batch) * spec.model.seq_len;
  a.counted_flops = workload::model_flops_per_iteration(spec.model, p.global_batch, full);
  a.model_flops = workload::model_flops_per_iteration(spec.model, p.global_batch, false);
  a.hardware_flops = workload::model_flops_per_iteration(spec.model, p.global_batch, full);
  return a;
}

void store(const TrainingAccounting& a, program::JobInfo& job) {
  job.values.emplace_back("gpus", a.gpus);
  job.values.emplace_back("tokens_per_iteration", a.tokens);
  job.values.emplace_back("counted_flops_per_iteration", a.counted_flops);
  job.values.emplace_back("model_flops_per_iteration", a.model_flops);
  job.values.emplace_back("hardware_flops_per_iteration", a.hardware_flops);
}

TrainingAccounting load_training_accounting(const program::JobInfo& job) {
  TrainingAccounting a;
  a.gpus = job.get("gpus");
  a.tokens = job.get("tokens_per_iteration");
  a.counted_flops = job.get("counted_flops_per_iteration");
  a.model_flops = job.get("model_flops_per_iteration");
  a.hardware_flops = job.get("hardware_flops_per_iteration");
  return a;
}

}  // namespace trainsim
