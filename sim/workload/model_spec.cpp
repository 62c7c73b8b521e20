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
std::string str(long long v) { return std::to_string(v); }

void validate_moe(const ModelSpec& m) {
  const MoeSpec& e = m.moe;
  require(e.experts >= 1, "experts", "must be positive");
  require(e.top_k >= 1 && e.top_k <= e.experts, "top_k",
          "must be between 1 and the number of experts (" + str(e.experts) + "), got " + str(e.top_k));
  require(e.expert_ffn_hidden > 0, "expert_ffn_hidden", "must be positive");
  require(e.shared_ffn_hidden >= 0, "shared_expert_ffn_hidden", "must not be negative");
  require(e.dense_layers >= 0 && e.dense_layers < m.layers, "dense_layers",
          "must leave at least one MoE layer: 0 to " + str(m.layers - 1) + " for " + str(m.layers) +
              " layers, got " + str(e.dense_layers));
  // ceil(cf T k / E) >= T once cf >= E / k: no token can be dropped, i.e. dropless.
  const double never_drops = double(e.experts) / e.top_k;
  require(e.capacity_factor == 0 || (e.capacity_factor > 0 && e.capacity_factor <= never_drops),
          "capacity_factor",
          "must be in (0, experts / top_k = " + std::to_string(never_drops) +
              "]: at experts / top_k no token is ever dropped (omit the key for dropless routing)");
}

void validate_mla(const ModelSpec& m) {
  const MlaSpec& a = m.mla;
  require(m.family == Family::Llama, "mla", "multi-head latent attention is modelled with Llama-style blocks "
                                            "(RMSNorm, no biases), as DeepSeek builds it");
  require(a.q_lora_rank >= 0, "mla.q_lora_rank", "must not be negative (0: no query compression)");
  require(a.qk_head_dim > 0, "mla.qk_head_dim", "must be positive");
  require(a.qk_rope_head_dim >= 0, "mla.qk_rope_head_dim", "must not be negative");
  require(a.v_head_dim > 0, "mla.v_head_dim", "must be positive");
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
  require(m.head_size >= 0, "head_size", "must not be negative (0: hidden / heads)");
  require(m.head_size > 0 || m.hidden % m.heads == 0, "heads",
          "hidden " + str(m.hidden) + " is not divisible by heads " + str(m.heads));
  require(m.heads % m.kv_heads == 0, "kv_heads",
          "heads " + str(m.heads) + " is not divisible by kv_heads " + str(m.kv_heads));
  require(m.family == Family::Llama || m.kv_heads == m.heads, "kv_heads",
          "GPT models use multi-head attention: kv_heads must equal heads");
  if (m.moe.enabled()) validate_moe(m);
  if (m.mla.enabled()) validate_mla(m);
}

int ffn_matrices(const ModelSpec& m) { return m.family == Family::Gpt ? 2 : 3; }

double attention_matrix_parameters(const ModelSpec& m) {
  const double h = m.hidden, a = m.heads;
  if (m.mla.enabled()) {
    const MlaSpec& l = m.mla;
    const double qk = l.qk_head_dim + l.qk_rope_head_dim;
    // Queries: down h x q_r then up q_r x a(d_qk + d_rope), or one h x a(d_qk + d_rope).
    const double q = l.q_lora_rank > 0 ? h * l.q_lora_rank + double(l.q_lora_rank) * a * qk : h * a * qk;
    // Keys/values: down h x (kv_r + d_rope) (the latent and the shared rotary key), up
    // kv_r x a(d_qk + d_v); output a d_v x h.
    const double kv = h * (l.kv_lora_rank + l.qk_rope_head_dim) + double(l.kv_lora_rank) * a * (l.qk_head_dim + l.v_head_dim);
    return q + kv + a * l.v_head_dim * h;
  }
  const double q = m.q_dim(), kv = m.kv_dim();
  return h * (q + 2 * kv) + q * h;  // W_qkv and W_o
}

double attention_parameters(const ModelSpec& m) {
  const double h = m.hidden;
  if (m.family == Family::Gpt) {
    // QKV and projection biases, LayerNorm gain and bias.
    return attention_matrix_parameters(m) + (m.q_dim() + 2.0 * m.kv_dim()) + h + 2 * h;
  }
  double norms = h;  // RMSNorm gain
  if (m.mla.enabled()) norms += m.mla.q_lora_rank + m.mla.kv_lora_rank;  // latent RMSNorms
  return attention_matrix_parameters(m) + norms;
}

double expert_parameters(const ModelSpec& m) {
  return ffn_matrices(m) * double(m.hidden) * m.moe.expert_ffn_hidden;
}

double router_parameters(const ModelSpec& m) { return double(m.hidden) * m.moe.experts; }

namespace {
double dense_ffn_matrix_parameters(const ModelSpec& m) { return ffn_matrices(m) * double(m.hidden) * m.ffn_hidden; }
double ffn_norm_parameters(const ModelSpec& m) { return m.family == Family::Gpt ? 2.0 * m.hidden : 1.0 * m.hidden; }
// Router, shared experts and the norm: the parts of a MoE FFN every token goes through.
double moe_dense_part_parameters(const ModelSpec& m) {
  return router_parameters(m) + ffn_matrices(m) * double(m.hidden) * m.moe.shared_ffn_hidden + ffn_norm_parameters(m);
}
void require_dense(const ModelSpec& m, const char* what) {
  if (m.is_moe())
    throw InternalError(std::string(what) + " on MoE model '" + m.name + "': its layers differ, ask per layer");
}
}  // namespace

double ffn_parameters(const ModelSpec& m, int layer) {
  if (m.is_moe_layer(layer)) return moe_dense_part_parameters(m) + m.moe.experts * expert_parameters(m);
  // GPT: MLP up and down biases (f + h).
  const double biases = m.family == Family::Gpt ? double(m.ffn_hidden) + m.hidden : 0.0;
  return dense_ffn_matrix_parameters(m) + biases + ffn_norm_parameters(m);
}

double layer_parameters(const ModelSpec& m, int layer) { return attention_parameters(m) + ffn_parameters(m, layer); }

double layer_matrix_parameters(const ModelSpec& m) {
  require_dense(m, "layer_matrix_parameters(model)");
  return attention_matrix_parameters(m) + dense_ffn_matrix_parameters(m);
}

double layer_parameters(const ModelSpec& m) {
  require_dense(m, "layer_parameters(model)");
  return layer_parameters(m, 0);
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
  double layers = 0;
  for (int l = 0; l < m.layers; ++l) layers += layer_parameters(m, l);
  return layers + embedding_parameters(m) + lm_head_parameters(m);
}

double active_parameters(const ModelSpec& m) {
  return total_parameters(m) - double(m.moe_layers()) * (m.moe.experts - m.moe.top_k) * expert_parameters(m);
}

}  // namespace trainsim::workload
