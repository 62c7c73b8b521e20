#include "workload/presets.hpp"

namespace trainsim::workload {

namespace {
ModelSpec gpt(const char* name, int layers, int hidden, int heads, int seq = 2048, int vocab = 51200) {
  return {name, Family::Gpt, layers, hidden, heads, heads, 4 * hidden, seq, vocab, true};
}
ModelSpec llama(const char* name, int layers, int hidden, int heads, int ffn) {
  // Llama 3: 8 KV heads, 128256-token vocabulary, 8192 context, untied output matrix.
  return {name, Family::Llama, layers, hidden, heads, 8, ffn, 8192, 128256, false};
}
}  // namespace

const std::vector<ModelSpec>& model_presets() {
  static const std::vector<ModelSpec> presets = {
      // Megatron-LM SC21 Table 1 (validation.md): V = 51200, s = 2048.
      gpt("gpt-1.7b", 24, 2304, 24),
      gpt("gpt-7.5b", 36, 4096, 32),
      gpt("gpt-39.1b", 48, 8192, 64),
      gpt("gpt-145.6b", 80, 12288, 96),
      gpt("gpt-1t", 128, 25600, 160),
      // Korthikanti et al. 2022.
      gpt("gpt-22b", 48, 6144, 64),
      gpt("gpt-530b", 105, 20480, 128),
      // GPT-3 175B (Brown et al. 2020, Table 2.1); Megatron pads the 50257-token vocabulary to 51200.
      gpt("gpt3-175b", 96, 12288, 96),
      // Pipette's GPT presets (date2024_pipette code).
      gpt("gpt-8.1b", 64, 3072, 24),
      gpt("gpt-18b", 40, 6144, 48),
      gpt("gpt-39b", 48, 8192, 64),
      // Llama 3 herd (Dubey et al. 2024, Table 3; HF config.json).
      llama("llama3-8b", 32, 4096, 32, 14336),
      llama("llama3-70b", 80, 8192, 64, 28672),
      llama("llama3-405b", 126, 16384, 128, 53248),
  };
  return presets;
}

std::optional<ModelSpec> find_model_preset(std::string_view name) {
  for (const auto& m : model_presets())
    if (m.name == name) return m;
  return std::nullopt;
}

namespace {
// Llama 3's ffn_dim_multiplier per preset (Meta's params.json); multiple_of is 1024 for all.
double llama_ffn_multiplier(const std::string& preset) { return preset == "llama3-405b" ? 1.2 : 1.3; }
constexpr int kLlamaMultipleOf = 1024;
}  // namespace

int derived_kv_heads(const ModelSpec& preset, int heads) {
  return preset.kv_heads == preset.heads ? heads : preset.kv_heads;
}

int derived_ffn_hidden(const ModelSpec& preset, int hidden) {
  if (preset.family == Family::Gpt) return 4 * hidden;
  const long long swiglu = 8LL * hidden / 3;  // int(2 * 4h / 3)
  const auto scaled = static_cast<long long>(llama_ffn_multiplier(preset.name) * static_cast<double>(swiglu));
  return static_cast<int>(kLlamaMultipleOf * ((scaled + kLlamaMultipleOf - 1) / kLlamaMultipleOf));
}

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const auto& m : model_presets()) names.push_back(m.name);
  return names;
}

}  // namespace trainsim::workload
