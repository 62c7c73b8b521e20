#include "importer/megatron_flags.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "config/yaml_reader.hpp"
#include "importer/megatron_args.hpp"

namespace trainsim::importer {

// ---- FlagUse readers ----------------------------------------------------------------------

namespace {

InputError flag_error(const FlagUse& f, const std::string& message) { return InputError(f.where, f.name, message); }

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void require_expanded(const FlagUse& f, const Word& w) {
  if (w.unexpanded)
    throw InputError(w.where, f.name,
                     "'" + w.text + "' is a shell expansion the pasted text does not define; paste the command as "
                                    "the shell ran it (its values expanded: `set -x` prints it), or give the value");
}

}  // namespace

const Word& FlagUse::value() const {
  if (values.empty()) throw flag_error(*this, "needs a value");
  require_expanded(*this, values.front());
  return values.front();
}

long long FlagUse::integer(long long min, long long max) const {
  const Word& w = value();
  long long v = 0;
  const char* end = w.text.data() + w.text.size();
  auto [p, ec] = std::from_chars(w.text.data(), end, v);
  if (ec != std::errc() || p != end)
    throw InputError(w.where, name, "'" + w.text + "' is not an integer; expected an integer from " +
                                        std::to_string(min) + " to " + std::to_string(max));
  if (v < min || v > max)
    throw InputError(w.where, name, std::to_string(v) + " is out of range; expected an integer from " +
                                        std::to_string(min) + " to " + std::to_string(max));
  return v;
}

double FlagUse::number(double min, double max) const {
  const Word& w = value();
  double v = 0;
  const char* end = w.text.data() + w.text.size();
  auto [p, ec] = std::from_chars(w.text.data(), end, v);
  if (ec != std::errc() || p != end || !std::isfinite(v))
    throw InputError(w.where, name, "'" + w.text + "' is not a number; expected a number from " +
                                        format_number(min) + " to " + format_number(max));
  if (v < min || v > max)
    throw InputError(w.where, name, "'" + w.text + "' is out of range; expected a number from " +
                                        format_number(min) + " to " + format_number(max));
  return v;
}

std::string FlagUse::choice(const std::vector<std::string>& allowed) const {
  const Word& w = value();
  for (const auto& a : allowed)
    if (w.text == a) return a;
  const std::string hint = did_you_mean(w.text, allowed);
  throw InputError(w.where, name, "'" + w.text + "' is not one trainsim models" + (hint.empty() ? "" : " (" + hint + ")") +
                                      "; expected one of " + join_names(allowed));
}

// ---- Appliers: one per kind of field ------------------------------------------------------

namespace {

using A = MegatronArgs;

template <class T>
void set(Set<T>& field, T value, const FlagUse& f) {
  field = Set<T>{std::move(value), f.name, f.where};
}

template <Set<bool> A::*F>
void on(A& a, const FlagUse& f) {
  set(a.*F, true, f);
}
template <Set<bool> A::*F>
void off(A& a, const FlagUse& f) {
  set(a.*F, false, f);
}
template <Set<int> A::*F>
void positive(A& a, const FlagUse& f) {
  set(a.*F, static_cast<int>(f.integer(1, 1 << 30)), f);
}
template <Set<int> A::*F>
void count(A& a, const FlagUse& f) {
  set(a.*F, static_cast<int>(f.integer(0, 1 << 30)), f);
}
template <Set<double> A::*F>
void probability(A& a, const FlagUse& f) {
  set(a.*F, f.number(0, 1), f);
}
void pre_core(A& a, const FlagUse& f) {
  if (!a.pre_core.given()) set(a.pre_core, true, f);
}

void normalization(A& a, const FlagUse& f) { set(a.normalization, f.choice({"LayerNorm", "RMSNorm"}), f); }
void position_type(A& a, const FlagUse& f) {
  set(a.position_embedding_type, f.choice({"learned_absolute", "rope", "none"}), f);
}
void rotary(A& a, const FlagUse& f) { set(a.position_embedding_type, std::string("rope"), f); }
void no_position(A& a, const FlagUse& f) { set(a.position_embedding_type, std::string("none"), f); }
void tokenizer(A& a, const FlagUse& f) { set(a.tokenizer_type, f.value().text, f); }
void merge_file(A& a, const FlagUse& f) { set(a.merge_file, true, f); }
void bucket(A& a, const FlagUse& f) { set(a.ddp_bucket_size, f.integer(1, 1LL << 40), f); }
void legacy_tp(A& a, const FlagUse& f) {
  positive<&A::tensor_model_parallel_size>(a, f);
  pre_core(a, f);
}
void legacy_micro_batch(A& a, const FlagUse& f) {
  positive<&A::micro_batch_size>(a, f);
  pre_core(a, f);
}
void recompute_activations(A& a, const FlagUse& f) { set(a.recompute_granularity, std::string("selective"), f); }
void recompute_granularity(A& a, const FlagUse& f) { set(a.recompute_granularity, f.choice({"full", "selective"}), f); }
void recompute_method(A& a, const FlagUse& f) { set(a.recompute_method, f.choice({"uniform", "block"}), f); }
void recompute_modules(A& a, const FlagUse& f) {
  for (const auto& w : f.values)
    if (w.text != "core_attn")
      throw InputError(w.where, f.name, "recomputing '" + w.text + "' is not modelled; trainsim's selective "
                                        "recomputation is the core attention's (core_attn) only");
}
// 2021-2022: --checkpoint-activations and --activations-checkpoint-method both mean full
// recomputation, uniform unless the method says block.
void checkpoint_activations(A& a, const FlagUse& f) {
  set(a.recompute_granularity, std::string("full"), f);
  if (!a.recompute_method.given()) set(a.recompute_method, std::string("uniform"), f);
  pre_core(a, f);
}
void activations_checkpoint_method(A& a, const FlagUse& f) {
  set(a.recompute_method, f.choice({"uniform", "block"}), f);
  set(a.recompute_granularity, std::string("full"), f);
  pre_core(a, f);
}
void checkpoint_num_layers(A& a, const FlagUse& f) {
  count<&A::recompute_num_layers>(a, f);
  pre_core(a, f);
}
void ddp_impl(A& a, const FlagUse& f) {
  set(a.ddp_impl, f.choice({"local", "torch"}), f);
  pre_core(a, f);
}
void no_scatter_gather(A& a, const FlagUse& f) {
  off<&A::scatter_gather_tensors_in_pipeline>(a, f);
  pre_core(a, f);
}
void transformer_impl(A& a, const FlagUse& f) { set(a.transformer_impl, f.choice({"local", "transformer_engine"}), f); }
void attention_backend(A& a, const FlagUse& f) {
  set(a.attention_backend, f.choice({"flash", "fused", "unfused", "local", "auto"}), f);
}
void optimizer(A& a, const FlagUse& f) { set(a.optimizer, f.choice({"adam", "sgd"}), f); }

// --moe-layer-freq: an integer N (every N-th layer is a MoE layer, from layer 0) or a Python
// list expression of 0/1 per layer ("[0]*3+[1]*58", "([0]*1+[1]*3)*2", "[0,1,1]"), as
// Megatron-Core's moe_freq_type evaluates it. Read with a small grammar (no eval):
//   expr := term ('+' term)* ; term := atom ('*' integer)* ; atom := '[' 0|1 (',' 0|1)* ']' | '(' expr ')'
class LayerPattern {
 public:
  explicit LayerPattern(const Word& w, const std::string& flag) : w_(w), flag_(flag) {}
  std::vector<int> read() {
    std::vector<int> v = expr();
    skip();
    if (i_ != w_.text.size()) fail("unexpected '" + w_.text.substr(i_, 1) + "'");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(w_.where, flag_,
                     "'" + w_.text + "' is not a layer pattern (" + what +
                         "); expected an integer N (every N-th layer) or a list of 0 and 1 per layer such as "
                         "\"[0]*3+[1]*58\"");
  }
  void skip() {
    while (i_ < w_.text.size() && w_.text[i_] == ' ') ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < w_.text.size() && w_.text[i_] == c) return ++i_, true;
    return false;
  }
  long long integer() {
    skip();
    const size_t start = i_;
    while (i_ < w_.text.size() && std::isdigit(static_cast<unsigned char>(w_.text[i_]))) ++i_;
    if (start == i_ || i_ - start > 6) fail("expected a count");
    return std::stoll(w_.text.substr(start, i_ - start));
  }
  std::vector<int> expr() {
    std::vector<int> v = term();
    while (eat('+')) {
      const auto t = term();
      v.insert(v.end(), t.begin(), t.end());
    }
    return v;
  }
  std::vector<int> term() {
    std::vector<int> v = atom();
    while (eat('*')) {
      const long long n = integer();
      if (static_cast<long long>(v.size()) * n > 100000) fail("too many layers");
      std::vector<int> r;
      for (long long k = 0; k < n; ++k) r.insert(r.end(), v.begin(), v.end());
      v = std::move(r);
    }
    return v;
  }
  std::vector<int> atom() {
    if (eat('(')) {
      std::vector<int> v = expr();
      if (!eat(')')) fail("a '(' is not closed");
      return v;
    }
    if (!eat('[')) fail("expected '[' or '('");
    std::vector<int> v;
    do {
      const long long x = integer();
      if (x > 1) fail("a layer is 0 (dense) or 1 (MoE)");
      v.push_back(static_cast<int>(x));
    } while (eat(','));
    if (!eat(']')) fail("a '[' is not closed");
    return v;
  }

