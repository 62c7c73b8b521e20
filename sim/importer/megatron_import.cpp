#include "importer/megatron_import.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "importer/launcher.hpp"
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
    check_job(job, options_.platform, origin_);
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
    if (m.hidden % m.heads != 0)
      throw error(a.num_attention_heads, "--num-attention-heads",
                  str(m.heads) + " heads do not divide the hidden size " + str(m.hidden) +
                      "; expected a divisor of --hidden-size");
    if (a.kv_channels.given() && a.kv_channels.value != m.hidden / m.heads)
      throw error(a.kv_channels, "--kv-channels",
                  str(a.kv_channels.value) + " channels per head differ from hidden / heads = " +
                      str(m.hidden / m.heads) + ", which trainsim's attention assumes; expected " +
                      str(m.hidden / m.heads));
    m.family = a.swiglu.value ? Family::Llama : Family::Gpt;
    traits();
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
    vocabulary();
    m.name = matching_preset(m).value_or("");  // no preset: the scenario names it (import_result.hpp)
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
    // Pipeline stages and virtual stages.
    const bool uneven = a.decoder_first_pipeline_num_layers.given() || a.decoder_last_pipeline_num_layers.given();
    if (a.num_layers_per_virtual_pipeline_stage.given() && a.num_virtual_stages_per_pipeline_rank.given())
      throw error(a.num_virtual_stages_per_pipeline_rank, "--num-virtual-stages-per-pipeline-rank",
                  "given with --num-layers-per-virtual-pipeline-stage; expected one of them");
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
        if (m.layers % p.pp != 0 || (m.layers / p.pp) % per != 0)
          throw error(f, f.flag,
                      str(per) + " layers per virtual stage do not divide the " + str(m.layers) + " layers / pp " +
                          str(p.pp) + "; expected a divisor of the layers per stage");
        chunks = m.layers / p.pp / per;
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
    } else if (m.layers % p.pp != 0) {
      throw error(a.num_layers, "--num-layers",
                  str(m.layers) + " layers do not split evenly into " + str(p.pp) +
                      " pipeline stages (Megatron-LM requires it without --decoder-first/last-pipeline-num-layers)");
    }
    p.chunks = chunks;
    p.schedule = chunks > 1 ? schedule::ScheduleKind::Interleaved1F1B : schedule::ScheduleKind::OneFOneB;
    if (chunks > 1 && p.micro_batches() % p.pp != 0)
      throw error(a.global_batch_size, "--global-batch-size",
                  "gives " + str(p.micro_batches()) + " micro-batches per pipeline, not a multiple of pp " +
                      str(p.pp) + "; trainsim's interleaved 1F1B needs one (Megatron-LM's original schedule)");
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
                                                 : megatron_default_bucket_bytes(p.dp) / 2 * kGradBytes;
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
