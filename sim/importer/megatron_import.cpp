#include "importer/megatron_import.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "core/units.hpp"
#include "importer/launcher.hpp"
#include "parallel/expert_layout.hpp"
#include "importer/megatron_args.hpp"
#include "importer/megatron_flags.hpp"

namespace trainsim::importer {

namespace {

using workload::Family;
using workload::Recompute;

std::string str(long long v) { return std::to_string(v); }

// Megatron-LM's padding of the vocabulary: up to a multiple of divisible_by x tp
// (megatron/training/tokenizer: _vocab_size_with_padding).
int padded_vocab(int size, int divisible_by, int tp) {
  const long long multiple = static_cast<long long>(divisible_by) * tp;
  return static_cast<int>((size + multiple - 1) / multiple * multiple);
}

class MegatronImport {
 public:
  MegatronImport(const std::vector<Command>& commands, const ImportOptions& options) : options_(options) {
    launch_ = parse_launch(commands);
    origin_ = launch_.script ? launch_.script->where
              : !launch_.flags.empty() ? launch_.flags.front().where
                                       : SourceLocation{kCommandLineName, 1, 1};
    std::vector<Word> all;
    if (launch_.script) all.push_back(*launch_.script);
    all.insert(all.end(), launch_.flags.begin(), launch_.flags.end());
    out_.source = (launch_.launcher.empty() ? "" : launch_.launcher + " ... ") + join_words(all);
    out_.ignored = launch_.ignored;
    for (const auto& c : launch_.other_commands) out_.notes.push_back("other command of the pasted text not run: " + c);
  }

  ImportResult run() {
    check_script();
    read_flags();
    auto& job = out_.job;
    job.where = origin_;
    job.plan.where = origin_;
    model();
    gpus();
    plan();
    recompute();
    kernels();
    precision();
    without_effect();
    const Locate locate = [this](const std::string& key) { return flag_of(key); };
    check_job(job, options_.platform, origin_, locate);
    routing();
    check_loads(job, options_, origin_, locate);
    return std::move(out_);
  }

 private:
  // An error about a flag the user gave, or (when it was not given) about the missing flag.
  template <class T>
  InputError error(const Set<T>& field, const std::string& flag, const std::string& message) const {
    return InputError(field.given() ? field.where : origin_, field.given() ? field.flag : flag, message);
  }
  InputError missing(const std::string& flag, const std::string& what) const {
    return InputError(origin_, flag, "missing; Megatron-LM needs " + what + "; expected " + flag + " N");
  }

  void check_script() {
    if (!launch_.script) return;
    const std::string& s = launch_.script->text;
    const std::string b = s.substr(s.rfind('/') == std::string::npos ? 0 : s.rfind('/') + 1);
    if (b == "pretrain_gpt.py") return;
    if (b == "pretrain_mamba.py")
      throw InputError(launch_.script->where, s, "pretrain_mamba.py trains Mamba (state-space) layers, which are not "
                                                 "modelled; trainsim simulates transformer layers (pretrain_gpt.py)");
    throw InputError(launch_.script->where, s,
                     "trainsim imports the flags of Megatron-LM's pretrain_gpt.py (decoder-only GPT models); for "
                     "another script, pass its pretrain_gpt.py flags alone after '--'");
  }

  void read_flags() {
    std::map<std::string, std::string> seen;  // flag -> the values first given
    std::vector<const FlagUse*> refused;
    uses_ = read_megatron_flags(launch_.flags);
    for (const auto& use : uses_) {
      const MegatronFlag& flag = *find_megatron_flag(use.name);
      std::string values;
      for (const auto& v : use.values) values += (values.empty() ? "" : " ") + v.text;
      if (auto [it, fresh] = seen.emplace(use.name, values); !fresh && it->second != values)
        out_.notes.push_back(use.name + " given twice: the last value (" + values + ") is used, as Megatron-LM's "
                                                                                   "argument parser does");
      if (flag.pre_core && !args_.pre_core.given()) args_.pre_core = {true, use.name, use.where};
      switch (flag.effect) {
        case Effect::Modelled:
          flag.apply(args_, use);
          break;
        case Effect::Ignored:
          if (std::find(out_.ignored.begin(), out_.ignored.end(), use.name) == out_.ignored.end())
            out_.ignored.push_back(use.name);
          break;
        case Effect::Refused:
          if (flag.harmless.empty() || values != flag.harmless) refused.push_back(&use);
          break;
      }
    }
    if (!refused.empty()) {
      const FlagUse& first = *refused.front();
      std::string also;
      for (size_t k = 1; k < refused.size(); ++k) also += (also.empty() ? "" : ", ") + refused[k]->name;
      const MegatronFlag& flag = *find_megatron_flag(first.name);
      const std::string expected =
          flag.harmless.empty() ? "no " + first.name : first.name + " " + std::string(flag.harmless);
      throw InputError(first.where, first.name,
                       std::string(flag.why) + "; expected " + expected +
                           (also.empty() ? "" : " (also not modelled here: " + also + ")"));
    }
    if (args_.optimizer.value != "adam")
      throw error(args_.optimizer, "--optimizer",
                  "SGD is not modelled (trainsim's optimizer step and memory are Adam's); expected adam");
  }

  void model() {
    auto& m = out_.job.model;
    const auto& a = args_;
    if (!a.num_layers.given()) throw missing("--num-layers", "the number of transformer layers");
    if (!a.hidden_size.given()) throw missing("--hidden-size", "the hidden size");
    if (!a.num_attention_heads.given()) throw missing("--num-attention-heads", "the number of attention heads");
    if (!a.seq_length.given()) throw missing("--seq-length", "the sequence length");
    m.layers = a.num_layers.value;
    m.hidden = a.hidden_size.value;
    m.heads = a.num_attention_heads.value;
    m.seq_len = a.seq_length.value;
    m.family = a.swiglu.value ? Family::Llama : Family::Gpt;
    traits();
    latent_attention();
    // --kv-channels: the width of a head (model.head_size) when it is not hidden / heads.
    if (a.kv_channels.given() && !m.mla.enabled() && a.kv_channels.value != m.hidden / m.heads)
      m.head_size = a.kv_channels.value;
    else if (a.kv_channels.given() && m.mla.enabled())
      out_.ignored.push_back("--kv-channels (multi-latent attention's widths are --qk-head-dim, "
                             "--qk-pos-emb-head-dim and --v-head-dim)");
    if (m.hidden % m.heads != 0 && m.head_size == 0 && !m.mla.enabled())
      throw error(a.num_attention_heads, "--num-attention-heads",
                  str(m.heads) + " heads do not divide the hidden size " + str(m.hidden) +
                      "; expected a divisor of --hidden-size, or --kv-channels for the width of a head");
    m.kv_heads = m.heads;
    if (a.group_query_attention.value) {
      m.kv_heads = a.num_query_groups.given() ? a.num_query_groups.value : 1;  // Megatron-LM's default: 1
      if (m.heads % m.kv_heads != 0)
        throw error(a.num_query_groups, "--num-query-groups",
                    str(m.kv_heads) + " query groups do not divide the " + str(m.heads) + " heads");
      if (m.kv_heads != m.heads && m.family == Family::Gpt)
        throw error(a.group_query_attention, "--group-query-attention",
                    "grouped-query attention in a GELU model is not modelled (trainsim's GPT family is "
                    "multi-head); expected --swiglu for the llama family, or no --group-query-attention");
    } else if (a.num_query_groups.given()) {
      out_.ignored.push_back(a.num_query_groups.flag + " (no effect without --group-query-attention)");
    }
    if (a.ffn_hidden_size.given()) {
      m.ffn_hidden = a.ffn_hidden_size.value;
    } else if (m.family == Family::Llama) {
      m.ffn_hidden = static_cast<int>(4LL * m.hidden * 2 / 3 / 64 * 64);  // Megatron-LM's SwiGLU default
      out_.notes.push_back("FFN width " + str(m.ffn_hidden) + ": Megatron-LM's default with --swiglu, "
                                                               "int(8 h / 3 / 64) x 64");
    } else {
      m.ffn_hidden = 4 * m.hidden;
    }
    if (a.max_position_embeddings.given() && a.max_position_embeddings.value < m.seq_len &&
        a.position_embedding_type.value == "learned_absolute")
      throw error(a.max_position_embeddings, "--max-position-embeddings",
                  str(a.max_position_embeddings.value) + " positions are fewer than --seq-length " + str(m.seq_len) +
                      "; expected at least " + str(m.seq_len));
    m.tied_embeddings = !a.untie_embeddings_and_output_weights.value;
    experts();
    vocabulary();
    m.name = matching_preset(m).value_or("");  // no preset: the scenario names it (import_result.hpp)
  }

