#pragma once
// What a training iteration is worth, beside its time: tokens and FLOPs per iteration (the
// numerators of tokens/s, TFLOP/s per GPU, MFU and HFU). Computed from the job spec and carried
// in its programs' JobInfo, so that programs played from a file report the same metrics.
#include "program/program.hpp"
#include "training/spec.hpp"

namespace trainsim {

struct TrainingAccounting {
  double gpus = 0;
  double tokens = 0;          // per iteration: global batch x sequence
  double counted_flops = 0;   // Megatron's formula, recomputation counted when it is full
  double model_flops = 0;     // without recomputation (MFU)
  double hardware_flops = 0;  // with full recomputation (HFU)
};

TrainingAccounting training_accounting(const TrainingSpec& spec);
void store(const TrainingAccounting& a, program::JobInfo& job);
// From a JobInfo written by store(); fields it lacks stay 0 (their metrics are then omitted).
TrainingAccounting load_training_accounting(const program::JobInfo& job);

}  // namespace trainsim
