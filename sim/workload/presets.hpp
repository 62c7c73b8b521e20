#pragma once
// Named model shapes: the papers' models (Megatron SC21, Korthikanti 2022, GPT-3, Pipette) and
// Llama 3 (published configs), and MoE models (Mixtral, DeepSeek-V3, Qwen3-30B-A3B shapes).
// docs/model.md lists them with their sources.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workload/model_spec.hpp"

namespace trainsim::workload {

const std::vector<ModelSpec>& model_presets();
std::optional<ModelSpec> find_model_preset(std::string_view name);  // exact, case-sensitive
std::vector<std::string> model_preset_names();

}  // namespace trainsim::workload