  // --multi-latent-attention and its widths (Megatron-LM's defaults) -> model.mla.
  void latent_attention() {
    auto& m = out_.job.model;
    const auto& a = args_;
    if (!a.multi_latent_attention.value) {
      for (const auto* f : {&a.q_lora_rank, &a.kv_lora_rank, &a.qk_head_dim, &a.qk_pos_emb_head_dim, &a.v_head_dim})
        if (f->given()) out_.ignored.push_back(f->flag + " (no effect without --multi-latent-attention)");
      return;
    }
    if (m.family != Family::Llama)
      throw error(a.multi_latent_attention, "--multi-latent-attention",
                  "multi-latent attention is modelled in trainsim's SwiGLU family (RMSNorm, no biases), as DeepSeek "
                  "builds it; expected --swiglu with it");
    m.mla.q_lora_rank = a.q_lora_rank.given() ? a.q_lora_rank.value : 0;
    m.mla.kv_lora_rank = a.kv_lora_rank.value;
    m.mla.qk_head_dim = a.qk_head_dim.value;
    m.mla.qk_rope_head_dim = a.qk_pos_emb_head_dim.value;
    m.mla.v_head_dim = a.v_head_dim.value;
    for (const auto* f : {&a.kv_lora_rank, &a.qk_head_dim, &a.qk_pos_emb_head_dim, &a.v_head_dim})
      if (!f->given())
        out_.notes.push_back("multi-latent attention: " + std::string(f == &a.kv_lora_rank     ? "kv_lora_rank"
                                                                      : f == &a.qk_head_dim    ? "qk_head_dim"
                                                                      : f == &a.v_head_dim     ? "v_head_dim"
                                                                                               : "qk_rope_head_dim") +
                             " " + str(f->value) + " (Megatron-LM's default)");
  }

  // --num-experts and the --moe-* flags -> family moe (docs/import.md, "Mixture of experts").
  void experts() {
    auto& m = out_.job.model;
    const auto& a = args_;
    const std::vector<const Set<int>*> int_flags = {&a.moe_ffn_hidden_size, &a.moe_shared_expert_intermediate_size,
                                                    &a.moe_router_num_groups, &a.moe_router_group_topk,
                                                    &a.moe_router_topk_limited_devices,
                                                    &a.expert_tensor_parallel_size};
    if (!a.num_experts.given()) {
      // Without experts Megatron-LM builds dense layers and these flags do nothing.
      for (const auto* f : int_flags)
        if (f->given()) out_.ignored.push_back(f->flag + " (no effect without --num-experts)");
      for (const auto* f : {&a.moe_router_topk.flag, &a.moe_layer_freq.flag, &a.moe_router_score_function.flag,
                            &a.moe_token_dispatcher_type.flag, &a.moe_expert_capacity_factor.flag,
                            &a.moe_grouped_gemm.flag, &a.moe_pad_expert_input_to_capacity.flag,
                            &a.moe_enable_deepep.flag})
        if (!f->empty()) out_.ignored.push_back(*f + " (no effect without --num-experts)");
      if (a.expert_model_parallel_size.value > 1)
        throw error(a.expert_model_parallel_size, "--expert-model-parallel-size",
                    "expert parallelism without experts; expected --num-experts with it, or 1");
      return;
    }
    auto& e = m.moe;
    e.experts = a.num_experts.value;
    e.top_k = a.moe_router_topk.value;
    if (!a.moe_router_topk.given())
      out_.notes.push_back("top-" + str(e.top_k) + " routing (Megatron-LM's default --moe-router-topk)");
    e.expert_ffn_hidden = a.moe_ffn_hidden_size.given() ? a.moe_ffn_hidden_size.value : m.ffn_hidden;
    e.shared_ffn_hidden = a.moe_shared_expert_intermediate_size.given() ? a.moe_shared_expert_intermediate_size.value : 0;
    e.score = a.moe_router_score_function.value == "sigmoid" ? workload::RouterScore::Sigmoid
                                                             : workload::RouterScore::Softmax;
    // --moe-layer-freq: trainsim's MoE models have their dense layers first.
    const auto& freq = a.moe_layer_freq.value;
    if (freq.size() == 1 && freq[0] < 0) {
      if (freq[0] != -1 && m.layers > 1)
        throw error(a.moe_layer_freq, "--moe-layer-freq",
                    "a MoE layer every " + str(-freq[0]) + " layers (the others dense) is not modelled: trainsim's "
                    "MoE models have their dense layers first; expected 1, or a pattern such as \"[0]*3+[1]*" +
                        str(m.layers - 3) + "\"");
      e.dense_layers = 0;
    } else {
      if (static_cast<int>(freq.size()) != m.layers)
        throw error(a.moe_layer_freq, "--moe-layer-freq",
                    "the pattern has " + str(freq.size()) + " layers, --num-layers " + str(m.layers) +
                        "; expected one 0 or 1 per layer, as Megatron-LM requires");
      int k = 0;
      while (k < m.layers && freq[k] == 0) ++k;
      for (int l = k; l < m.layers; ++l)
        if (freq[l] != 1)
          throw error(a.moe_layer_freq, "--moe-layer-freq",
                      "layer " + str(l) + " is dense after MoE layers: trainsim's MoE models have their dense layers "
                      "first; expected a pattern such as \"[0]*" + str(k) + "+[1]*" + str(m.layers - k) + "\"");
      if (k == m.layers)
        throw error(a.moe_layer_freq, "--moe-layer-freq", "has no MoE layer; expected at least one 1");
      e.dense_layers = k;
    }
    if (a.moe_expert_capacity_factor.given()) {
      // From experts / top_k on, an expert's capacity holds every token: dropless, as scenarios
      // write it (no capacity_factor).
      const double never_drops = static_cast<double>(e.experts) / e.top_k;
      if (a.moe_expert_capacity_factor.value >= never_drops)
        out_.notes.push_back("capacity factor " + units::format_significant(a.moe_expert_capacity_factor.value) +
                             " drops no token (from experts / top_k = " + units::format_significant(never_drops) +
                             " on, an expert takes every token): dropless routing");
      else
        e.capacity_factor = a.moe_expert_capacity_factor.value;
    }
    if (a.moe_pad_expert_input_to_capacity.value)
      throw error(a.moe_pad_expert_input_to_capacity, "--moe-pad-expert-input-to-capacity",
                  "padding every expert's input to its capacity is not modelled (trainsim's experts compute the rows "
                  "they receive); expected no --moe-pad-expert-input-to-capacity");
  }