  const Word& w_;
  std::string flag_;
  size_t i_ = 0;
};

void moe_layer_freq(A& a, const FlagUse& f) {
  const Word& w = f.value();
  if (!w.text.empty() && std::isdigit(static_cast<unsigned char>(w.text[0])) &&
      w.text.find_first_not_of("0123456789") == std::string::npos) {
    set(a.moe_layer_freq, std::vector<int>{-static_cast<int>(f.integer(1, 1 << 20))}, f);  // -N: every N-th
    return;
  }
  set(a.moe_layer_freq, LayerPattern(w, f.name).read(), f);
}
void score_function(A& a, const FlagUse& f) { set(a.moe_router_score_function, f.choice({"softmax", "sigmoid"}), f); }
void dispatcher(A& a, const FlagUse& f) {
  set(a.moe_token_dispatcher_type, f.choice({"allgather", "alltoall", "flex", "alltoall_seq"}), f);
}
void capacity_factor(A& a, const FlagUse& f) { set(a.moe_expert_capacity_factor, f.number(0.01, 1000), f); }
void cp_comm_type(A& a, const FlagUse& f) {
  // One type per layer is allowed when every layer has the same.
  for (const auto& w : f.values)
    if (w.text != f.values.front().text)
      throw InputError(w.where, f.name, "different exchanges per layer are not modelled; expected one type");
  set(a.cp_comm_type, f.choice({"p2p", "allgather", "a2a", "a2a+p2p"}), f);
}
void fp8_format(A& a, const FlagUse& f) { set(a.fp8_format, f.choice({"e4m3", "hybrid"}), f); }
void fp8_flag(A& a, const FlagUse& f) { set(a.fp8_format, std::string(f.name == "--fp8-e4m3" ? "e4m3" : "hybrid"), f); }
void pipeline_layout(A& a, const FlagUse& f) { set(a.pipeline_model_parallel_layout, f.value().text, f); }

// ---- The table ----------------------------------------------------------------------------

constexpr Arity N = Arity::None, V = Arity::One, L = Arity::Many;

std::vector<MegatronFlag> build_table() {
  using E = Effect;
  std::vector<MegatronFlag> t = {
      // Model shape and layer traits.
      {"--num-layers", V, E::Modelled, positive<&A::num_layers>, "model.layers (required)"},
      {"--hidden-size", V, E::Modelled, positive<&A::hidden_size>, "model.hidden (required)"},
      {"--num-attention-heads", V, E::Modelled, positive<&A::num_attention_heads>, "model.heads (required)"},
      {"--ffn-hidden-size", V, E::Modelled, positive<&A::ffn_hidden_size>,
       "model.ffn_hidden; default 4 h, with --swiglu int(8 h / 3 / 64) x 64"},
      {"--kv-channels", V, E::Modelled, positive<&A::kv_channels>, "checked: must be hidden / heads"},
      {"--seq-length", V, E::Modelled, positive<&A::seq_length>, "model.seq_len (required)"},
      {"--encoder-seq-length", V, E::Modelled, positive<&A::seq_length>, "model.seq_len (older name)"},
      {"--max-position-embeddings", V, E::Modelled, positive<&A::max_position_embeddings>,
       "checked: at least --seq-length with learned positions"},
      {"--group-query-attention", N, E::Modelled, on<&A::group_query_attention>,
       "model.kv_heads = --num-query-groups (Megatron-LM's default 1)"},
      {"--num-query-groups", V, E::Modelled, positive<&A::num_query_groups>,
       "model.kv_heads, with --group-query-attention"},
      {"--swiglu", N, E::Modelled, on<&A::swiglu>, "model.family llama (without it: gpt)"},
      {"--normalization", V, E::Modelled, normalization,
       "LayerNorm (gpt) or RMSNorm (llama); the other is noted as an approximation"},
      {"--apply-layernorm-1p", N, E::Modelled, on<&A::apply_layernorm_1p>,
       "a LayerNorm: noted as an approximation for llama"},
      {"--position-embedding-type", V, E::Modelled, position_type,
       "learned_absolute (gpt), rope or none (llama); the other is noted"},
      {"--use-rotary-position-embeddings", N, E::Modelled, rotary, "position embedding rope (older flag)"},
      {"--no-position-embedding", N, E::Modelled, no_position, "position embedding none (older flag)"},
      {"--disable-bias-linear", N, E::Modelled, off<&A::add_bias_linear>,
       "required by llama (--swiglu), refused for gpt"},
      {"--add-qkv-bias", N, E::Modelled, on<&A::add_qkv_bias>, "refused for llama"},
      {"--hidden-dropout", V, E::Modelled, probability<&A::hidden_dropout>,
       "0 for llama, above 0 for gpt (default 0.1)"},
      {"--attention-dropout", V, E::Modelled, probability<&A::attention_dropout>,
       "0 for llama, above 0 for gpt (default 0.1)"},
      {"--untie-embeddings-and-output-weights", N, E::Modelled, on<&A::untie_embeddings_and_output_weights>,
       "model.tied_embeddings false"},
      // Vocabulary. --padded-vocab-size is trainsim's: the size Megatron-LM prints at start-up
      // ("padded vocab ... new size: N") and lists as padded_vocab_size among its arguments.
      {"--vocab-size", V, E::Modelled, positive<&A::vocab_size>, "model.vocab, padded (NullTokenizer: the size + 1)"},
      {"--padded-vocab-size", V, E::Modelled, positive<&A::padded_vocab_size>,
       "model.vocab as given (trainsim's flag: the padded_vocab_size Megatron-LM prints)"},
      {"--make-vocab-size-divisible-by", V, E::Modelled, positive<&A::make_vocab_size_divisible_by>,
       "the padding multiple, times tp (default 128)"},
      {"--tokenizer-type", V, E::Modelled, tokenizer,
       "GPT2BPETokenizer: 50257 tokens; others need --vocab-size or --padded-vocab-size"},
      {"--merge-file", V, E::Modelled, merge_file, "GPT-2 BPE (50257 tokens) when --tokenizer-type is absent"},
      // Parallelism.
      {"--tensor-model-parallel-size", V, E::Modelled, positive<&A::tensor_model_parallel_size>, "parallelism.tp"},
      {"--model-parallel-size", V, E::Modelled, legacy_tp, "parallelism.tp (2020 name)", {}, true},
      {"--pipeline-model-parallel-size", V, E::Modelled, positive<&A::pipeline_model_parallel_size>,
       "parallelism.pp; dp = GPUs / (tp x pp)"},
      {"--num-layers-per-virtual-pipeline-stage", V, E::Modelled, positive<&A::num_layers_per_virtual_pipeline_stage>,
       "chunks = layers / (pp x N), schedule interleaved-1f1b"},
      {"--num-virtual-stages-per-pipeline-rank", V, E::Modelled, positive<&A::num_virtual_stages_per_pipeline_rank>,
       "chunks, schedule interleaved-1f1b"},
      {"--decoder-first-pipeline-num-layers", V, E::Modelled, count<&A::decoder_first_pipeline_num_layers>,
       "layers_per_stage: the first stage's (the others even)"},
      {"--decoder-last-pipeline-num-layers", V, E::Modelled, count<&A::decoder_last_pipeline_num_layers>,
       "layers_per_stage: the last stage's (the others even)"},
      {"--account-for-embedding-in-pipeline-split", N, E::Modelled,
       on<&A::account_for_embedding_in_pipeline_split>,
       "the embedding counts as a layer: the first (virtual) stage holds one layer fewer"},
      {"--standalone-embedding-stage", N, E::Modelled, on<&A::standalone_embedding_stage>,
       "layers_per_virtual_stage [0, L / (pp-1), ...]: the first stage holds the embedding alone (2022 flag)"},
      {"--account-for-loss-in-pipeline-split", N, E::Modelled, on<&A::account_for_loss_in_pipeline_split>,
       "the loss counts as a layer: the last (virtual) stage holds one layer fewer"},
      {"--pipeline-model-parallel-layout", V, E::Modelled, pipeline_layout,
       "layers_per_virtual_stage (E, t, L per stage, '|' between stages; 'm' refused)"},
      {"--sequence-parallel", N, E::Modelled, on<&A::sequence_parallel>,
       "sequence_parallel (off without tensor parallelism, as in Megatron-LM)"},
      {"--context-parallel-size", V, E::Modelled, positive<&A::context_parallel_size>,
       "parallelism.cp (ring attention, Megatron-Core's default p2p); dp = GPUs / (tp x cp x pp)"},
      {"--cp-comm-type", L, E::Modelled, cp_comm_type,
       "cp_comm: p2p ring, allgather all-gather (a2a and a2a+p2p refused)"},
      // Mixture of experts (Megatron-Core's names, core_r0.13; docs/import.md).
      {"--num-experts", V, E::Modelled, positive<&A::num_experts>, "model.family moe, model.experts"},
      {"--expert-model-parallel-size", V, E::Modelled, positive<&A::expert_model_parallel_size>, "parallelism.ep"},
      {"--expert-tensor-parallel-size", V, E::Modelled, positive<&A::expert_tensor_parallel_size>,
       "parallelism.expert_tp (default tp)"},
      {"--moe-router-topk", V, E::Modelled, positive<&A::moe_router_topk>, "model.top_k (default 2)"},
      {"--moe-ffn-hidden-size", V, E::Modelled, positive<&A::moe_ffn_hidden_size>,
       "model.expert_ffn_hidden (default --ffn-hidden-size)"},
      {"--moe-shared-expert-intermediate-size", V, E::Modelled, positive<&A::moe_shared_expert_intermediate_size>,
       "model.shared_expert_ffn_hidden"},
      {"--moe-layer-freq", V, E::Modelled, moe_layer_freq,
       "model.dense_layers: 1, or a pattern of dense layers first (\"[0]*3+[1]*58\"); others refused"},
      {"--moe-router-score-function", V, E::Modelled, score_function, "model.router_score"},
      {"--moe-expert-capacity-factor", V, E::Modelled, capacity_factor, "model.capacity_factor (default dropless; dropless from experts / top_k on)"},
      {"--moe-pad-expert-input-to-capacity", N, E::Modelled, on<&A::moe_pad_expert_input_to_capacity>,
       "refused: padding every expert's rows to the capacity is not modelled"},
      {"--moe-token-dispatcher-type", V, E::Modelled, dispatcher,
       "alltoall: moe.all_to_all flows; flex: closed_form; allgather (the default) refused with expert parallelism"},
      {"--moe-enable-deepep", N, E::Modelled, on<&A::moe_enable_deepep>, "DeepEP (needs flex)"},
      {"--moe-grouped-gemm", N, E::Modelled, on<&A::moe_grouped_gemm>, "moe.grouped_gemm true (default false)"},
      {"--moe-router-num-groups", V, E::Modelled, positive<&A::moe_router_num_groups>,
       "group-limited routing: groups must be the EP group's nodes"},
      {"--moe-router-group-topk", V, E::Modelled, positive<&A::moe_router_group_topk>,
       "moe.routing.max_nodes (with --moe-router-num-groups)"},
      {"--moe-router-topk-limited-devices", V, E::Modelled, positive<&A::moe_router_topk_limited_devices>,
       "moe.routing.max_nodes when each node holds one EP rank (core_r0.9-0.10 flag)"},
      // Multi-head latent attention.
      {"--multi-latent-attention", N, E::Modelled, on<&A::multi_latent_attention>, "model.mla (llama family)"},
      {"--q-lora-rank", V, E::Modelled, positive<&A::q_lora_rank>, "model.mla.q_lora_rank (default none)"},
      {"--kv-lora-rank", V, E::Modelled, positive<&A::kv_lora_rank>, "model.mla.kv_lora_rank (default 32)"},
      {"--qk-head-dim", V, E::Modelled, positive<&A::qk_head_dim>, "model.mla.qk_head_dim (default 128)"},
      {"--qk-pos-emb-head-dim", V, E::Modelled, count<&A::qk_pos_emb_head_dim>,
       "model.mla.qk_rope_head_dim (default 64)"},
      {"--v-head-dim", V, E::Modelled, positive<&A::v_head_dim>, "model.mla.v_head_dim (default 128)"},
      // Batches.
      {"--micro-batch-size", V, E::Modelled, positive<&A::micro_batch_size>, "micro_batch (required)"},
      {"--batch-size", V, E::Modelled, legacy_micro_batch, "micro_batch (2020 name)", {}, true},
      {"--global-batch-size", V, E::Modelled, positive<&A::global_batch_size>,
       "global_batch; default micro-batch x dp"},
      // Recomputation.
      {"--recompute-activations", N, E::Modelled, recompute_activations, "recompute selective"},
      {"--recompute-granularity", V, E::Modelled, recompute_granularity, "recompute full or selective"},
      {"--recompute-method", V, E::Modelled, recompute_method,
       "full: uniform with one layer, or block covering every layer of a stage"},
      {"--recompute-num-layers", V, E::Modelled, count<&A::recompute_num_layers>,
       "1 with uniform; 0 (none) or every layer of a stage with block"},
      {"--recompute-modules", L, E::Modelled, recompute_modules, "core_attn only (selective)"},
      {"--checkpoint-activations", N, E::Modelled, checkpoint_activations, "recompute full (2021 flag)", {}, true},
      {"--activations-checkpoint-method", V, E::Modelled, activations_checkpoint_method,
       "recompute full (2021 flag)", {}, true},
      {"--activations-checkpoint-num-layers", V, E::Modelled, checkpoint_num_layers,
       "as --recompute-num-layers (2021 flag)", {}, true},
      {"--checkpoint-num-layers", V, E::Modelled, checkpoint_num_layers,
       "as --recompute-num-layers (2020 flag)", {}, true},
      // Data-parallel communication and memory.
      {"--use-distributed-optimizer", N, E::Modelled, on<&A::use_distributed_optimizer>, "zero_stage 1"},
      {"--use-torch-fsdp2", N, E::Modelled, on<&A::use_torch_fsdp2>,
       "zero_stage 3, fsdp {unit_layers: 1, prefetch: 1} (PyTorch FSDP2 per transformer layer; no pipelining)"},
      {"--overlap-grad-reduce", N, E::Modelled, on<&A::overlap_grad_reduce>, "overlap_grad_reduce true"},
      {"--overlap-param-gather", N, E::Modelled, on<&A::overlap_param_gather>,
       "overlap_param_gather true (needs --use-distributed-optimizer)"},
      {"--tp-comm-overlap", N, E::Modelled, on<&A::tp_comm_overlap>,
       "tp_comm_overlap true (needs --sequence-parallel); its --tp-comm-overlap-* tuning flags are ignored"},
      {"--ddp-bucket-size", V, E::Modelled, bucket, "bucket_size = 2 B x N; default max(40M, 1M x dp x cp) gradients"},
      {"--DDP-impl", V, E::Modelled, ddp_impl,
       "local: no overlap; torch: overlap_grad_reduce with 25 MiB buckets (2021 flag)", {}, true},
      {"--no-scatter-gather-tensors-in-pipeline", N, E::Modelled, no_scatter_gather,
       "scatter_gather false (2021 flag)", {}, true},
      // Kernels.
      {"--use-flash-attn", N, E::Modelled, on<&A::use_flash_attn>, "attention flash"},
      {"--transformer-impl", V, E::Modelled, transformer_impl,
       "transformer_engine (the default): attention flash; local: unfused"},
      {"--attention-backend", V, E::Modelled, attention_backend,
       "flash, fused: attention flash; unfused, local: unfused; auto: by implementation"},
      {"--use-legacy-models", N, E::Modelled, on<&A::use_legacy_models>,
       "Megatron-LM's own layers: attention unfused unless --use-flash-attn"},
      {"--no-bias-dropout-fusion", N, E::Modelled, off<&A::bias_dropout_fusion>,
       "bias_dropout_fusion false (default true)"},
      // Precision and optimizer.
      {"--fp16", N, E::Modelled, on<&A::fp16>, "16-bit training (one of --fp16, --bf16 is required)"},
      {"--bf16", N, E::Modelled, on<&A::bf16>,
       "16-bit training; gradients reduced in fp32 (grad_reduce_precision fp32) unless --grad-reduce-in-bf16"},
      {"--fp8-format", V, E::Modelled, fp8_format,
       "gemm_precision fp8 (MoE models; refused for dense ones, whose programs time bf16 GEMMs)"},
      {"--fp8-e4m3", N, E::Modelled, fp8_flag, "as --fp8-format e4m3 (2023 flag)"},
      {"--fp8-hybrid", N, E::Modelled, fp8_flag, "as --fp8-format hybrid (2023 flag)"},
      {"--grad-reduce-in-bf16", N, E::Modelled, on<&A::grad_reduce_in_bf16>, "grad_reduce_precision bf16"},
      {"--accumulate-allreduce-grads-in-fp32", N, E::Modelled, on<&A::accumulate_allreduce_grads_in_fp32>,
       "grad_reduce_precision fp32"},
      {"--optimizer", V, E::Modelled, optimizer, "adam (sgd is refused)"},
  };

  // Refused: they change the iteration in ways trainsim does not model.
  const std::string_view fsdp = "Megatron-FSDP (its own bucketed, double-buffered parameter gathers and "
                                "--data-parallel-sharding-strategy) is not modelled; --use-torch-fsdp2 (PyTorch "
                                "FSDP2 per transformer layer: zero_stage 3) and --use-distributed-optimizer are";
  const std::string_view encdec = "encoder-decoder models are not modelled (trainsim simulates decoder-only GPT)";
  const std::string_view hybrid = "hybrid Mamba models are not modelled (trainsim simulates transformer layers)";
  const std::vector<MegatronFlag> refused = {
      {"--fp4-format", V, E::Refused, nullptr, "FP4 GEMMs are not modelled (trainsim times 16-bit kernels)"},
      {"--overlap-param-gather-with-optimizer-step", N, E::Refused, nullptr,
       "overlapping the parameter all-gather with the optimizer step is not modelled"},
      {"--no-overlap-p2p-communication", N, E::Refused, nullptr,
       "blocking pipeline transfers are not modelled (trainsim overlaps them with compute, Megatron-LM's default)"},
      {"--overlap-p2p-communication-warmup-flush", N, E::Refused, nullptr,
       "overlapping pipeline transfers in the warm-up and flush is not modelled"},
      {"--defer-embedding-wgrad-compute", N, E::Refused, nullptr,
       "deferring the embedding's weight gradient is not modelled"},
      {"--distribute-saved-activations", N, E::Refused, nullptr,
       "splitting checkpointed activations across tensor-parallel ranks is not modelled (less memory, an "
       "all-gather per layer)"},
      {"--distribute-checkpointed-activations", N, E::Refused, nullptr,
       "splitting checkpointed activations across tensor-parallel ranks is not modelled (less memory, an "
       "all-gather per layer)", {}, true},
      {"--num-distributed-optimizer-instances", V, E::Refused, nullptr,
       "sharding the optimizer over part of the data-parallel group is not modelled", "1"},
      {"--use-custom-fsdp", N, E::Refused, nullptr, fsdp},
      {"--use-megatron-fsdp", N, E::Refused, nullptr, fsdp},
      {"--use-precision-aware-optimizer", N, E::Refused, nullptr,
       "optimizer states below fp32 are not modelled (trainsim keeps fp32 master weights, m and v)"},
      {"--main-grads-dtype", V, E::Refused, nullptr, "gradients below fp32 in the optimizer are not modelled", "fp32"},
      {"--main-params-dtype", V, E::Refused, nullptr, "master weights below fp32 are not modelled", "fp32"},
      {"--exp-avg-dtype", V, E::Refused, nullptr, "Adam's first moment below fp32 is not modelled", "fp32"},
      {"--exp-avg-sq-dtype", V, E::Refused, nullptr, "Adam's second moment below fp32 is not modelled", "fp32"},
      {"--optimizer-cpu-offload", N, E::Refused, nullptr, "offloading the optimizer to the CPU is not modelled"},
      {"--cpu-offloading", N, E::Refused, nullptr, "offloading activations to the CPU is not modelled"},
      {"--cpu-offloading-num-layers", V, E::Refused, nullptr, "offloading activations to the CPU is not modelled"},
      {"--mtp-num-layers", V, E::Refused, nullptr, "multi-token prediction layers are not modelled"},
      {"--moe-layer-recompute", N, E::Refused, nullptr,
       "recomputing the MoE layers is not modelled (trainsim recomputes every layer, none, or the core attention)"},
      {"--moe-shared-expert-overlap", N, E::Refused, nullptr,
       "overlapping the shared experts with the token dispatch is not modelled (trainsim runs them between "
       "dispatch and combine, on the compute stream)"},
      {"--moe-extended-tp", N, E::Refused, nullptr,
       "extended expert tensor parallelism is not modelled; --expert-tensor-parallel-size is"},
      {"--qk-layernorm", N, E::Refused, nullptr, "normalizing queries and keys adds norms trainsim's layer lacks"},
      {"--squared-relu", N, E::Refused, nullptr, "the squared-ReLU MLP is not modelled (GELU or SwiGLU)"},
      {"--window-size", V, E::Refused, nullptr, "sliding-window attention is not modelled"},
      {"--fp32-residual-connection", N, E::Refused, nullptr,
       "an fp32 residual stream is not modelled (trainsim's activations are 16-bit)"},
      {"--is-hybrid-model", N, E::Refused, nullptr, hybrid},
      {"--hybrid-attention-ratio", V, E::Refused, nullptr, hybrid},
      {"--hybrid-mlp-ratio", V, E::Refused, nullptr, hybrid},
      {"--hybrid-override-pattern", V, E::Refused, nullptr, hybrid},
      {"--spec", L, E::Refused, nullptr, "a custom layer spec is not modelled"},
      {"--yaml-cfg", V, E::Refused, nullptr, "a YAML config file holds flags trainsim cannot see (pass them as flags)"},
      {"--heterogeneous-layers-config-path", V, E::Refused, nullptr, "heterogeneous layers are not modelled"},
      {"--heterogeneous-layers-config-encoded-json", V, E::Refused, nullptr, "heterogeneous layers are not modelled"},
      {"--encoder-num-layers", V, E::Refused, nullptr, encdec},
      {"--decoder-num-layers", V, E::Refused, nullptr, encdec},
      {"--decoder-seq-length", V, E::Refused, nullptr, encdec},
      {"--encoder-tensor-model-parallel-size", V, E::Refused, nullptr, encdec, "0"},
      {"--encoder-pipeline-model-parallel-size", V, E::Refused, nullptr, encdec, "0"},
      {"--pipeline-model-parallel-split-rank", V, E::Refused, nullptr, encdec},
      {"--microbatch-group-size-per-virtual-pipeline-stage", V, E::Refused, nullptr,
       "regrouping interleaved 1F1B's micro-batches is not modelled (trainsim groups them by pp, Megatron-LM's "
       "default)"},
      {"--use-tp-pp-dp-mapping", N, E::Refused, nullptr,
       "the tp-pp-dp rank order is not modelled (trainsim places ranks in Megatron-LM's default tp-dp-pp order)"},
  };
  t.insert(t.end(), refused.begin(), refused.end());

  // Ignored: no effect on the simulated iteration. Data and tokenizer files, checkpoints,
  // logging and profiling, learning rate and other hyperparameters, initialization, training
  // length, kernel-fusion and launch switches, settings of features that are off.
  const char* ignored_flags[] = {
      "--mock-data", "--no-mmap-bin-files", "--reset-position-ids", "--reset-attention-mask", "--eod-mask-loss",
      "--no-create-attention-mask-in-dataloader", "--create-attention-mask-in-dataloader",
      "--no-load-optim", "--no-load-rng", "--no-save-optim", "--no-save-rng", "--finetune", "--use-checkpoint-args",
      "--use-mp-args-from-checkpoint-args", "--exit-on-missing-checkpoint", "--use-dist-ckpt",
      "--auto-detect-ckpt-format", "--async-save", "--ckpt-fully-parallel-save", "--no-ckpt-fully-parallel-save",
      "--ckpt-fully-parallel-load", "--ckpt-assume-constant-structure", "--use-persistent-ckpt-worker",
      "--no-initialization", "--no-use-tokenizer-model-from-checkpoint-args",
      "--ckpt-convert-update-legacy-dist-opt-format",
      "--log-params-norm", "--log-num-zeros-in-grad", "--log-throughput", "--log-progress", "--log-energy",
      "--log-timers-to-tensorboard", "--log-batch-size-to-tensorboard", "--no-log-learnig-rate-to-tensorboard",
      "--log-learning-rate-to-tensorboard", "--no-log-loss-scale-to-tensorboard", "--log-loss-scale-to-tensorboard",
      "--log-validation-ppl-to-tensorboard", "--log-memory-to-tensorboard", "--log-world-size-to-tensorboard",
      "--barrier-with-L1-time", "--no-barrier-with-level-1-timing", "--log-straggler",
      "--disable-straggler-on-startup", "--enable-one-logger", "--no-one-logger", "--one-logger-async",
      "--run-workload-inspector-server", "--record-memory-history", "--profile", "--use-pytorch-profiler",
      "--use-mcore-models", "--use-cpu-initialization", "--deterministic-mode", "--calculate-per-token-loss",
      "--manual-gc", "--no-manual-gc-eval", "--check-for-nan-in-loss-and-grad",
      "--no-check-for-nan-in-loss-and-grad", "--check-for-spiky-loss", "--check-for-large-grads",
      "--exit-signal-handler", "--adlr-autoresume", "--lazy-mpu-init", "--skip-train", "--test-mode",
      "--enable-experimental", "--enable-ft-package", "--calc-ft-timeouts", "--data-parallel-random-init",
      "--init-method-xavier-uniform", "--no-clone-scatter-output-in-embedding", "--override-opt_param-scheduler",
      "--use-checkpoint-opt_param-scheduler", "--decrease-batch-size-if-needed",
      "--no-masked-softmax-fusion", "--no-bias-gelu-fusion", "--no-bias-swiglu-fusion", "--no-rope-fusion",
      "--no-persist-layer-norm", "--no-gradient-accumulation-fusion", "--no-async-tensor-model-parallel-allreduce",
      "--cross-entropy-loss-fusion", "--apply-query-key-layer-scaling", "--attention-softmax-in-fp32",
      "--no-query-key-layer-scaling", "--openai-gelu", "--onnx-safe", "--apply-residual-connection-post-layernorm",
      "--rotary-interleaved", "--use-rope-scaling", "--fp16-lm-cross-entropy", "--bert-no-binary-head",
      "--no-fp8-wgrad", "--fp8-param-gather", "--first-last-layers-bf16", "--te-rng-tracker",
      "--inference-rng-tracker", "--use-ring-exchange-p2p", "--ddp-average-in-collective", "--no-align-grad-reduce",
      "--no-align-param-gather", "--delay-param-gather", "--delay-grad-reduce", "--no-delay-grad-reduce",
      "--use-sharp", "--disable-tp-comm-overlap-ag", "--disable-tp-comm-overlap-rs", "--tp-comm-overlap-rs-dgrad",
      "--disable-tp-comm-bulk-dgrad", "--disable-tp-comm-bulk-wgrad", "--disable-tp-comm-split-ag",
      "--disable-tp-comm-split-rs", "--moe-use-legacy-grouped-gemm",
      "--moe-router-pre-softmax", "--moe-router-enable-expert-bias", "--moe-router-force-load-balancing",
      "--moe-per-layer-logging",
      "--moe-use-upcycling", "--moe-permute-fusion",
      "--moe-apply-probs-on-input", "--use-torch-optimizer-for-cpu-offload", "--overlap-cpu-optimizer-d2h-h2d",
      "--no-pin-cpu-grads", "--no-pin-cpu-params", "--disable-msc", "--flash-decode", "--output-bert-embeddings"};
  const char* ignored_pre_core_flags[] = {"--no-contiguous-buffers-in-local-ddp", "--use-contiguous-buffers-in-local-ddp"};
  const char* ignored_values[] = {
      "--split", "--data-args-path", "--per-split-data-args-path", "--data-cache-path", "--num-workers",
      "--dataloader-type", "--num-dataset-builder-threads", "--object-storage-cache-path",
      "--mid-level-dataset-surplus", "--s3-cache-path", "--sample-rate", "--mask-prob", "--short-seq-prob",
      "--vocab-file", "--tokenizer-model", "--tiktoken-pattern", "--tiktoken-num-special-tokens", "--vocab-extra-ids",
      "--save", "--load", "--save-interval", "--save-retain-interval", "--non-persistent-save-interval",
      "--non-persistent-ckpt-type", "--non-persistent-global-ckpt-dir", "--non-persistent-local-ckpt-dir",
      "--non-persistent-local-ckpt-algo", "--pretrained-checkpoint", "--ckpt-step", "--dist-ckpt-format",
      "--ckpt-format", "--ckpt-convert-format", "--ckpt-convert-save", "--dist-ckpt-strictness",
      "--log-interval", "--tensorboard-dir", "--tensorboard-log-interval", "--tensorboard-queue-size",
      "--wandb-project", "--wandb-exp-name", "--wandb-save-dir", "--wandb-entity", "--logging-level",
      "--timing-log-level", "--timing-log-option", "--straggler-ctrlr-port", "--straggler-minmax-count",
      "--one-logger-project", "--one-logger-run-name", "--app-tag-run-name", "--app-tag-run-version",
      "--config-logger-dir", "--profile-step-start", "--profile-step-end", "--memory-snapshot-path",
      "--train-iters", "--train-samples", "--exit-interval", "--exit-duration-in-mins", "--eval-iters",
      "--eval-interval", "--adlr-autoresume-interval", "--exit-signal",
      "--lr", "--min-lr", "--lr-decay-style", "--lr-decay-iters", "--lr-decay-samples", "--lr-warmup-fraction",
      "--lr-warmup-iters", "--lr-warmup-samples", "--lr-warmup-init", "--lr-wsd-decay-style",
      "--lr-wsd-decay-samples", "--lr-wsd-decay-iters", "--decoupled-lr", "--decoupled-min-lr", "--weight-decay",
      "--start-weight-decay", "--end-weight-decay", "--weight-decay-incr-style", "--clip-grad", "--adam-beta1",
      "--adam-beta2", "--adam-eps", "--sgd-momentum", "--loss-scale", "--initial-loss-scale", "--min-loss-scale",
      "--loss-scale-window", "--hysteresis", "--seed", "--init-method-std", "--embedding-init-method-std",
      "--norm-epsilon", "--layernorm-epsilon", "--rotary-base", "--rotary-percent",
      "--rotary-seq-len-interpolation-factor", "--rope-scaling-factor", "--relative-attention-num-buckets",
      "--relative-attention-max-distance", "--distributed-backend", "--distributed-timeout-minutes",
      "--local-rank", "--local_rank", "--nccl-communicator-config-path", "--replication-jump",
      "--replication-factor", "--manual-gc-interval", "--check-weight-hash-across-dp-replicas-interval",
      "--train-sync-interval", "--empty-unused-memory-level", "--wgrad-deferral-limit", "--tp-comm-overlap-cfg",
      "--tp-comm-bootstrap-backend",
      "--moe-router-load-balancing-type",
      "--moe-router-topk-scaling-factor", "--moe-router-bias-update-rate", "--moe-router-dtype",
      "--moe-aux-loss-coeff", "--moe-z-loss-coeff", "--moe-input-jitter-eps",
      "--moe-token-drop-policy",
      "--rotary-scaling-factor", "--mscale",
      "--mscale-all-dim", "--fp8-recipe", "--fp8-margin", "--fp8-interval", "--fp8-amax-history-len",
      "--fp8-amax-compute-algo", "--num-layers-at-start-in-bf16", "--num-layers-at-end-in-bf16", "--fp4-recipe",
      "--optimizer-offload-fraction", "--inference-batch-times-seqlen-threshold", "--max-tokens-to-oom",
      "--inference-max-seq-length", "--error-injection-rate", "--error-injection-type", "--rerun-mode",
      "--mtp-loss-scaling-factor"};
  const char* ignored_pre_core_values[] = {"--data-impl", "--warmup"};
  const char* ignored_lists[] = {"--data-path", "--train-data-path", "--valid-data-path", "--test-data-path",
                                 "--rampup-batch-size", "--profile-ranks", "--tiktoken-special-tokens",
                                 "--hierarchical-context-parallel-sizes", "--mrope-section",
                                 "--high-priority-stream-groups"};
  for (const char* n : ignored_flags) t.push_back({n, N, E::Ignored});
  for (const char* n : ignored_pre_core_flags) t.push_back({n, N, E::Ignored, nullptr, {}, {}, true});
  for (const char* n : ignored_values) t.push_back({n, V, E::Ignored});
  for (const char* n : ignored_pre_core_values) t.push_back({n, V, E::Ignored, nullptr, {}, {}, true});
  for (const char* n : ignored_lists) t.push_back({n, L, E::Ignored});
  return t;
}

}  // namespace

