#pragma once
// Scenario keys of mixture-of-experts jobs (docs/scenarios.md, "MoE models and expert
// parallelism"): the model map's family moe and MLA keys, the parallelism map's ep and
// expert_tp, the job's moe map and gemm_precision. Called from parse_training.cpp.
#include "config/yaml_reader.hpp"
#include "parallel/plan.hpp"
#include "platform/spec.hpp"
#include "scenario/training_spec.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {

// `family: gpt | llama | moe` and, with moe, `block: gpt | llama` (the style of its attention
// and FFNs). Sets model.family to the block style; returns whether the family is moe. With a
// preset, the family defaults to the preset's and cannot turn a MoE preset dense.
bool read_family(YamlMap& model_map, const workload::ModelSpec* preset, workload::ModelSpec& model);

// head_size, the MoE keys (family moe only) and the mla map, with their cross-field checks.
void read_moe_model(YamlMap& model_map, bool moe_family, const workload::ModelSpec* preset, workload::ModelSpec& model);

// parallelism: ep, expert_tp.
void read_expert_parallelism(YamlMap& parallelism, ParallelPlan& plan);

// The job's `moe:` map (MoE models only) and `gemm_precision`, and the checks that need the
// platform (FP8 on the job's GPUs, node-limited routing on its EP groups). Runs after
// validate_plan.
void read_moe_job(YamlMap& job, TrainingSpec& spec, const PlatformSpec& platform);

// Refuses, at the key that asks for it, what the expert-parallel programs do not model yet
// (training/moe_programs.hpp): tensor parallelism (tp or expert_tp > 1), ZeRO-3, overlapped
// gradient reduction.
void check_moe_programs(YamlMap& job, const TrainingSpec& spec);

}  // namespace trainsim
