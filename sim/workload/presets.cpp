#include "workload/presets.hpp"

namespace trainsim::workload {

namespace {
ModelSpec shape(const char* name, Family family, int layers, int hidden, int heads, int kv_heads, int ffn, int seq,
                int vocab, bool tied) {
  ModelSpec m;
  m.name = name;
  m.family = family;
  m.layers = layers;
  m.hidden = hidden;
  m.heads = heads;
  m.kv_heads = kv_heads;
  m.ffn_hidden = ffn;
  m.seq_len = seq;
  m.vocab = vocab;
  m.tied_embeddings = tied;
  return m;
}
ModelSpec gpt(const char* name, int layers, int hidden, int heads, int seq = 2048, int vocab = 51200) {
  return shape(name, Family::Gpt, layers, hidden, heads, heads, 4 * hidden, seq, vocab, true);
}
ModelSpec llama(const char* name, int layers, int hidden, int heads, int ffn) {
  // Llama 3: 8 KV heads, 128256-token vocabulary, 8192 context, untied output matrix.
  return shape(name, Family::Llama, layers, hidden, heads, 8, ffn, 8192, 128256, false);
}
ModelSpec with_moe(ModelSpec m, int experts, int top_k, int expert_ffn, int shared_ffn = 0, int dense_layers = 0,
                   RouterScore score = RouterScore::Softmax) {
  m.moe.experts = experts;
  m.moe.top_k = top_k;
  m.moe.expert_ffn_hidden = expert_ffn;
  m.moe.shared_ffn_hidden = shared_ffn;
  m.moe.dense_layers = dense_layers;
  m.moe.score = score;
  return m;
}
// Mixtral (Jiang et al. 2024, Table 1; Mistral AI's config.json): Llama-style blocks, GQA with 8
// KV heads, every layer MoE with top-2 of 8 SwiGLU experts, untied head. seq_len 4096 is this
// preset's training choice, not a published one (the models' context is 32k / 64k).
ModelSpec mixtral(const char* name, int layers, int hidden, int heads, int expert_ffn, int vocab) {
  return with_moe(shape(name, Family::Llama, layers, hidden, heads, 8, expert_ffn, 4096, vocab, false), 8, 2,
                  expert_ffn);
}
// DeepSeek-V3 (arXiv 2412.19437, Sec. 4.2; DeepSeek's config.json): 61 layers, the first 3 dense
// (FFN 18432), MLA (q rank 1536, kv rank 512, per head 128 + 64 rotary, values 128), 1 shared +
// 256 routed experts of width 2048, top-8 with sigmoid scores, vocabulary 129280, sequence 4096.
// The multi-token-prediction module (14B more) is not part of the 671B and not modelled.
ModelSpec deepseek_v3() {
  ModelSpec m = with_moe(shape("deepseek-v3", Family::Llama, 61, 7168, 128, 128, 18432, 4096, 129280, false), 256, 8,
                         2048, 2048, 3, RouterScore::Sigmoid);
  m.mla.q_lora_rank = 1536;
  m.mla.kv_lora_rank = 512;
  m.mla.qk_head_dim = 128;
  m.mla.qk_rope_head_dim = 64;
  m.mla.v_head_dim = 128;
  return m;
}
// Qwen3-30B-A3B (Qwen3 technical report, arXiv 2505.09388, Table 2; Qwen's config.json): 48
// layers, hidden 2048, 32 query heads of 128 (head width decoupled from hidden / heads), 4 KV
// heads, 128 experts of width 768, top-8, no shared expert, vocabulary 151936, untied; sequence
// 4096 (the report's first pre-training stage). ffn_hidden 6144 is the config's dense width,
// unused (every layer is MoE). Its QK-norm (2 x 128 gains per layer) is not modelled.
ModelSpec qwen3_30b_a3b() {
  ModelSpec m = with_moe(shape("qwen3-30b-a3b", Family::Llama, 48, 2048, 32, 4, 6144, 4096, 151936, false), 128, 8, 768);
  m.head_size = 128;
  return m;
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
      // Mixture-of-experts models (docs/model.md, "MoE presets").
      mixtral("mixtral-8x7b", 32, 4096, 32, 14336, 32000),
      mixtral("mixtral-8x22b", 56, 6144, 48, 16384, 32768),
      deepseek_v3(),
      qwen3_30b_a3b(),
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
  if (preset.is_moe()) return preset.ffn_hidden;
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