const std::vector<MegatronFlag>& megatron_flags() {
  static const std::vector<MegatronFlag> table = build_table();
  return table;
}

const MegatronFlag* find_megatron_flag(std::string_view name) {
  static const std::map<std::string_view, const MegatronFlag*> index = [] {
    std::map<std::string_view, const MegatronFlag*> m;
    for (const auto& f : megatron_flags()) m.emplace(f.name, &f);
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::vector<FlagUse> read_megatron_flags(const std::vector<Word>& words) {
  std::vector<FlagUse> uses;
  for (size_t i = 0; i < words.size(); ++i) {
    const Word& w = words[i];
    if (w.text.rfind("-", 0) != 0 || w.text == "-" || w.text == "--") {
      const std::string after = uses.empty() ? "" : " (after " + uses.back().name + ")";
      throw InputError(w.where, w.text, "'" + w.text + "' is not a flag and no flag takes it as a value" + after +
                                            "; expected --name [value] words");
    }
    std::string name = w.text;
    std::optional<std::string> attached;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      attached = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const MegatronFlag* flag = find_megatron_flag(name);
    if (!flag) {
      std::vector<std::string> names;
      for (const auto& f : megatron_flags()) names.emplace_back(f.name);
      std::string hint = did_you_mean(name, names);
      if (hint.empty() && name.find('_') != std::string::npos) {
        std::string dashed = name;
        for (char& c : dashed)
          if (c == '_') c = '-';
        if (find_megatron_flag(dashed)) hint = "did you mean '" + dashed + "'?";
      }
      throw InputError(w.where, name, "not a Megatron-LM flag trainsim knows" + (hint.empty() ? "" : " (" + hint + ")") +
                                          "; expected a flag of pretrain_gpt.py (docs/import.md lists them)");
    }
    FlagUse use{name, {}, w.where};
    if (flag->arity == Arity::None) {
      if (attached) throw InputError(w.where, name, "takes no value, got '" + *attached + "'");
    } else if (attached) {
      Word v = w;
      v.text = *attached;
      use.values.push_back(v);
    } else if (flag->arity == Arity::One) {
      if (i + 1 >= words.size() || words[i + 1].text.rfind("--", 0) == 0)
        throw InputError(w.where, name, "needs a value");
      use.values.push_back(words[++i]);
    }
    if (flag->arity == Arity::Many) {
      while (i + 1 < words.size() && words[i + 1].text.rfind("--", 0) != 0) use.values.push_back(words[++i]);
      if (use.values.empty() && name != "--rampup-batch-size") throw InputError(w.where, name, "needs a value");
    }
    uses.push_back(std::move(use));
  }
  return uses;
}

}  // namespace trainsim::importer
