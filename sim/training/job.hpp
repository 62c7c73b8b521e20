#pragma once
#include <ostream>

#include "config/scenario.hpp"
#include "engine/job.hpp"
#include "training/accounting.hpp"
#include "training/simulator.hpp"

namespace trainsim {

// Derived throughput metrics of a simulated training iteration.
struct TrainingMetrics {
  double iteration_time = 0, tokens_per_s = 0;
  double tflops_per_gpu = 0;  // Megatron's formula (recomputation counted when it is full)
  double mfu = 0;             // model FLOPs (no recomputation) / (time x GPUs x peak)
  double hfu = 0;             // hardware FLOPs (recomputation included) / (time x GPUs x peak)
};

TrainingMetrics training_metrics(const TrainingAccounting& a, const TrainingResult& result, double peak_flops);
TrainingMetrics training_metrics(const TrainingSpec& spec, const TrainingResult& result, double peak_flops);

// The report lines (after its header), summary values and tables of a training result. Without
// accounting (programs from elsewhere: `a.tokens == 0`) the throughput metrics are left out.
void describe_training(const TrainingResult& r, const TrainingAccounting& a, const GpuModel& gpu, std::ostream& report,
                       output::TraceData& trace);

// Runs a `training` scenario and builds its report and trace summary.
JobOutcome run_training_job(const Scenario& scenario, const TrainingSpec& spec, const JobOptions& options);

}  // namespace trainsim