  // trainsim's model families fix the layer's traits together (docs/model.md); flags that
  // would change what the model computes are refused, those its costs treat alike are noted.
  void traits() {
    const auto& a = args_;
    const bool llama = a.swiglu.value;
    const std::string family = llama ? "trainsim's SwiGLU family (llama)" : "trainsim's GELU family (gpt)";
    if (llama) {
      if (a.add_bias_linear.value)
        throw error(a.swiglu, "--swiglu",
                    "linear-layer biases (Megatron-LM's default) in a SwiGLU model are not modelled: " + family +
                        " has none; expected --disable-bias-linear");
      if (a.add_qkv_bias.value)
        throw error(a.add_qkv_bias, "--add-qkv-bias", "QKV biases are not modelled: " + family + " has no biases");
      for (const auto* d : {&a.hidden_dropout, &a.attention_dropout})
        if (d->value > 0) {
          const std::string message = "dropout (Megatron-LM's default 0.1) in a SwiGLU model is not modelled: " +
                                      family + " has none; expected --hidden-dropout 0 --attention-dropout 0";
          throw d->given() ? error(*d, "", message) : error(a.swiglu, "--swiglu", message);
        }
      if (a.normalization.value != "RMSNorm" || a.apply_layernorm_1p.value)
        out_.notes.push_back("LayerNorm modelled as the llama family's RMSNorm (the same memory traffic in "
                             "trainsim's model; h fewer parameters per norm)");
      if (a.position_embedding_type.value == "learned_absolute")
        out_.notes.push_back("learned absolute position embedding left out (the llama family has none: s x h "
                             "fewer parameters); rope and none are the llama family's");
    } else {
      if (!a.add_bias_linear.value)
        throw error(a.add_bias_linear, "--disable-bias-linear",
                    "a GELU model without linear biases is not modelled: " + family +
                        " has them; expected --swiglu for the bias-free llama family, or the biases");
      for (const auto* d : {&a.hidden_dropout, &a.attention_dropout})
        if (d->value == 0)
          throw error(*d, d == &a.hidden_dropout ? "--hidden-dropout" : "--attention-dropout",
                      "a GELU model without dropout is not modelled: " + family +
                          " applies dropout (its kernels and masks are costed); expected a positive dropout, or "
                          "--swiglu for the dropout-free llama family");
      if (a.normalization.value != "LayerNorm")
        out_.notes.push_back("RMSNorm modelled as the gpt family's LayerNorm (the same memory traffic in "
                             "trainsim's model; h more parameters per norm)");
      if (a.position_embedding_type.value != "learned_absolute")
        out_.notes.push_back(a.position_embedding_type.value + " positions modelled as the gpt family's learned "
                                                                "position embedding (s x h more parameters)");
    }
  }

  void vocabulary() {
    auto& m = out_.job.model;
    const auto& a = args_;
    const int tp = a.tensor_model_parallel_size.value, div = a.make_vocab_size_divisible_by.value;
    if (a.padded_vocab_size.given()) {
      m.vocab = a.padded_vocab_size.value;
      if (m.vocab % tp != 0)
        throw error(a.padded_vocab_size, "--padded-vocab-size",
                    str(m.vocab) + " is not divisible by the tensor-parallel size " + str(tp) +
                        " (Megatron-LM's vocabulary-parallel embedding splits it); expected a multiple of " + str(tp));
      if (a.vocab_size.given()) out_.ignored.push_back("--vocab-size (--padded-vocab-size gives the padded size)");
      return;
    }
    int base = 0;
    std::string why;
    const std::string tok = a.tokenizer_type.value;
    if (tok == "GPT2BPETokenizer" || (tok.empty() && a.merge_file.value)) {
      base = 50257;
      why = tok.empty() ? "GPT-2 BPE: --merge-file without --tokenizer-type" : "GPT2BPETokenizer";
      if (a.vocab_size.given()) out_.ignored.push_back("--vocab-size (the GPT-2 tokenizer has 50257 tokens)");
    } else if (tok == "NullTokenizer") {
      if (!a.vocab_size.given()) throw missing("--vocab-size", "the NullTokenizer's vocabulary size");
      base = a.vocab_size.value + 1;  // NullTokenizer adds the end-of-document token
      why = "NullTokenizer, --vocab-size + 1 for its end-of-document token";
    } else if (a.vocab_size.given()) {
      base = a.vocab_size.value;
      why = "--vocab-size" + (tok.empty() ? std::string() : ", taken as " + tok + "'s size");
    } else {
      throw InputError(a.tokenizer_type.given() ? a.tokenizer_type.where : origin_, "--padded-vocab-size",
                       "missing; the vocabulary size " +
                           (tok.empty() ? std::string("is not in the flags")
                                        : "of --tokenizer-type " + tok + " is in its tokenizer files, which trainsim "
                                                                         "cannot see") +
                           "; expected --padded-vocab-size N (Megatron-LM prints it at start-up: 'padded vocab "
                           "... (new size: N)') or --vocab-size N");
    }
    m.vocab = padded_vocab(base, div, tp);
    out_.notes.push_back("vocabulary " + str(base) + " (" + why + ") padded to " + str(m.vocab) + ", a multiple of " +
                         str(div) + " x tp " + str(tp) + " as Megatron-LM pads it");
  }

  // GPU count: trainsim's --nodes/--gpus-per-node, else the launcher's, else its default.
  void gpus() {
    const auto& platform = options_.platform;
    auto pick = [&](const std::optional<int>& mine, const char* my_flag, const std::optional<LaunchCount>& theirs,
                    int fallback, const std::string& fallback_why, SourceLocation& where, std::string& key) -> int {
      if (mine) {
        if (theirs && theirs->value && *theirs->value != *mine)
          throw InputError(theirs->where, theirs->text,
                           theirs->option + " " + theirs->text + " but trainsim import's " + my_flag + " " +
                               str(*mine) + "; expected one value (drop " + my_flag + " or fix the launcher)");
        key = my_flag;
        return *mine;
      }
      if (theirs) {
        if (!theirs->value)
          throw InputError(theirs->where, theirs->text,
                           "'" + theirs->text + "' (" + theirs->option + ") is a shell variable the pasted text does "
                           "not set; expected trainsim import's " + my_flag + " N, or the expanded command");
        where = theirs->where;
        key = theirs->option;
        return *theirs->value;
      }
      if (fallback <= 0)
        throw InputError(origin_, my_flag,
                         "missing; the flags do not say how many GPUs run the job; expected trainsim import's "
                         "--nodes N (and --gpus-per-node G), or the launcher line (torchrun --nnodes N "
                         "--nproc-per-node G ...)");
      out_.notes.push_back(fallback_why);
      key = my_flag;
      return fallback;
    };
    SourceLocation where = origin_;
    std::string key;
    const bool torch = launch_.launcher == "torchrun" || launch_.launcher.rfind("torch.distributed", 0) == 0;
    const int platform_gpn = platform.clusters.empty() ? 0 : platform.clusters[0].gpus_per_node;
    const int nodes = pick(options_.nodes, "--nodes", launch_.nodes, torch ? 1 : 0,
                           launch_.launcher + " starts on one node (its default)", where, key);
    const std::string nodes_key = key;
    const SourceLocation nodes_where = where;
    int per_node_fallback = 0;
    std::string per_node_why;
    if (launch_.per_node_is_all_gpus) {
      per_node_fallback = platform_gpn;
      per_node_why = "one process per GPU of the node (--nproc-per-node gpu): " + str(platform_gpn);
    } else if (torch) {
      per_node_fallback = 1;
      per_node_why = launch_.launcher + " starts one process per node (its default)";
    } else if (launch_.launcher == "srun") {
      // Inside an allocation srun starts the tasks sbatch asked for: one per GPU for Megatron-LM.
      per_node_fallback = platform_gpn;
      per_node_why = "srun without --ntasks-per-node: one task per GPU of the allocation's nodes, " +
                     str(platform_gpn) + " per node";
    } else if (options_.nodes) {
      per_node_fallback = platform_gpn;
      per_node_why = "every GPU of each node: " + str(platform_gpn) + " per node";
    }
    where = origin_;
    const int per_node = pick(options_.gpus_per_node, "--gpus-per-node", launch_.gpus_per_node, per_node_fallback,
                              per_node_why, where, key);
    out_.nodes = nodes;
    out_.gpus_per_node = per_node;
    mapping_ = job_gpus(platform, nodes, 1, nodes_where, nodes_key);  // the node count first
    mapping_ = job_gpus(platform, nodes, per_node, where, key);
    world_ = nodes * per_node;
  }

