#pragma once
// Named model shapes: the papers' models (Megatron SC21, Korthikanti 2022, GPT-3, Pipette) and
// Llama 3 (published configs), and MoE models (Mixtral, DeepSeek-V3, Qwen3-30B-A3B shapes).
// docs/model.md lists them with their sources.
//
// A scenario may override any field of a preset ({preset: llama3-70b, hidden: 4096}); the
// fields derived from another follow the user's value rather than keeping the preset's
// (docs/scenarios.md, "Model presets"):
//  - kv_heads: a multi-head-attention preset (every GPT: kv_heads = heads) keeps kv_heads equal
//    to the overridden heads; a grouped-query preset (Llama 3: 8 KV heads) keeps its KV-head
//    count;
//  - ffn_hidden: GPT's 4 h; Llama 3's SwiGLU rule (Meta's model.py): 1024 x ceil(floor(m x
//    floor(8 h / 3)) / 1024), m = 1.3 for 8B and 70B, 1.2 for 405B; a MoE preset keeps its
//    widths (no published rule ties them to hidden).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workload/model_spec.hpp"

namespace trainsim::workload {

const std::vector<ModelSpec>& model_presets();
std::optional<ModelSpec> find_model_preset(std::string_view name);  // exact, case-sensitive
std::vector<std::string> model_preset_names();

// The derived fields of `preset` (one of model_presets()) for an overridden heads or hidden.
int derived_kv_heads(const ModelSpec& preset, int heads);
int derived_ffn_hidden(const ModelSpec& preset, int hidden);

}  // namespace trainsim::workload
