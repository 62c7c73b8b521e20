#pragma once
#include "engine/job.hpp"
#include "scenario/scenario.hpp"
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

// Appends a training result's summary values, tables and their terminal display (after the
// job's header lines) to `trace`. Without accounting (programs from elsewhere: `a.tokens == 0`)
// the throughput metrics are left out.
void describe_training(const TrainingResult& r, const TrainingAccounting& a, const GpuModel& gpu,
                       output::TraceData& trace);

// Runs a `training` scenario and builds its report and trace summary.
JobOutcome run_training_job(const Scenario& scenario, const TrainingSpec& spec, const JobOptions& options);

// Trace rows one training iteration keeps per GPU (the memory model's estimate, core/limits.hpp).
double training_rows_per_iteration(const ParallelPlan& plan);

// The memory model's sizes of the job, before anything is built.
limits::RunSize training_run_size(const Scenario& scenario, const TrainingSpec& spec, bool keep_activities);

// The programs the job plays (one set).
std::vector<JobPrograms> training_job_programs(const Scenario& scenario, const TrainingSpec& spec);

}  // namespace trainsim