  void plan() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& m = out_.job.model;
    p.tp = a.tensor_model_parallel_size.value;
    p.pp = a.pipeline_model_parallel_size.value;
    p.cp = a.context_parallel_size.value;
    if (world_ % (p.tp * p.cp * p.pp) != 0)
      throw error(a.tensor_model_parallel_size, "--tensor-model-parallel-size",
                  "the " + str(world_) + " GPUs (" + nodes_text(out_.nodes, out_.gpus_per_node) +
                      ") do not divide into tp x cp x pp = " + str(p.tp * p.cp * p.pp) +
                      "; expected tp x cp x pp to divide them");
    p.dp = world_ / (p.tp * p.cp * p.pp);
    if (!mapping_.empty()) {
      p.order = RankOrder::Explicit;
      p.mapping = mapping_;
      out_.notes.push_back(str(out_.gpus_per_node) + " GPUs used on each node: ranks mapped to them in Megatron-LM's "
                                                     "order");
    }
    if (m.heads % p.tp != 0)
      throw error(a.tensor_model_parallel_size, "--tensor-model-parallel-size",
                  "tp " + str(p.tp) + " does not divide the " + str(m.heads) + " attention heads");
    if (m.kv_heads % p.tp != 0)
      throw error(a.num_query_groups, "--num-query-groups",
                  str(m.kv_heads) + " query groups are not divisible by tp " + str(p.tp) +
                      " (Megatron-LM splits them over the tensor-parallel ranks)");
    if (m.ffn_hidden % p.tp != 0)
      throw error(a.ffn_hidden_size, "--ffn-hidden-size",
                  "FFN width " + str(m.ffn_hidden) + " is not divisible by tp " + str(p.tp));
    if (!a.micro_batch_size.given()) throw missing("--micro-batch-size", "the micro-batch size");
    p.micro_batch = a.micro_batch_size.value;
    if (a.global_batch_size.given()) {
      p.global_batch = a.global_batch_size.value;
      if (p.global_batch % (p.micro_batch * p.dp) != 0)
        throw error(a.global_batch_size, "--global-batch-size",
                    str(p.global_batch) + " is not divisible by micro-batch x data-parallel size = " +
                        str(p.micro_batch) + " x " + str(p.dp) + "; expected a multiple of " +
                        str(p.micro_batch * p.dp));
    } else {
      p.global_batch = p.micro_batch * p.dp;
      out_.notes.push_back("global batch " + str(p.global_batch) + " = micro-batch x dp (Megatron-LM's default)");
    }
    pipeline();
    context_parallel();
    expert_plan();
    // Sequence parallelism: Megatron-LM turns it off without tensor parallelism.
    p.sequence_parallel = a.sequence_parallel.value && p.tp > 1;
    if (a.sequence_parallel.value && p.tp == 1)
      out_.notes.push_back("--sequence-parallel without tensor parallelism: off, as Megatron-LM turns it off");
    if (p.sequence_parallel && m.seq_len % p.tp != 0)
      throw error(a.sequence_parallel, "--sequence-parallel",
                  "the sequence length " + str(m.seq_len) + " is not divisible by tp " + str(p.tp));
    p.scatter_gather = a.scatter_gather_tensors_in_pipeline.value;
    // Data-parallel gradients.
    p.zero_stage = a.use_distributed_optimizer.value ? 1 : 0;
    if (a.use_torch_fsdp2.value) torch_fsdp2();
    p.grad_reduce_bytes = grad_reduce_bytes();
    const double kGradBytes = p.grad_reduce_bytes;
    if (a.ddp_impl.value == "torch") {
      if (a.use_distributed_optimizer.value)
        throw error(a.ddp_impl, "--DDP-impl", "torch with --use-distributed-optimizer: Megatron-LM's distributed "
                                              "optimizer needs --DDP-impl local");
      p.overlap_grad_reduce = true;
      p.bucket_bytes = 25.0 * 1024 * 1024;  // PyTorch DDP's bucket_cap_mb = 25
      out_.notes.push_back("--DDP-impl torch: PyTorch DistributedDataParallel, gradient all-reduce overlapped with "
                           "the backward pass in 25 MiB buckets");
    } else {
      if (a.ddp_impl.value == "local")
        out_.notes.push_back("--DDP-impl local: Megatron-LM's own data parallelism, gradients all-reduced after the "
                             "backward pass");
      p.overlap_grad_reduce = a.overlap_grad_reduce.value;
      // Megatron-LM's DDP bucket: --ddp-bucket-size parameters, or its default.
      p.bucket_bytes = a.ddp_bucket_size.given() ? static_cast<double>(a.ddp_bucket_size.value) * kGradBytes
                                                 : megatron_default_bucket_bytes(p.dp * p.cp) / 2 * kGradBytes;
    }
    p.overlap_param_gather = a.overlap_param_gather.value;
    if (p.overlap_param_gather && p.zero_stage != 1)
      throw error(a.overlap_param_gather, "--overlap-param-gather",
                  "overlaps the distributed optimizer's parameter all-gather, as Megatron-LM asserts; expected "
                  "--use-distributed-optimizer with it");
    p.tp_comm_overlap = a.tp_comm_overlap.value && p.tp > 1;
    if (a.tp_comm_overlap.value && p.tp == 1)
      out_.notes.push_back("--tp-comm-overlap without tensor parallelism: nothing to overlap");
    if (p.tp_comm_overlap && !p.sequence_parallel)
      throw error(a.tp_comm_overlap, "--tp-comm-overlap",
                  "pipelines the all-gathers and reduce-scatters of sequence parallelism with the GEMMs, as "
                  "Megatron-Core asserts; expected --sequence-parallel with it");
  }

  // --cp-comm-type -> cp_comm.
  // --use-torch-fsdp2: Megatron-LM wraps each transformer layer, the embedding and the output
  // layer in PyTorch's fully_shard (core/distributed/torch_fully_sharded_data_parallel.py),
  // parameters resharded after the forward: trainsim's ZeRO-3 units of one layer with the
  // embedding and the head as units of their own, one unit gathered ahead (FSDP2's prefetch;
  // docs/training.md, "Sharded data parallelism and overlap"). Megatron-LM's argument checks
  // refuse it with pipelining and with its distributed optimizer.
  void torch_fsdp2() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    if (a.use_distributed_optimizer.value)
      throw error(a.use_torch_fsdp2, "--use-torch-fsdp2",
                  "with --use-distributed-optimizer, which Megatron-LM refuses (FSDP2 shards the optimizer states "
                  "itself); expected one of the two");
    if (p.pp > 1)
      throw error(a.use_torch_fsdp2, "--use-torch-fsdp2",
                  "with pipeline parallelism, which Megatron-LM refuses; expected --pipeline-model-parallel-size 1");
    p.zero_stage = 3;
    p.fsdp.unit_layers = 1;
    p.fsdp.prefetch = 1;
    out_.notes.push_back("--use-torch-fsdp2: zero_stage 3, one transformer layer per FSDP unit (the embedding and "
                         "the output layer their own), one unit gathered ahead");
  }

