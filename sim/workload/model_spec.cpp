#include "workload/model_spec.hpp"

#include <stdexcept>

#include "core/error.hpp"

namespace trainsim::workload {

const std::vector<std::pair<std::string, Family>>& family_names() {
  static const std::vector<std::pair<std::string, Family>> names = {{"gpt", Family::Gpt}, {"llama", Family::Llama}};
  return names;
}

const std::string& family_name(Family family) {
  for (const auto& [name, f] : family_names())
    if (f == family) return name;
  throw std::logic_error("a model family without a name in family_names()");
}

namespace {
void require(bool ok, const char* key, const std::string& what) {
  if (!ok) throw InputError({}, key, what);
}
}  // namespace

void validate(const ModelSpec& m) {
  require(m.layers > 0, "layers", "must be positive");
  require(m.hidden > 0, "hidden", "must be positive");
  require(m.heads > 0, "heads", "must be positive");
  require(m.kv_heads > 0, "kv_heads", "must be positive");
  require(m.ffn_hidden > 0, "ffn_hidden", "must be positive");
  require(m.seq_len > 0, "seq_len", "must be positive");
  require(m.vocab > 0, "vocab", "must be positive");
  require(m.hidden % m.heads == 0, "heads",
          "hidden " + std::to_string(m.hidden) + " is not divisible by heads " + std::to_string(m.heads));
  require(m.heads % m.kv_heads == 0, "kv_heads",
          "heads " + std::to_string(m.heads) + " is not divisible by kv_heads " + std::to_string(m.kv_heads));
  require(m.family == Family::Llama || m.kv_heads == m.heads, "kv_heads",
          "GPT models use multi-head attention: kv_heads must equal heads");
}

double layer_matrix_parameters(const ModelSpec& m) {
  const double h = m.hidden, f = m.ffn_hidden, kv = m.kv_dim();
  const double attention = h * (h + 2 * kv) + h * h;  // W_qkv and W_o
  const double mlp = m.family == Family::Gpt ? 2 * h * f : 3 * h * f;  // SwiGLU: gate, up, down
  return attention + mlp;
}

double layer_parameters(const ModelSpec& m) {
  const double h = m.hidden, f = m.ffn_hidden, kv = m.kv_dim();
  if (m.family == Family::Gpt) {
    // biases of QKV, projection, MLP up and down; two LayerNorms with gain and bias.
    const double biases = (h + 2 * kv) + h + f + h;
    return layer_matrix_parameters(m) + biases + 4 * h;
  }
  return layer_matrix_parameters(m) + 2 * h;  // two RMSNorm gains, no biases
}

double embedding_parameters(const ModelSpec& m) {
  const double tokens = double(m.vocab) * m.hidden;
  // GPT (Megatron) learns absolute position embeddings; Llama uses rotary (no parameters).
  return m.family == Family::Gpt ? tokens + double(m.seq_len) * m.hidden : tokens;
}

double lm_head_parameters(const ModelSpec& m) {
  const double final_norm = m.family == Family::Gpt ? 2.0 * m.hidden : 1.0 * m.hidden;
  return final_norm + (m.tied_embeddings ? 0.0 : double(m.vocab) * m.hidden);
}

double total_parameters(const ModelSpec& m) {
  return m.layers * layer_parameters(m) + embedding_parameters(m) + lm_head_parameters(m);
}

}  // namespace trainsim::workload