  void context_parallel() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const std::string t = a.cp_comm_type.value;
    if (p.cp == 1) {
      if (a.cp_comm_type.given()) out_.ignored.push_back(a.cp_comm_type.flag + " (no effect without context parallelism)");
      return;
    }
    if (t == "a2a" || t == "a2a+p2p")
      throw error(a.cp_comm_type, "--cp-comm-type",
                  t + " (all-to-all over the heads, Ulysses-style) is not modelled: trainsim's context parallelism "
                      "passes keys and values around a ring (p2p) or all-gathers them (allgather); expected p2p or "
                      "allgather");
    p.cp_comm = t == "allgather" ? CpComm::AllGather : CpComm::Ring;
    if (!a.cp_comm_type.given())
      out_.notes.push_back("context parallelism by ring attention (Megatron-Core's default --cp-comm-type p2p)");
  }

  // Expert parallelism and how the experts run: parallelism.ep / expert_tp, moe.*, gemm_precision.
  void expert_plan() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& m = out_.job.model;
    if (a.fp8_format.given()) {
      if (!m.is_moe())
        throw error(a.fp8_format, a.fp8_format.flag,
                    "FP8 GEMMs are modelled for MoE models (--num-experts); trainsim's dense training programs time "
                    "every GEMM in 16 bits; expected no " + a.fp8_format.flag + " (the job then simulates as 16-bit "
                    "training)");
      p.gemm_precision = workload::Precision::Fp8;
    }
    if (!m.is_moe()) return;
    p.experts.ep = a.expert_model_parallel_size.value;
    if (a.expert_tensor_parallel_size.given() && a.expert_tensor_parallel_size.value != p.tp)
      p.experts.expert_tp = a.expert_tensor_parallel_size.value;
    p.experts.grouped_gemm = a.moe_grouped_gemm.value;
    if (!a.moe_grouped_gemm.value)
      out_.notes.push_back("one GEMM per expert (Megatron-LM's SequentialMLP without --moe-grouped-gemm)");
    const bool dispatches = p.experts.ep > 1 || p.expert_tp() > 1;
    const std::string d = a.moe_token_dispatcher_type.value;
    if (a.moe_enable_deepep.value && d != "flex")
      throw error(a.moe_enable_deepep, "--moe-enable-deepep",
                  "DeepEP runs in the flex token dispatcher, as Megatron-LM requires; expected "
                  "--moe-token-dispatcher-type flex with it");
    if (d == "allgather" && dispatches)
      throw error(a.moe_token_dispatcher_type, "--moe-token-dispatcher-type",
                  std::string(a.moe_token_dispatcher_type.given() ? "allgather" : "missing: the allgather dispatcher "
                                                                                  "(Megatron-LM's default)") +
                      " gathers every token on every expert rank, which is not modelled (trainsim dispatches tokens "
                      "by all-to-all); expected --moe-token-dispatcher-type alltoall, or flex with DeepEP");
    if (d == "flex") {
      p.experts.all_to_all = Granularity::ClosedForm;
      out_.notes.push_back("flex token dispatcher: dispatch and combine in closed form, each token sent once per "
                           "node as DeepEP sends it (moe.all_to_all: closed_form, docs/moe.md)");
    } else {
      p.experts.all_to_all = Granularity::Aggregated;
    }
    out_.notes.push_back("routing drawn uniformly over the experts (moe.routing: uniform; Megatron-LM's router and "
                         "its load balancing are not run, docs/moe.md)");
  }

  // Group-limited routing -> moe.routing.max_nodes, when the groups are the EP group's nodes
  // (needs the assembled plan: the nodes of an EP group).
  void routing() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& m = out_.job.model;
    if (!m.is_moe()) return;
    const bool groups = a.moe_router_num_groups.given(), topk = a.moe_router_group_topk.given();
    const bool devices = a.moe_router_topk_limited_devices.given();
    if (!groups && !topk && !devices) return;
    if (groups != topk)
      throw error(groups ? a.moe_router_num_groups : a.moe_router_group_topk,
                  groups ? "--moe-router-num-groups" : "--moe-router-group-topk",
                  "group-limited routing needs both --moe-router-num-groups and --moe-router-group-topk, as "
                  "Megatron-LM requires");
    if (groups && devices)
      throw error(a.moe_router_topk_limited_devices, "--moe-router-topk-limited-devices",
                  "given with --moe-router-num-groups; expected one of them");
    const ExpertLayout layout(p);
    const auto placement = expert_placement(layout.ep_groups(0).front(), m.moe.experts, options_.platform);
    const int nodes = placement.nodes(), ep = p.experts.ep;
    const std::string where_nodes = "the EP group of " + str(ep) + " ranks spans " + str(nodes) +
                                    (nodes == 1 ? " node" : " nodes");
    const auto& f = groups ? a.moe_router_group_topk : a.moe_router_topk_limited_devices;
    if (groups) {
      const int g = a.moe_router_num_groups.value;
      if (g != nodes && !(g == ep && ep == nodes))
        throw error(a.moe_router_num_groups, "--moe-router-num-groups",
                    str(g) + " groups of experts are not the nodes of an EP group (" + where_nodes +
                        "): trainsim models node-limited routing; expected --moe-router-num-groups " + str(nodes));
    } else if (ep != nodes) {
      throw error(f, f.flag,
                  "device-limited routing over " + str(ep) + " EP ranks on " + str(nodes) +
                      " nodes is not modelled (" + where_nodes + "); trainsim models node-limited routing: expected "
                      "--moe-router-num-groups " + str(nodes) + " --moe-router-group-topk M");
    }
    if (f.value > nodes)
      throw error(f, f.flag, str(f.value) + " is more than the " + str(nodes) + " nodes of an EP group; expected 1 to " +
                                 str(nodes));
    p.experts.routing.max_nodes = f.value;
  }

  // The flag behind a scenario key, so that a refusal by the scenario loader names what the
  // user wrote (the flag that set the key, when one did).
  std::optional<FlagRef> flag_of(const std::string& key) const {
    const auto& a = args_;
    auto ref = [](const auto& f) -> std::optional<FlagRef> {
      if (!f.given()) return std::nullopt;
      return FlagRef{f.where, f.flag};
    };
    const std::string& k = key;
    if (k == "parallelism.tp") return ref(a.tensor_model_parallel_size);
    if (k == "parallelism.pp") return ref(a.pipeline_model_parallel_size);
    if (k == "parallelism.cp") return ref(a.context_parallel_size);
    if (k == "parallelism.ep") return ref(a.expert_model_parallel_size);
    if (k == "parallelism.expert_tp") return ref(a.expert_tensor_parallel_size);
    if (k == "cp_comm") return ref(a.cp_comm_type);
    if (k == "zero_stage" || k.rfind("fsdp", 0) == 0)
      return a.use_torch_fsdp2.value ? ref(a.use_torch_fsdp2) : ref(a.use_distributed_optimizer);
    if (k == "overlap_grad_reduce") return a.overlap_grad_reduce.given() ? ref(a.overlap_grad_reduce) : ref(a.ddp_impl);
    if (k == "overlap_param_gather") return ref(a.overlap_param_gather);
    if (k == "tp_comm_overlap") return ref(a.tp_comm_overlap);
    if (k == "sequence_parallel") return ref(a.sequence_parallel);
    if (k == "gemm_precision") return ref(a.fp8_format);
    if (k == "attention") return a.attention_backend.given() ? ref(a.attention_backend) : ref(a.transformer_impl);
    if (k == "recompute") return ref(a.recompute_granularity);
    if (k == "moe.routing.max_nodes")
      return a.moe_router_group_topk.given() ? ref(a.moe_router_group_topk) : ref(a.moe_router_topk_limited_devices);
    if (k == "model.experts") return ref(a.num_experts);
    if (k == "model.top_k") return ref(a.moe_router_topk);
    if (k == "model.expert_ffn_hidden") return ref(a.moe_ffn_hidden_size);
    if (k == "model.shared_expert_ffn_hidden") return ref(a.moe_shared_expert_intermediate_size);
    if (k == "model.dense_layers") return ref(a.moe_layer_freq);
    if (k == "model.capacity_factor") return ref(a.moe_expert_capacity_factor);
    if (k.rfind("model.mla", 0) == 0) return ref(a.multi_latent_attention);
    if ((k == "layers_per_stage" || k == "layers_per_virtual_stage") && a.standalone_embedding_stage.value)
      return ref(a.standalone_embedding_stage);
    if (k == "layers_per_stage" || k == "layers_per_virtual_stage") {
      for (const auto* f : {&a.decoder_first_pipeline_num_layers, &a.decoder_last_pipeline_num_layers})
        if (f->given()) return ref(*f);
      if (a.pipeline_model_parallel_layout.given()) return ref(a.pipeline_model_parallel_layout);
      return a.account_for_embedding_in_pipeline_split.given() ? ref(a.account_for_embedding_in_pipeline_split)
                                                               : ref(a.account_for_loss_in_pipeline_split);
    }
    return std::nullopt;
  }

  // Pipeline stages and virtual stages: even, uneven first/last stages, the embedding or loss
  // counted as a layer, or an explicit layout.
  void pipeline() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& m = out_.job.model;
    const bool uneven = a.decoder_first_pipeline_num_layers.given() || a.decoder_last_pipeline_num_layers.given();
    const bool accounted =
        a.account_for_embedding_in_pipeline_split.value || a.account_for_loss_in_pipeline_split.value;
    const auto& acc = a.account_for_embedding_in_pipeline_split.value ? a.account_for_embedding_in_pipeline_split
                                                                      : a.account_for_loss_in_pipeline_split;
    if (a.num_layers_per_virtual_pipeline_stage.given() && a.num_virtual_stages_per_pipeline_rank.given())
      throw error(a.num_virtual_stages_per_pipeline_rank, "--num-virtual-stages-per-pipeline-rank",
                  "given with --num-layers-per-virtual-pipeline-stage; expected one of them");
    if (accounted && uneven)
      throw error(acc, acc.flag, "given with --decoder-first/last-pipeline-num-layers, as Megatron-LM refuses; "
                                 "expected one way of splitting the layers");
    if (a.pipeline_model_parallel_layout.given()) {
      for (const auto* f : {&a.num_layers_per_virtual_pipeline_stage, &a.num_virtual_stages_per_pipeline_rank,
                            &a.decoder_first_pipeline_num_layers, &a.decoder_last_pipeline_num_layers})
        if (f->given())
          throw error(*f, f->flag, "given with --pipeline-model-parallel-layout, which sets the split; expected one of them");
      if (accounted)
        throw error(acc, acc.flag, "given with --pipeline-model-parallel-layout, which places the embedding and loss");
      layout();
    } else if (a.standalone_embedding_stage.value) {
      standalone_embedding_stage(uneven || accounted);
    } else {
      split(uneven, accounted);
    }
    if (p.chunks > 1 && p.micro_batches() % p.pp != 0)
      throw error(a.global_batch_size, "--global-batch-size",
                  "gives " + str(p.micro_batches()) + " micro-batches per pipeline, not a multiple of pp " +
                      str(p.pp) + "; trainsim's interleaved 1F1B needs one (Megatron-LM's original schedule)");
    (void)m;
  }

  // --standalone-embedding-stage (Megatron-LM 2022): pipeline rank 0 holds the embedding and no
  // transformer layer, the others num_layers / (pp - 1) each (its get_num_layers); with
  // interleaving every virtual stage of rank 0 would be empty, which trainsim's virtual stages
  // (only the first and last may be empty) do not model.
  void standalone_embedding_stage(bool other_split) {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& f = a.standalone_embedding_stage;
    if (other_split)
      throw error(f, f.flag, "given with another split of the layers (--decoder-*-pipeline-num-layers, "
                             "--account-for-*-in-pipeline-split); expected one way of splitting them");
    if (a.num_layers_per_virtual_pipeline_stage.given() || a.num_virtual_stages_per_pipeline_rank.given())
      throw error(f, f.flag, "with virtual pipeline stages empties every virtual stage of rank 0, which is not "
                             "modelled (only the first and last virtual stage may hold no layer); expected it "
                             "without --num-layers-per-virtual-pipeline-stage");
    if (p.pp < 2) throw error(f, f.flag, "needs pipeline parallelism (--pipeline-model-parallel-size > 1)");
    const int layers = out_.job.model.layers;
    if (layers % (p.pp - 1) != 0)
      throw error(a.num_layers, "--num-layers",
                  str(layers) + " layers do not split evenly over the " + str(p.pp - 1) +
                      " stages after the embedding's (--standalone-embedding-stage), as Megatron-LM requires");
    p.layers_per_virtual_stage.assign(static_cast<size_t>(p.pp), layers / (p.pp - 1));
    p.layers_per_virtual_stage.front() = 0;
    p.chunks = 1;
    p.schedule = schedule::ScheduleKind::OneFOneB;
    out_.notes.push_back("--standalone-embedding-stage: the first pipeline stage holds the embedding alone, the "
                         "others " + str(layers / (p.pp - 1)) + " layers each");
  }

  void split(bool uneven, bool accounted) {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const auto& m = out_.job.model;
    const int extra_first = a.account_for_embedding_in_pipeline_split.value ? 1 : 0;
    const int extra_last = a.account_for_loss_in_pipeline_split.value ? 1 : 0;
    const auto& acc = extra_first ? a.account_for_embedding_in_pipeline_split : a.account_for_loss_in_pipeline_split;
    // Megatron-LM counts the embedding and the loss as layers of the split with these flags.
    const int counted = m.layers + extra_first + extra_last;
    int chunks = 1;
    if (a.num_layers_per_virtual_pipeline_stage.given() || a.num_virtual_stages_per_pipeline_rank.given()) {
      const auto& f = a.num_layers_per_virtual_pipeline_stage.given() ? a.num_layers_per_virtual_pipeline_stage
                                                                      : a.num_virtual_stages_per_pipeline_rank;
      if (p.pp < 2) throw error(f, f.flag, "needs pipeline parallelism (--pipeline-model-parallel-size > 1)");
      if (uneven && a.num_layers_per_virtual_pipeline_stage.given())
        throw error(f, f.flag,
                    "with uneven first or last stages the layers per virtual stage differ; expected "
                    "--num-virtual-stages-per-pipeline-rank");
      if (a.num_layers_per_virtual_pipeline_stage.given()) {
        const int per = a.num_layers_per_virtual_pipeline_stage.value;
        if (counted % p.pp != 0 || (counted / p.pp) % per != 0)
          throw error(f, f.flag,
                      str(per) + " layers per virtual stage do not divide the " + str(counted) + " layers" +
                          (accounted ? " (the embedding or loss counted)" : "") + " / pp " + str(p.pp) +
                          "; expected a divisor of the layers per stage");
        chunks = counted / p.pp / per;
      } else {
        chunks = a.num_virtual_stages_per_pipeline_rank.value;
      }
    }
    if (uneven) {
      if (p.pp < 2) throw error(a.decoder_first_pipeline_num_layers, "--decoder-first-pipeline-num-layers",
                                "needs pipeline parallelism (--pipeline-model-parallel-size > 1)");
      int rest = m.layers, others = p.pp;
      for (const auto* f : {&a.decoder_first_pipeline_num_layers, &a.decoder_last_pipeline_num_layers})
        if (f->given()) rest -= f->value, --others;
      if (rest < 0 || (others == 0 ? rest != 0 : rest % others != 0))
        throw error(a.decoder_first_pipeline_num_layers.given() ? a.decoder_first_pipeline_num_layers
                                                                : a.decoder_last_pipeline_num_layers,
                    "--decoder-first-pipeline-num-layers",
                    "the remaining " + str(rest) + " layers do not split evenly over the other " + str(others) +
                        " stages");
      p.layers_per_stage.assign(p.pp, others ? rest / others : 0);
      if (a.decoder_first_pipeline_num_layers.given()) p.layers_per_stage.front() = a.decoder_first_pipeline_num_layers.value;
      if (a.decoder_last_pipeline_num_layers.given()) p.layers_per_stage.back() = a.decoder_last_pipeline_num_layers.value;
      for (int l : p.layers_per_stage)
        if (l < 1)
          throw error(a.decoder_first_pipeline_num_layers, "--decoder-first-pipeline-num-layers",
                      "leaves a pipeline stage without layers; expected at least one layer per stage");
      if (chunks > 1) {
        // Megatron-Core splits each stage's layers evenly over its virtual stages; per virtual
        // stage in model order (vs = chunk * pp + stage).
        for (int l : p.layers_per_stage)
          if (l % chunks != 0)
            throw error(a.decoder_first_pipeline_num_layers.given() ? a.decoder_first_pipeline_num_layers
                                                                    : a.decoder_last_pipeline_num_layers,
                        "--decoder-first-pipeline-num-layers",
                        "a stage of " + str(l) + " layers does not split evenly into " + str(chunks) +
                            " virtual stages; expected a multiple of " + str(chunks));
        p.layers_per_virtual_stage.assign(static_cast<size_t>(p.pp) * chunks, 0);
        for (int c = 0; c < chunks; ++c)
          for (int s = 0; s < p.pp; ++s) p.layers_per_virtual_stage[c * p.pp + s] = p.layers_per_stage[s] / chunks;
        p.layers_per_stage.clear();
      }
    } else if (counted % (p.pp * chunks) != 0) {
      const std::string message = str(counted) + " layers" + (accounted ? " (the embedding or loss counted as one)" : "") +
                      " do not split evenly into " + str(p.pp * chunks) +
                      " pipeline stages (Megatron-LM requires it without --decoder-first/last-pipeline-num-layers)";
      throw accounted ? error(acc, acc.flag, message) : error(a.num_layers, "--num-layers", message);
    } else if (accounted) {
      // Even over the counted layers; the first (virtual) stage gives one to the embedding, the
      // last one to the loss.
      std::vector<int> per(static_cast<size_t>(p.pp) * chunks, counted / (p.pp * chunks));
      per.front() -= extra_first;
      per.back() -= extra_last;
      if (chunks > 1) p.layers_per_virtual_stage = per;
      else p.layers_per_stage = per;
      out_.notes.push_back(std::string("the ") + (extra_first && extra_last ? "embedding and the loss each count"
                                                  : extra_first              ? "embedding counts"
                                                                             : "loss counts") +
                           " as a layer of the pipeline split: layers per " + (chunks > 1 ? "virtual " : "") +
                           "stage " + str(per.front()) + ", " + str(per[per.size() > 1 ? 1 : 0]) + ", ..., " +
                           str(per.back()));
    }
    p.chunks = chunks;
    p.schedule = chunks > 1 ? schedule::ScheduleKind::Interleaved1F1B : schedule::ScheduleKind::OneFOneB;
  }

  // --pipeline-model-parallel-layout: stages separated by '|' in virtual-stage order (virtual
  // stage vs is chunk vs / pp of stage vs % pp), each a string of E (embedding), t (transformer
  // layer), m (MTP layer), L (loss); "x*N" and "(...)*N" repeat; commas are cosmetic.
  void layout() {
    auto& p = out_.job.plan;
    const auto& f = args_.pipeline_model_parallel_layout;
    const auto& m = out_.job.model;
    auto fail = [&](const std::string& why) {
      return InputError(f.where, f.flag, "'" + f.value + "': " + why);
    };
    size_t i = 0;
    const std::string& t = f.value;
    std::function<std::string()> seq = [&]() -> std::string {
      std::string out;
      while (i < t.size() && t[i] != ')') {
        std::string item;
        const char c = t[i];
        if (c == ',' || c == ' ') {
          ++i;
          continue;
        }
        if (c == '(') {
          ++i;
          item = seq();
          if (i >= t.size() || t[i] != ')') throw fail("a '(' is not closed");
          ++i;
        } else if (c == 'E' || c == 't' || c == 'm' || c == 'L' || c == '|') {
          item = std::string(1, c);
          ++i;
        } else {
          throw fail(std::string("unexpected '") + c + "'; expected E, t, m, L, '|', '(', ')', '*' and counts");
        }
        if (i < t.size() && t[i] == '*') {
          ++i;
          const size_t start = i;
          while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
          if (start == i || i - start > 6) throw fail("'*' needs a count");
          const long long n = std::stoll(t.substr(start, i - start));
          if (static_cast<long long>(item.size()) * n > 1000000) throw fail("too long");
          std::string r;
          for (long long k = 0; k < n; ++k) r += item;
          item = r;
        }
        out += item;
      }
      return out;
    };
    const std::string flat = seq();
    if (i != t.size()) throw fail("unbalanced ')'");
    std::vector<std::string> stages(1);
    for (char c : flat) {
      if (c == '|') stages.emplace_back();
      else stages.back() += c;
    }
    const int n = static_cast<int>(stages.size());
    if (n % p.pp != 0)
      throw fail(str(n) + " stages are not a multiple of pp " + str(p.pp) + "; expected pp x virtual stages");
    std::vector<int> per(n, 0);
    int total = 0;
    for (int s = 0; s < n; ++s) {
      for (size_t k = 0; k < stages[s].size(); ++k) {
        const char c = stages[s][k];
        if (c == 'm') throw fail("multi-token prediction layers (m) are not modelled");
        if (c == 'E' && (s != 0 || k != 0))
          throw fail("the embedding (E) is not the first item of the first stage, where trainsim places it");
        if (c == 'L' && (s != n - 1 || k + 1 != stages[s].size()))
          throw fail("the loss (L) is not the last item of the last stage, where trainsim places it");
        if (c == 't') ++per[s], ++total;
      }
    }
    if (stages.front().empty() || stages.front()[0] != 'E')
      throw fail("the first stage does not start with the embedding (E), where trainsim places it");
    if (stages.back().empty() || stages.back().back() != 'L')
      throw fail("the last stage does not end with the loss (L), where trainsim places it");
    if (total != m.layers)
      throw fail("places " + str(total) + " transformer layers (t), but --num-layers is " + str(m.layers));
    p.chunks = n / p.pp;
    p.schedule = p.chunks > 1 ? schedule::ScheduleKind::Interleaved1F1B : schedule::ScheduleKind::OneFOneB;
    // Written only when it is not the scenario's default split (one form per job).
    ParallelPlan even = p;
    even.layers_per_stage.clear();
    even.layers_per_virtual_stage.clear();
    if (virtual_stage_layers(even, m) == per) return;
    if (p.chunks > 1) p.layers_per_virtual_stage = per;
    else p.layers_per_stage = per;
  }

  void recompute() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    const std::string g = a.recompute_granularity.value;
    if (g.empty()) {
      p.recompute = Recompute::None;
    } else if (g == "selective") {
      if (a.recompute_method.given())
        throw error(a.recompute_method, "--recompute-method",
                    "with selective recomputation: Megatron-LM refuses a method there; expected no --recompute-method");
      p.recompute = Recompute::Selective;
    } else {
      if (!a.recompute_method.given())
        throw InputError(a.recompute_granularity.where, "--recompute-method",
                    "--recompute-granularity full needs --recompute-method uniform or block, as Megatron-LM "
                    "requires");
      const int n = a.recompute_num_layers.value;
      // The layers of one virtual stage (chunk) on its GPU: what block recomputation counts.
      const auto layers = stage_layers(p, out_.job.model);
      const int per_chunk = *std::max_element(layers.begin(), layers.end()) / p.chunks;
      if (a.recompute_method.value == "uniform") {
        if (n != 1)
          throw error(a.recompute_num_layers, "--recompute-num-layers",
                      "uniform recomputation of groups of " + str(n) + " layers stores one input per group; "
                      "trainsim's full recomputation stores every layer's input (the memory differs); expected 1");
        p.recompute = Recompute::Full;
      } else if (n == 0) {
        p.recompute = Recompute::None;
        out_.notes.push_back("block recomputation of 0 layers: none");
      } else if (n >= per_chunk) {
        p.recompute = Recompute::Full;
        out_.notes.push_back("block recomputation of " + str(n) + " layers covers every layer of each stage: full");
      } else {
        throw error(a.recompute_num_layers, "--recompute-num-layers",
                    "block recomputation of the first " + str(n) + " of each stage's " + str(per_chunk) +
                        " layers is not modelled (trainsim recomputes every layer or none); expected 0 or at "
                        "least " + str(per_chunk));
      }
    }
  }

  void kernels() {
    auto& p = out_.job.plan;
    const auto& a = args_;
    // Which attention kernels ran: the flags say it, or the implementation's default does.
    std::string impl = a.transformer_impl.value;
    std::string why;
    if (impl.empty()) {
      if (a.pre_core.given()) {
        impl = "local";
        why = a.pre_core.flag + " dates the script before 2023, when Megatron-LM had no fused attention";
      } else if (a.use_legacy_models.value) {
        impl = "local";
        why = "--use-legacy-models";
      } else {
        impl = "transformer_engine";
        why = "Megatron-LM's default --transformer-impl";
      }
    } else {
      why = "--transformer-impl " + impl;
    }
    const std::string backend = a.attention_backend.value;
    if (backend == "flash" || backend == "fused") {
      p.flash_attention = true;
      why = "--attention-backend " + backend;
    } else if (backend == "unfused" || backend == "local") {
      p.flash_attention = false;
      why = "--attention-backend " + backend;
    } else if (a.use_flash_attn.value) {
      p.flash_attention = true;
      why = "--use-flash-attn";
    } else {
      p.flash_attention = impl == "transformer_engine";
    }
    out_.notes.push_back(std::string("attention: ") +
                         (p.flash_attention ? "fused (flash) kernels" : "Megatron-LM's unfused core attention") +
                         " (" + why + ")");
    p.fused_bias_dropout_add = a.bias_dropout_fusion.value;
  }

  void precision() {
    const auto& a = args_;
    if (a.fp16.value && a.bf16.value)
      throw error(a.bf16, "--bf16", "given with --fp16; expected one of them");
    if (!a.fp16.value && !a.bf16.value)
      throw InputError(origin_, "--bf16",
                       "missing: without --bf16 or --fp16 Megatron-LM trains in fp32, which trainsim does not model "
                       "(it times 16-bit kernels); expected --bf16 or --fp16");
    const auto& gpu = options_.platform.clusters.front().gpu;
    if (a.bf16.value && !gpu.bf16)
      throw error(a.bf16, "--bf16", "the platform's " + gpu.name + " has no bf16 tensor cores; expected --fp16");
  }

  // Megatron-LM's gradient buffer and reduction: fp32 (4 bytes) with
  // --accumulate-allreduce-grads-in-fp32, which it turns on for --bf16 unless
  // --grad-reduce-in-bf16; 16-bit otherwise.
  int grad_reduce_bytes() const {
    const auto& a = args_;
    return a.accumulate_allreduce_grads_in_fp32.value || (a.bf16.value && !a.grad_reduce_in_bf16.value) ? 4 : 2;
  }

  // Modelled flags that the other flags make pointless are listed as ignored, with why, like
  // Megatron-LM itself ignores them.
  void without_effect() {
    const auto& a = args_;
    auto ignore = [&](bool pointless, const std::string& flag, const std::string& why) {
      if (pointless) out_.ignored.push_back(flag + " (" + why + ")");
    };
    const bool full = a.recompute_granularity.value == "full";
    ignore(a.recompute_num_layers.given() && !full, a.recompute_num_layers.flag, "only with full recomputation");
    const bool torch = a.ddp_impl.value == "torch";
    ignore(a.ddp_bucket_size.given() && torch, a.ddp_bucket_size.flag, "--DDP-impl torch uses PyTorch's buckets");
    ignore(a.overlap_grad_reduce.given() && torch, a.overlap_grad_reduce.flag, "--DDP-impl torch overlaps anyway");
    const bool padded = a.padded_vocab_size.given();
    ignore(padded && a.make_vocab_size_divisible_by.given(), a.make_vocab_size_divisible_by.flag,
           "--padded-vocab-size gives the padded size");
    ignore(padded && a.tokenizer_type.given(), a.tokenizer_type.flag, "--padded-vocab-size gives the size");
    ignore(padded && a.merge_file.given(), a.merge_file.flag, "--padded-vocab-size gives the size");
    const std::string backend = a.attention_backend.value;
    ignore(a.use_flash_attn.given() && !backend.empty() && backend != "auto", a.use_flash_attn.flag,
           "--attention-backend " + backend + " decides");
    ignore(a.grad_reduce_in_bf16.given() && a.fp16.value, a.grad_reduce_in_bf16.flag,
           "with --fp16 gradients are reduced in fp16");
    if (out_.job.plan.chunks == 1 && (a.num_layers_per_virtual_pipeline_stage.given() ||
                                      a.num_virtual_stages_per_pipeline_rank.given()))
      out_.notes.push_back("one virtual stage per pipeline stage: not interleaved (schedule 1f1b)");
  }

  const ImportOptions& options_;
  Launch launch_;
  SourceLocation origin_;
  std::vector<FlagUse> uses_;
  MegatronArgs args_;
  ImportResult out_;
  std::vector<int> mapping_;
  int world_ = 0;
};

}  // namespace

ImportResult import_megatron(const std::vector<Command>& commands, const ImportOptions& options) {
  try {
    return MegatronImport(commands, options).run();
  } catch (const InputError& e) {
    throw one_line(e);
  }
}

}  // namespace trainsim::importer
