#include "importer/torchtitan_import.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "config/yaml_reader.hpp"
#include "workload/presets.hpp"

namespace trainsim::importer {

namespace {

using workload::Recompute;

std::string str(long long v) { return std::to_string(v); }

// What the importer does with each key of a torchtitan config (docs/import.md). Sections not
// listed in kOpenSections must name only these keys; Refused keys are errors unless they hold
// their harmless value.
enum class Use { Read, Ignored, Refused };
struct TitanKey {
  std::string_view path;
  Use use;
  std::string why = {};
  const char* harmless = nullptr;  // the value with which a Refused key changes nothing, if any
};

// torchtitan's models and the flavours that are trainsim presets of exactly their shape
// (docs/import.md, "Model"); other flavours are refused with this list.
struct Flavour {
  std::string_view model, flavour, preset;
};
const std::vector<Flavour> kFlavours = {
    {"llama3", "8B", "llama3-8b"},       {"llama3", "70B", "llama3-70b"}, {"llama3", "405B", "llama3-405b"},
    {"deepseek_v3", "671B", "deepseek-v3"}, {"qwen3", "30B-A3B", "qwen3-30b-a3b"},
};

// The flavours of `model` ("8B, 70B or 405B"), or of every model ("llama3 8B, 70B, 405B;
// deepseek_v3 671B; ..."). kFlavours lists each model's flavours together.
std::string flavour_list(std::string_view model = {}) {
  std::string out;
  std::string_view previous;
  for (size_t i = 0; i < kFlavours.size(); ++i) {
    const auto& f = kFlavours[i];
    if (model.empty()) {
      out += f.model == previous ? ", " + std::string(f.flavour)
                                 : (out.empty() ? "" : "; ") + std::string(f.model) + " " + std::string(f.flavour);
      previous = f.model;
    } else if (f.model == model) {
      const bool last = i + 1 == kFlavours.size() || kFlavours[i + 1].model != model;
      out += (out.empty() ? "" : last ? " or " : ", ") + std::string(f.flavour);
    }
  }
  return out;
}

// "8B: llama3-8b, ..." for the key table.
std::string flavour_presets() {
  std::string out;
  for (const auto& f : kFlavours)
    out += std::string(out.empty() ? "" : ", ") + std::string(f.model) + " " + std::string(f.flavour) + ": " +
           std::string(f.preset);
  return out;
}

const std::vector<TitanKey>& titan_keys() {
  static const std::vector<TitanKey> keys = {
      {"model.name", Use::Read, "llama3, deepseek_v3, qwen3 (the flavours that are trainsim presets)"},
      {"model.flavor", Use::Read, flavour_presets()},
      {"model.norm_type", Use::Read, "rmsnorm variants; layernorm noted as an approximation"},
      {"model.converters", Use::Read, "float8: gemm_precision fp8 (MoE models, GPUs with an FP8 rate); mx refused"},
      {"model.tokenizer_path", Use::Ignored},
      {"model.hf_assets_path", Use::Ignored},
      {"model.print_after_conversion", Use::Ignored},
      {"training.local_batch_size", Use::Read, "micro_batch without pipelining (default 8)"},
      {"training.batch_size", Use::Read, "as training.local_batch_size (older name)"},
      {"training.global_batch_size", Use::Read, "global_batch; default local batch x dp (more: gradient accumulation)"},
      {"training.seq_len", Use::Read, "model.seq_len (default 2048)"},
      {"training.mixed_precision_param", Use::Read, "bfloat16 required"},
      {"training.mixed_precision_reduce", Use::Read, "grad_reduce_precision: float32 (default) fp32, bfloat16 bf16"},
      {"training.compile", Use::Read, "listed as ignored when true (kernel fusion is not modelled)"},
      {"training.data_parallel_replicate_degree", Use::Read, "as parallelism.data_parallel_replicate_degree (older place)"},
      {"training.data_parallel_shard_degree", Use::Read, "as parallelism.data_parallel_shard_degree (older place)"},
      {"training.tensor_parallel_degree", Use::Read, "as parallelism.tensor_parallel_degree (older place)"},
      {"training.fsdp_reshard_after_forward", Use::Read, "as parallelism.fsdp_reshard_after_forward (older place)"},
      {"training.enable_float8_linear", Use::Read, "as model.converters float8 (older place)"},
      {"training.enable_cpu_offload", Use::Refused, "offloading parameters and optimizer states to the CPU is not "
                                                    "modelled", "false"},
      {"training.steps", Use::Ignored},
      {"training.max_norm", Use::Ignored},
      {"training.warmup_steps", Use::Ignored},
      {"training.dataset", Use::Ignored},
      {"training.dataset_path", Use::Ignored},
      {"training.gc_freq", Use::Ignored},
      {"training.gc_debug", Use::Ignored},
      {"training.seed", Use::Ignored},
      {"training.deterministic", Use::Ignored},
      {"training.enable_loss_parallel", Use::Ignored},
      {"training.disable_loss_parallel", Use::Ignored},
      {"training.debug_moe_force_load_balance", Use::Ignored},
      {"parallelism.data_parallel_replicate_degree", Use::Read,
       "dp = replicate x shard; with sharding HSDP: fsdp.shard_group = shard (DDP alone refused: fp32 parameters)"},
      {"parallelism.data_parallel_shard_degree", Use::Read, "dp with FSDP: zero_stage 3; -1: the remaining GPUs (default)"},
      {"parallelism.fsdp_reshard_after_forward", Use::Read, "always (default without pipelining) required"},
      {"parallelism.tensor_parallel_degree", Use::Read, "parallelism.tp, sequence_parallel when above 1"},
      {"parallelism.pipeline_parallel_degree", Use::Read, "parallelism.pp"},
      {"parallelism.pipeline_parallel_schedule", Use::Read, "1F1B (default), GPipe, Interleaved1F1B, ZBVZeroBubble (zb-v)"},
      {"parallelism.pipeline_parallel_microbatch_size", Use::Read, "micro_batch with pipelining (default 1)"},
      {"parallelism.pipeline_parallel_layers_per_stage", Use::Read, "chunks = layers / (pp x N) with Interleaved1F1B"},
      {"parallelism.pipeline_parallel_split_points", Use::Read, "layers_per_stage (\"layers.N\" boundaries)"},
      {"parallelism.context_parallel_degree", Use::Read,
       "parallelism.cp; FSDP over data_parallel_shard_degree x cp (zero_stage 3), as torchtitan applies it"},
      {"parallelism.expert_parallel_degree", Use::Read,
       "parallelism.ep, borrowed from dp_shard x cp (x tp with expert_tensor_parallel_degree 1)"},
      {"parallelism.enable_async_tensor_parallel", Use::Read, "tp_comm_overlap (tp > 1, with compile)"},
      {"parallelism.pipeline_parallel_schedule_csv", Use::Refused, "a pipeline schedule from a CSV file is not modelled",
       ""},
      {"parallelism.pipeline_parallel_first_stage_less_layers", Use::Read,
       "the embedding's weight in torchtitan's split: layers_per_stage / layers_per_virtual_stage"},
      {"parallelism.pipeline_parallel_last_stage_less_layers", Use::Read,
       "the norm and head's weight in torchtitan's split: layers_per_stage / layers_per_virtual_stage"},
      {"parallelism.module_fqns_per_model_part", Use::Read,
       "layers_per_stage / layers_per_virtual_stage: the \"layers.N\" of each part (embedding first, head last)"},
      {"parallelism.disable_loss_parallel", Use::Ignored},
      {"parallelism.context_parallel_rotate_method", Use::Read,
       "cp_comm: allgather (default) all-gather, alltoall ring"},
      {"parallelism.expert_tensor_parallel_degree", Use::Read, "expert_tp: tp (experts sharded as the rest) or 1 (default)"},
      {"parallelism.enable_compiled_autograd", Use::Ignored},
      {"activation_checkpoint.mode", Use::Read, "none, full; selective with selective_ac_option \"1\" is full"},
      {"activation_checkpoint.selective_ac_option", Use::Read, "\"1\": full; \"op\" and other layer counts refused"},
      {"activation_checkpoint.per_op_sac_force_recompute_mm_shapes_by_fqns", Use::Ignored},
      {"activation_checkpoint.memory_budget", Use::Ignored},
      {"activation_checkpoint.visualize_memory_budget_pareto", Use::Ignored},
      {"activation_checkpoint.early_stop", Use::Ignored},
      {"activation_checkpoint.preserve_rng_state", Use::Ignored},
      {"activation_checkpoint.determinism_check", Use::Ignored},
      {"activation_checkpoint.debug", Use::Ignored},
      {"compile.enable", Use::Read, "listed as ignored when true (kernel fusion is not modelled)"},
      {"compile.components", Use::Read, "\"model\" required by enable_async_tensor_parallel"},
      {"compile.backend", Use::Ignored},
      {"optimizer.name", Use::Read, "AdamW or Adam"},
      {"optimizer.lr", Use::Ignored},
      {"optimizer.eps", Use::Ignored},
      {"optimizer.weight_decay", Use::Ignored},
      {"optimizer.beta1", Use::Ignored},
      {"optimizer.beta2", Use::Ignored},
      {"optimizer.implementation", Use::Ignored},
      {"optimizer.early_step_in_backward", Use::Refused,
       "stepping the optimizer inside the backward pass is not modelled", "false"},
      {"experimental.context_parallel_degree", Use::Read, "as parallelism.context_parallel_degree (older place)"},
      {"experimental.pipeline_parallel_degree", Use::Read, "as parallelism.pipeline_parallel_degree (older place)"},
      {"experimental.pipeline_parallel_split_points", Use::Read, "as parallelism.pipeline_parallel_split_points (older place)"},
      {"experimental.pipeline_parallel_schedule", Use::Read, "as parallelism.pipeline_parallel_schedule (older place)"},
      {"experimental.pipeline_parallel_microbatches", Use::Read, "micro-batches per pipeline (older): micro_batch = local / N"},
      {"experimental.enable_async_tensor_parallel", Use::Read, "as parallelism.enable_async_tensor_parallel (older place)"},
      {"experimental.enable_compiled_autograd", Use::Ignored},
      {"experimental.custom_model_path", Use::Refused, "a custom model is not modelled", ""},
      {"experimental.custom_import", Use::Refused, "a custom model is not modelled", ""},
      {"experimental.custom_args_module", Use::Refused, "custom arguments are not modelled", ""},
  };
  return keys;
}

constexpr const char* kFirstLess = "parallelism.pipeline_parallel_first_stage_less_layers";
constexpr const char* kLastLess = "parallelism.pipeline_parallel_last_stage_less_layers";
constexpr const char* kModelParts = "parallelism.module_fqns_per_model_part";

// Sections with no effect on the iteration, read as a whole: any key in them is ignored.
const std::set<std::string> kOpenSections = {"job",     "profiling",  "metrics",         "checkpoint",
                                             "comm",    "lr_scheduler", "validation",    "fault_tolerance",
                                             "memory_estimation", "float8", "mx"};

SourceLocation location(const std::string& file, const toml::source_region& r) {
  return {file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

std::string render(const toml::node& n) {
  if (auto v = n.value<std::string>()) return *v;
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  if (n.is_integer()) return std::to_string(*n.value<int64_t>());
  if (n.is_floating_point()) {
    std::ostringstream os;
    os << *n.value<double>();
    return os.str();
  }
  if (const auto* a = n.as_array()) {
    std::string s = "[";
    for (size_t i = 0; i < a->size(); ++i) s += (i ? ", " : "") + render(*a->get(i));
    return s + "]";
  }
  return "{...}";
}

class TitanImport {
 public:
  TitanImport(const std::string& text, const std::string& file, const ImportOptions& options,
              const std::vector<Word>& overrides)
      : file_(file), options_(options) {
    try {
      doc_ = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
      throw InputError(location(file, e.source()), "", std::string("not valid TOML: ") + std::string(e.description()) +
                                                           "; expected a torchtitan job config");
    }
    out_.source = file;
    override(overrides);
  }

  ImportResult run() {
    classify();
    model();
    layout();
    experts();
    async_tensor_parallel();
    batches();
    pipeline();
    recompute();
    precision();
    without_effect();
    out_.job.where = {file_, 1, 1};
    out_.job.plan.where = out_.job.where;
    const Locate locate = [this](const std::string& key) -> std::optional<FlagRef> {
      if (key == "parallelism.cp" && cp_ > 1) return FlagRef{where(cp_key_), cp_key_};
      if (key == "cp_comm" && cp_ > 1)
        return FlagRef{where("parallelism.context_parallel_rotate_method"), "parallelism.context_parallel_rotate_method"};
      if (key == "fsdp.shard_group" && replicate_ > 1) return FlagRef{where(replicate_key_), replicate_key_};
      if (key == "zero_stage" || key.rfind("fsdp", 0) == 0) return FlagRef{where(shard_key_), shard_key_};
      for (const auto& [scenario_key, titan_key] : setters_)
        if (key == scenario_key) return FlagRef{where(titan_key), titan_key};
      return std::nullopt;
    };
    check_job(out_.job, options_.platform, {file_, 1, 1}, locate);
    check_loads(out_.job, options_, {file_, 1, 1}, locate);
    return std::move(out_);
  }

 private:
  // torchtitan's command-line overrides: `--section.key value`, `--section.key=value`, or a
  // bare `--section.key` for true. A value is read as TOML (8, true, ["a"]) or else as a string.
  void override(const std::vector<Word>& words) {
    for (size_t i = 0; i < words.size(); ++i) {
      const Word& w = words[i];
      std::string name = w.text, value;
      bool has_value = false;
      if (const size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      const size_t dot = name.find('.');
      if (name.rfind("--", 0) != 0 || dot == std::string::npos || dot == 2 || dot + 1 == name.size())
        throw InputError(w.where, w.text, "not a torchtitan override; expected --section.key value (for example "
                                          "--training.seq_len 4096)");
      if (!has_value && i + 1 < words.size() && words[i + 1].text.rfind("--", 0) != 0) {
        value = words[++i].text;
        has_value = true;
      }
      if (!has_value) value = "true";
      if (w.unexpanded || (i < words.size() && words[i].unexpanded))
        throw InputError(w.where, name.substr(2), "'" + w.text + "' holds a shell expansion; give the value");
      const std::string section = name.substr(2, dot - 2), key = name.substr(dot + 1);
      toml::table parsed;
      try {
        parsed = toml::parse("v = " + value);
      } catch (const toml::parse_error&) {
        parsed.insert("v", value);
      }
      auto* table = doc_[section].as_table();
      if (!table) {
        doc_.insert_or_assign(section, toml::table{});
        table = doc_[section].as_table();
      }
      table->insert_or_assign(key, *parsed.get("v"));
      overridden_[section + "." + key] = w.where;
      out_.notes.push_back("override " + section + "." + key + " = " + value);
      out_.source += " " + name + " " + value;
    }
  }

  // ---- reading keys ---------------------------------------------------------------------
  const toml::node* node(std::string_view path) const { return doc_.at_path(path).node(); }
  SourceLocation where(std::string_view path) const {
    if (auto it = overridden_.find(std::string(path)); it != overridden_.end()) return it->second;
    if (const auto* n = node(path)) return location(file_, n->source());
    const auto dot = path.find('.');
    if (const auto* section = node(path.substr(0, dot))) return location(file_, section->source());
    return {file_, 1, 1};
  }
  InputError error(std::string_view path, const std::string& message) const {
    return InputError(where(path), std::string(path), message);
  }
  // The first of `paths` the file has (torchtitan moved keys between sections over time).
  std::optional<std::string> given(std::initializer_list<std::string_view> paths) const {
    std::optional<std::string> found;
    for (auto p : paths)
      if (node(p)) {
        if (found && render(*node(*found)) != render(*node(p)))
          throw error(p, "differs from " + *found + " (" + render(*node(*found)) + "); expected one value");
        if (!found) found = std::string(p);
      }
    return found;
  }
  long long integer(std::string_view path, long long fallback, long long min, long long max) const {
    const auto* n = node(path);
    if (!n) return fallback;
    if (!n->is_integer())
      throw error(path, "expected an integer from " + str(min) + " to " + str(max) + ", got " + render(*n));
    const long long v = *n->value<int64_t>();
    if (v < min || v > max)
      throw error(path, str(v) + " is out of range; expected an integer from " + str(min) + " to " + str(max));
    return v;
  }
  std::string text(std::string_view path, const std::string& fallback) const {
    const auto* n = node(path);
    if (!n) return fallback;
    if (!n->is_string()) throw error(path, "expected a string, got " + render(*n));
    return *n->value<std::string>();
  }
  bool boolean(std::string_view path, bool fallback) const {
    const auto* n = node(path);
    if (!n) return fallback;
    if (!n->is_boolean()) throw error(path, "expected true or false, got " + render(*n));
    return *n->value<bool>();
  }
  std::vector<std::string> strings(std::string_view path) const {
    std::vector<std::string> out;
    const auto* n = node(path);
    if (!n) return out;
    const auto* a = n->as_array();
    if (!a) throw error(path, "expected a list of strings, got " + render(*n));
    for (const auto& e : *a) {
      if (!e.is_string()) throw error(path, "expected a list of strings, got " + render(*n));
      out.push_back(*e.value<std::string>());
    }
    return out;
  }

  // Every key is known: read, ignored (listed) or refused unless harmless.
  void classify() {
    std::vector<std::string> sections;
    for (const auto& k : titan_keys()) sections.emplace_back(k.path.substr(0, k.path.find('.')));
    sections.insert(sections.end(), kOpenSections.begin(), kOpenSections.end());
    std::vector<std::pair<std::string, const TitanKey*>> refused;
    for (auto&& [section_key, section] : doc_) {
      const std::string s(section_key.str());
      SourceLocation at = location(file_, section_key.source());
      for (const auto& [path, w] : overridden_)
        if (path.rfind(s + ".", 0) == 0 && at.line == 0) at = w;
      if (std::find(sections.begin(), sections.end(), s) == sections.end()) {
        const std::string hint = did_you_mean(s, sections);
        throw InputError(at, s, "not a torchtitan config section trainsim knows" + (hint.empty() ? "" : " (" + hint + ")") +
                                    "; expected [model], [training], [parallelism], ... (docs/import.md)");
      }
      const auto* table = section.as_table();
      if (!table) throw InputError(at, s, "expected a [" + s + "] table, got " + render(section));
      if (kOpenSections.count(s)) {
        if (!table->empty()) out_.ignored.push_back("[" + s + "]");
        continue;
      }
      for (auto&& [key, value] : *table) {
        const std::string path = s + "." + std::string(key.str());
        const auto it = std::find_if(titan_keys().begin(), titan_keys().end(),
                                     [&](const TitanKey& k) { return k.path == path; });
        const SourceLocation key_at =
            overridden_.count(path) ? overridden_.at(path) : location(file_, key.source());
        if (it == titan_keys().end()) {
          std::vector<std::string> known;
          for (const auto& k : titan_keys())
            if (k.path.substr(0, k.path.find('.')) == s) known.emplace_back(k.path.substr(k.path.find('.') + 1));
          const std::string hint = did_you_mean(std::string(key.str()), known);
          throw InputError(key_at, path,
                           "not a key of [" + s + "] trainsim knows" + (hint.empty() ? "" : " (" + hint + ")") +
                               "; expected one of " + join_names(known));
        }
        if (it->use == Use::Ignored) out_.ignored.push_back(path);
        if (it->use == Use::Refused && (!it->harmless || render(value) != it->harmless))
          refused.emplace_back(path, &*it);
      }
    }
    if (!refused.empty()) {
      std::string also;
      for (size_t k = 1; k < refused.size(); ++k) also += (also.empty() ? "" : ", ") + refused[k].first;
      const TitanKey& k = *refused[0].second;
      const std::string expected = k.harmless ? refused[0].first + " = " + (std::string(k.harmless).empty() ? "\"\"" : k.harmless)
                                              : "no " + refused[0].first;
      throw error(refused[0].first, std::string(k.why) + "; expected " + expected +
                                        (also.empty() ? "" : " (also not modelled here: " + also + ")"));
    }
  }

  // ---- the job ----------------------------------------------------------------------------
  void model() {
    const std::string name = text("model.name", "llama3");
    const std::string flavor = text("model.flavor", "");
    const auto known = [&](const Flavour& f) { return f.model == name; };
    if (std::none_of(kFlavours.begin(), kFlavours.end(), known))
      throw error("model.name", "torchtitan model '" + name + "' has no trainsim preset of its shape; expected " +
                                    flavour_list());
    const auto preset = std::find_if(kFlavours.begin(), kFlavours.end(),
                                     [&](const Flavour& f) { return f.model == name && f.flavour == flavor; });
    if (preset == kFlavours.end())
      throw error("model.flavor", name + " flavor '" + flavor + "' has no trainsim preset of its shape; expected " +
                                      flavour_list(name));
    auto& m = out_.job.model;
    m = *workload::find_model_preset(preset->preset);
    m.seq_len = static_cast<int>(integer("training.seq_len", 2048, 1, 1 << 24));  // torchtitan's default: 2048
    if (!node("training.seq_len")) out_.notes.push_back("sequence length 2048 (torchtitan's default training.seq_len)");
    if (m.is_moe())
      out_.notes.push_back("routing: uniform (trainsim's default; torchtitan balances its experts' load with a bias "
                           "on the router scores)");
    const std::string norm = text("model.norm_type", "rmsnorm");
    if (norm.find("rmsnorm") == std::string::npos)
      out_.notes.push_back("model.norm_type " + norm + " modelled as the llama family's RMSNorm (the same memory "
                                                       "traffic in trainsim's model)");
    for (const auto& c : strings("model.converters"))
      if (c == "float8")
        float8_key_ = "model.converters";
      else if (c == "mx")
        throw error("model.converters", "MX (microscaling) GEMMs are not modelled (trainsim times 16-bit and FP8 "
                                        "kernels); expected no mx converter (float8 is gemm_precision fp8)");
      else
        throw error("model.converters", "converter '" + c + "' is not modelled; expected float8 or none");
    if (boolean("training.enable_float8_linear", false)) float8_key_ = "training.enable_float8_linear";
  }

  // World size and the device mesh (pp, dp_replicate, dp_shard, cp, tp; tp innermost, which is
  // Megatron-LM's rank order trainsim uses).
  void layout() {
    const auto replicate_key = given({"parallelism.data_parallel_replicate_degree", "training.data_parallel_replicate_degree"});
    const auto shard_key = given({"parallelism.data_parallel_shard_degree", "training.data_parallel_shard_degree"});
    const auto tp_key = given({"parallelism.tensor_parallel_degree", "training.tensor_parallel_degree"});
    const auto pp_key = given({"parallelism.pipeline_parallel_degree", "experimental.pipeline_parallel_degree"});
    const long long big = 1 << 20;
    replicate_ = replicate_key ? integer(*replicate_key, 1, 1, big) : 1;
    const long long shard = shard_key ? integer(*shard_key, -1, -1, big) : -1;  // torchtitan's default: -1
    if (shard == 0) throw error(*shard_key, "0 is not a degree; expected -1 (the remaining GPUs) or a positive integer");
    tp_ = tp_key ? integer(*tp_key, 1, 1, big) : 1;
    pp_ = pp_key ? integer(*pp_key, 1, 1, big) : 1;
    const auto cp_key = given({"parallelism.context_parallel_degree", "experimental.context_parallel_degree"});
    cp_ = cp_key ? integer(*cp_key, 1, 1, big) : 1;
    cp_key_ = cp_key.value_or("parallelism.context_parallel_degree");
    shard_key_ = shard_key.value_or("parallelism.data_parallel_shard_degree");
    replicate_key_ = replicate_key.value_or("parallelism.data_parallel_replicate_degree");
    const long long fixed = replicate_ * tp_ * pp_ * cp_;
    const int platform_gpn = options_.platform.clusters.front().gpus_per_node;
    long long world = 0;
    int per_node = options_.gpus_per_node.value_or(platform_gpn);
    if (options_.nodes) {
      world = static_cast<long long>(*options_.nodes) * per_node;
    } else if (shard > 0) {
      world = fixed * shard;
      if (!options_.gpus_per_node) per_node = static_cast<int>(std::min<long long>(platform_gpn, world));
      if (world % per_node != 0)
        throw error(shard_key_, "the degrees multiply to " + str(world) + " GPUs, not a whole number of nodes of " +
                                    str(per_node) + "; expected trainsim import's --nodes and --gpus-per-node");
    } else {
      throw error(shard_key_, "-1 (the remaining GPUs) needs the GPU count, which the config does not hold; "
                              "expected trainsim import's --nodes N (torchrun's --nnodes)");
    }
    if (shard < 0) {
      if (world % fixed != 0)
        throw error(shard_key_, "-1: the " + str(world) + " GPUs do not divide by replicate x tp x pp x cp = " + str(fixed));
      shard_ = world / fixed;
      out_.notes.push_back("data_parallel_shard_degree -1: " + str(shard_) + " (the remaining GPUs)");
    } else {
      shard_ = shard;
      if (fixed * shard_ != world)
        throw error(shard_key_, "the degrees multiply to " + str(fixed * shard_) + " GPUs but the job has " +
                                    str(world) + " (" + nodes_text(static_cast<int>(world / per_node), per_node) +
                                    "); expected their product to be the GPU count");
    }
    out_.nodes = static_cast<int>(world / per_node);
    out_.gpus_per_node = per_node;
    const auto mapping = job_gpus(options_.platform, out_.nodes, per_node, options_.nodes ? SourceLocation{file_, 1, 1}
                                                                                            : where(shard_key_),
                                  options_.nodes ? "--nodes" : shard_key_);
    auto& p = out_.job.plan;
    p.tp = static_cast<int>(tp_);
    p.pp = static_cast<int>(pp_);
    p.dp = static_cast<int>(replicate_ * shard_);
    p.cp = static_cast<int>(cp_);
    context_parallel();
    if (!mapping.empty()) {
      p.order = RankOrder::Explicit;
      p.mapping = mapping;
    }
    // torchtitan's tensor parallelism shards norms and dropout over the sequence.
    p.sequence_parallel = tp_ > 1;
    p.flash_attention = true;  // scaled_dot_product_attention
    p.fused_bias_dropout_add = false;
    // Data parallelism: FSDP2 (parameters sharded, gathered per layer) or DDP. With context
    // parallelism torchtitan applies FSDP over the dp_shard x cp ranks (its "dp_shard_cp" mesh),
    // which is trainsim's ZeRO-3 over dp x cp. HSDP (replicate above 1 with sharding) shards
    // inside groups of dp_shard consecutive dp ranks (dp_replicate is the outer mesh dimension)
    // and replicates across them: trainsim's fsdp.shard_group.
    const bool fsdp = shard_ > 1 || cp_ > 1;
    if (replicate_ > 1 && fsdp) {
      p.fsdp.shard_group = static_cast<int>(shard_);
      out_.notes.push_back("HSDP: parameters sharded over data_parallel_shard_degree " + str(shard_) +
                           " ranks, replicated across data_parallel_replicate_degree " + str(replicate_) +
                           ": fsdp.shard_group " + str(shard_));
    }
    if (fsdp) {
      const auto reshard_key = given({"parallelism.fsdp_reshard_after_forward", "training.fsdp_reshard_after_forward"});
      const std::string reshard = reshard_key ? text(*reshard_key, "default") : "default";
      if (reshard != "default" && reshard != "always" && reshard != "never")
        throw error(*reshard_key, "'" + reshard + "' is not a choice; expected default, always or never");
      const bool reshards = reshard == "always" || (reshard == "default" && pp_ == 1);
      if (!reshards)
        throw error(reshard_key.value_or("parallelism.fsdp_reshard_after_forward"),
                    "FSDP keeping gathered parameters from forward to backward (" + reshard +
                        (reshard == "default" ? ", which with pipeline parallelism is never" : "") +
                        ") is not modelled: trainsim's ZeRO-3 gathers them again in the backward; expected \"always\"");
      p.zero_stage = 3;
    } else if (replicate_ > 1 || tp_ > 1 || pp_ > 1) {
      throw error(shard_key_, str(shard_) + ": without FSDP torchtitan " +
                                  (replicate_ > 1 ? std::string("trains DDP replicas with fp32 parameters and gradients under autocast")
                                                  : std::string("trains in fp32 with tensor or pipeline parallelism")) +
                                  ", which is not modelled (trainsim models 16-bit mixed precision); expected a "
                                  "data_parallel_shard_degree above 1");
    }
  }

  // expert_parallel_degree -> parallelism.ep. torchtitan borrows the EP ranks from dp_shard x cp
  // when expert_tensor_parallel_degree equals tp (experts tensor-parallel as the rest) and from
  // dp_shard x cp x tp when it is 1 (whole experts per rank), the inner mesh dimensions: the
  // consecutive ranks of trainsim's etp-ep-edp order with expert_tp tp or 1 (docs/moe.md).
  void experts() {
    auto& p = out_.job.plan;
    const std::string ep_key = "parallelism.expert_parallel_degree", etp_key = "parallelism.expert_tensor_parallel_degree";
    const long long ep = integer(ep_key, 1, 1, 1 << 16);
    const long long etp = integer(etp_key, 1, 1, 1 << 10);  // torchtitan's default: 1
    if (ep > 1 && !out_.job.model.is_moe())
      throw error(ep_key, str(ep) + " expert-parallel ranks for " + out_.job.model.name + ", which has no experts; "
                                    "expected 1 (or a model with experts: deepseek_v3, qwen3 30B-A3B)");
    if (ep == 1) {
      // Without EP torchtitan shards the experts' weights over tp, as the other layers.
      if (node(etp_key)) out_.ignored.push_back(etp_key + " (no expert parallelism)");
      return;
    }
    if (etp != 1 && etp != tp_)
      throw error(etp_key, str(etp) + " is neither 1 nor tensor_parallel_degree " + str(tp_) +
                               ", the two torchtitan accepts; expected 1 or " + str(tp_));
    const long long inner = cp_ * (etp == 1 ? tp_ : 1), borrowed = shard_ * inner;
    if (ep % inner != 0 || borrowed % ep != 0)
      throw error(ep_key, str(ep) + " expert-parallel ranks are not borrowed whole from data_parallel_shard_degree x "
                          "context_parallel_degree" + (etp == 1 && tp_ > 1 ? std::string(" x tensor_parallel_degree") : "") +
                          " = " + str(borrowed) + " ranks, as torchtitan borrows them; expected a multiple of " +
                          str(inner) + " dividing " + str(borrowed));
    p.experts.ep = static_cast<int>(ep);
    p.experts.expert_tp = etp == tp_ ? 0 : static_cast<int>(etp);  // 0: as tp, the scenarios' default
    setters_.emplace_back("parallelism.ep", ep_key);
    setters_.emplace_back("parallelism.expert_tp", node(etp_key) ? etp_key : ep_key);
  }

  // enable_async_tensor_parallel -> tp_comm_overlap. torchtitan's async TP (a torch.compile pass
  // over symmetric memory) splits each TP all-gather / reduce-scatter into per-rank pieces that run
  // under the partial matmuls: Megatron-Core's tp-comm-overlap, which trainsim models.
  void async_tensor_parallel() {
    const auto key = given({"parallelism.enable_async_tensor_parallel", "experimental.enable_async_tensor_parallel"});
    if (!key || !boolean(*key, false)) return;
    if (tp_ == 1) {
      out_.ignored.push_back(*key + " (no tensor parallelism)");
      return;
    }
    const auto compile_key = given({"compile.enable", "training.compile"});
    const auto components = strings("compile.components");
    const bool model_compiled = compile_key && boolean(*compile_key, false) &&
                                (!node("compile.components") ||
                                 std::find(components.begin(), components.end(), "model") != components.end());
    if (!model_compiled)
      throw error(*key, "torchtitan's asynchronous TP is a torch.compile pass, and torchtitan refuses it without "
                        "the model compiled; expected compile.enable = true (\"model\" in compile.components) or "
                        "enable_async_tensor_parallel = false");
    out_.job.plan.tp_comm_overlap = true;
    setters_.emplace_back("tp_comm_overlap", *key);
    out_.notes.push_back("asynchronous tensor parallelism: tp_comm_overlap (the TP all-gathers and reduce-scatters "
                         "cut into pieces under the GEMMs, docs/training.md)");
  }

  // context_parallel_rotate_method -> cp_comm: PyTorch's ring attention passes key/value blocks
  // with an all-to-all per step (a ring) or all-gathers them (torchtitan's default).
  void context_parallel() {
    auto& p = out_.job.plan;
    const std::string rotate = text("parallelism.context_parallel_rotate_method", "allgather");
    if (rotate != "allgather" && rotate != "alltoall")
      throw error("parallelism.context_parallel_rotate_method",
                  "'" + rotate + "' is not a rotate method; expected allgather or alltoall");
    if (cp_ == 1) return;
    p.cp_comm = rotate == "allgather" ? CpComm::AllGather : CpComm::Ring;
    out_.notes.push_back("context parallelism " + str(cp_) + ": " +
                         (rotate == "allgather" ? "keys and values all-gathered (rotate method allgather" +
                                                      std::string(node("parallelism.context_parallel_rotate_method")
                                                                      ? ")"
                                                                      : ", torchtitan's default)") +
                                                      ", cp_comm: all-gather"
                                                : std::string("key/value blocks passed around the ring (rotate method "
                                                              "alltoall), cp_comm: ring")));
  }

  void batches() {
    auto& p = out_.job.plan;
    const auto local_key = given({"training.local_batch_size", "training.batch_size"});
    const long long local = local_key ? integer(*local_key, 8, 1, 1 << 20) : 8;  // torchtitan's default: 8
    if (!local_key) out_.notes.push_back("local batch 8 (torchtitan's default training.local_batch_size)");
    const long long dp = p.dp;
    long long global = integer("training.global_batch_size", -1, -1, 1LL << 30);
    if (global == 0) throw error("training.global_batch_size", "0 is not a batch; expected -1 or a positive integer");
    if (global < 0) global = local * dp;
    if (global % (local * dp) != 0)
      throw error("training.global_batch_size",
                  str(global) + " is not a multiple of local batch x data-parallel degree = " + str(local) + " x " +
                      str(dp) + "; expected a multiple of " + str(local * dp));
    local_ = local;
    accumulation_ = global / (local * dp);
    p.global_batch = static_cast<int>(global);
    p.micro_batch = static_cast<int>(local);  // one forward per accumulation step without pipelining
  }

  void pipeline() {
    auto& p = out_.job.plan;
    const auto& m = out_.job.model;
    p.schedule = schedule::ScheduleKind::OneFOneB;
    if (pp_ == 1) return;
    const auto schedule_key = given({"parallelism.pipeline_parallel_schedule", "experimental.pipeline_parallel_schedule"});
    std::string name = schedule_key ? text(*schedule_key, "1F1B") : "1F1B";
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (accumulation_ > 1)
      throw error("training.global_batch_size",
                  "gradient accumulation (" + str(accumulation_) + " steps) with pipeline parallelism runs one "
                  "pipeline schedule per step, with a flush between them, which is not modelled; expected "
                  "global_batch_size = local_batch_size x data-parallel degree");
    // Micro-batches of one pipeline schedule.
    long long micro = 1;
    if (node("parallelism.pipeline_parallel_microbatch_size")) {
      micro = integer("parallelism.pipeline_parallel_microbatch_size", 1, 1, 1 << 20);
    } else if (node("experimental.pipeline_parallel_microbatches")) {
      const long long count = integer("experimental.pipeline_parallel_microbatches", 1, 1, 1 << 20);
      if (local_ % count != 0)
        throw error("experimental.pipeline_parallel_microbatches",
                    str(count) + " micro-batches do not divide the local batch " + str(local_));
      micro = local_ / count;
    }
    if (local_ % micro != 0)
      throw error("parallelism.pipeline_parallel_microbatch_size",
                  str(micro) + " does not divide the local batch " + str(local_) + "; expected a divisor");
    p.micro_batch = static_cast<int>(micro);
    // Stages per rank.
    const long long per_stage = integer("parallelism.pipeline_parallel_layers_per_stage", 0, 1, m.layers);
    // torchtitan's schedules trainsim runs: one stage per rank, several (looped), or two in a V
    // (PyTorch's ScheduleZBVZeroBubble, which is trainsim's zb-v, docs/schedules.md).
    const bool single = lower == "1f1b" || lower == "gpipe", interleaved = lower == "interleaved1f1b",
               v = lower == "zbvzerobubble";
    const std::string schedule_at = schedule_key.value_or("parallelism.pipeline_parallel_schedule");
    if (!single && !interleaved && !v)
      throw error(schedule_at,
                  "pipeline schedule '" + name + "' is not modelled" +
                      (lower == "dualpipev" ? std::string(" (trainsim's dualpipe is DeepSeek's, with two weight copies, "
                                                          "not the V cut in half)")
                       : lower == "loopedbfs" || lower == "interleavedzerobubble"
                           ? std::string(" (trainsim has no looped breadth-first or interleaved zero-bubble schedule)")
                           : std::string()) +
                      "; expected 1F1B, GPipe, Interleaved1F1B or ZBVZeroBubble");
    p.schedule = interleaved ? schedule::ScheduleKind::Interleaved1F1B
                 : v         ? schedule::ScheduleKind::ZeroBubbleV
                 : lower == "gpipe" ? schedule::ScheduleKind::GPipe
                                    : schedule::ScheduleKind::OneFOneB;
    const bool split_given =
        node("parallelism.pipeline_parallel_split_points") || node("experimental.pipeline_parallel_split_points");
    if (split_given && !single)
      throw error("parallelism.pipeline_parallel_split_points",
                  "split points with a multi-stage schedule are not modelled; expected layers_per_stage alone");
    // A split of `stages` (virtual) stages: whether the schedule runs them on pp ranks, and the
    // plan it gives (per-stage layers, or per-virtual-stage ones when there are several per rank
    // or an empty one), named after the torchtitan key that set it.
    const auto stages_fit = [&](long long stages) {
      return single ? stages == pp_ : v ? stages == 2 * pp_ : stages % pp_ == 0 && stages / pp_ >= 2;
    };
    const auto set_split = [&](const std::vector<int>& layers, const char* key) {
      p.chunks = static_cast<int>(static_cast<long long>(layers.size()) / pp_);
      const bool per_stage_list = single && std::count(layers.begin(), layers.end(), 0) == 0;
      (per_stage_list ? p.layers_per_stage : p.layers_per_virtual_stage) = layers;
      setters_.emplace_back(per_stage_list ? "layers_per_stage" : "layers_per_virtual_stage", key);
    };
    if (const auto parts = model_parts(); !parts.empty()) {
      const long long stages = static_cast<long long>(parts.size());
      if (!stages_fit(stages))
        throw error(kModelParts, str(stages) + " model parts, which " + name + " cannot run on " + str(pp_) +
                                     " ranks; expected " +
                                     (single ? str(pp_) : v ? str(2 * pp_) : "a multiple of " + str(pp_) + " from " +
                                                                              str(2 * pp_)));
      if (split_given)
        throw error("parallelism.pipeline_parallel_split_points",
                    "split points and module_fqns_per_model_part are two splits; expected one of them");
      for (const char* key : {kFirstLess, kLastLess})
        if (node(key)) out_.ignored.push_back(std::string(key) + " (module_fqns_per_model_part sets the split)");
      set_split(parts, kModelParts);
      return;
    }
    if (node(kFirstLess) || node(kLastLess)) {
      // torchtitan's split with the embedding and head weighed as layers (pipeline_llm): the
      // virtual stages from layers_per_stage, else one per rank (two with the others).
      const long long first = integer(kFirstLess, 1, 0, m.layers), last = integer(kLastLess, 1, 0, m.layers);
      const long long stages =
          per_stage ? (m.layers + first + last + per_stage - 1) / per_stage : pp_ * (single ? 1 : 2);
      if (!stages_fit(stages))
        throw error("parallelism.pipeline_parallel_layers_per_stage",
                    str(per_stage) + " layers per stage make " + str(stages) + " stages of " + str(m.layers) +
                        " layers + " + str(first + last) + " (the embedding and head's weights), which " + name +
                        " cannot run on " + str(pp_) + " ranks; expected " +
                        (single ? std::string("one stage per rank")
                         : v    ? "two stages per rank (" + str(2 * pp_) + ")"
                                : "at least two stages per rank, a multiple of " + str(pp_)));
      if (split_given)
        throw error("parallelism.pipeline_parallel_split_points",
                    "split points and first/last_stage_less_layers are two splits; expected one of them");
      set_split(weighted_split(stages, first, last), node(kFirstLess) ? kFirstLess : kLastLess);
      return;
    }
    if (single) {
      if (per_stage && per_stage * pp_ != m.layers)
        throw error("parallelism.pipeline_parallel_layers_per_stage",
                    str(per_stage) + " layers per stage make " + str(m.layers / per_stage) + " stages, but " + name +
                        " runs one per rank (" + str(pp_) + "); expected " + str(m.layers / pp_));
      split_points();
    } else if (interleaved) {
      if (!per_stage)
        throw error(schedule_at, "Interleaved1F1B needs the layers of each virtual stage; expected "
                                 "parallelism.pipeline_parallel_layers_per_stage");
      if (m.layers % (per_stage * pp_) != 0 || m.layers / (per_stage * pp_) < 2)
        throw error("parallelism.pipeline_parallel_layers_per_stage",
                    str(per_stage) + " layers per stage do not give at least two stages per rank over " + str(pp_) +
                        " ranks for " + str(m.layers) + " layers; expected a divisor of " + str(m.layers / pp_) +
                        " below it");
      p.chunks = static_cast<int>(m.layers / (per_stage * pp_));
    } else {
      if (per_stage && per_stage * 2 * pp_ != m.layers)
        throw error("parallelism.pipeline_parallel_layers_per_stage",
                    str(per_stage) + " layers per stage make " + str(m.layers / per_stage) + " stages, but " + name +
                        " runs two per rank (" + str(2 * pp_) + "); expected " + str(m.layers / (2 * pp_)));
      p.chunks = 2;
    }
    if (p.layers_per_stage.empty())
      out_.notes.push_back("layers split evenly over the stages (torchtitan versions with "
                           "pipeline_parallel_first_stage_less_layers and _last_stage_less_layers weigh the embedding "
                           "and the head as a layer each by default: give both keys to import that split)");
  }

  // torchtitan's generate_llm_fqn_per_model_part: the layers plus the embedding's weight `first`
  // and the norm and head's `last` are dealt evenly over the stages (the first total % stages
  // one more); the first stage holds the embedding and its share less `first` layers, the last
  // the head and its share less `last`. Layer counts per virtual stage, in model order.
  std::vector<int> weighted_split(long long stages, long long first, long long last) const {
    const long long layers = out_.job.model.layers, total = layers + first + last, share = total / stages;
    if (share == 0)
      throw error("parallelism.pipeline_parallel_degree", str(stages) + " stages for " + str(total) + " layers with the embedding and head's "
                              "weights leave a stage empty, which torchtitan refuses; expected at most " +
                              str(total) + " stages");
    for (const auto& [key, weight] : {std::pair{kFirstLess, first}, std::pair{kLastLess, last}})
      if (weight > share)
        throw error(key, str(weight) + " is more than the " + str(share) + " layers each of the " + str(stages) +
                             " stages gets, which torchtitan refuses; expected at most " + str(share));
    std::vector<int> split;
    for (long long s = 0; s < stages; ++s) {
      long long n = share + (s < total % stages ? 1 : 0);
      if (s == 0) n -= first;
      if (s == stages - 1) n -= last;
      split.push_back(static_cast<int>(n));
    }
    return split;
  }

  // module_fqns_per_model_part: the modules of each model part (virtual stage, in model order),
  // as torchtitan's pipeline_module_split takes them: "tok_embeddings" in the first part,
  // "layers.N" in order, "norm" and "output" in the last. Layer counts per part; none given: {}.
  std::vector<int> model_parts() const {
    const auto* n = node(kModelParts);
    if (!n) return {};
    const auto* outer = n->as_array();
    const std::string expected = "; expected lists of module names per model part, such as [[\"tok_embeddings\", "
                                 "\"layers.0\"], [\"layers.1\", \"norm\", \"output\"]]";
    if (!outer) throw error(kModelParts, "expected a list of lists of module names, got " + render(*n) + expected);
    std::vector<int> counts;
    int next = 0;
    const int layers = out_.job.model.layers;
    for (size_t i = 0; i < outer->size(); ++i) {
      const auto* part = outer->get(i)->as_array();
      if (!part) throw error(kModelParts, "part " + str(i) + " is " + render(*outer->get(i)) + ", not a list" + expected);
      int count = 0;
      for (const auto& e : *part) {
        const std::string name = e.value<std::string>().value_or(render(e));
        const bool first = i == 0, last = i + 1 == outer->size();
        if (name == "tok_embeddings" ? first : name == "norm" || name == "output" ? last : false) continue;
        if (name == "tok_embeddings" || name == "norm" || name == "output")
          throw error(kModelParts, "'" + name + "' in part " + str(i) + ": trainsim places the embedding in the first "
                                   "part and the norm and head in the last; expected it there");
        if (name != "layers." + str(next) || next >= layers)
          throw error(kModelParts, "'" + name + "' in part " + str(i) + " is not the next layer; expected \"layers." +
                                       str(next) + "\" (the layers in order, each once, layers.0 to layers." +
                                       str(layers - 1) + ")");
        ++next, ++count;
      }
      counts.push_back(count);
    }
    if (counts.empty()) return {};
    if (next != layers)
      throw error(kModelParts, "the parts hold layers.0 to layers." + str(next - 1) + " of the " + str(layers) +
                                   "; expected every layer in one part");
    for (size_t i = 1; i + 1 < counts.size(); ++i)
      if (counts[i] == 0)
        throw error(kModelParts, "part " + str(i) + " holds no layer, which is modelled only for the first and last "
                                 "parts (the embedding or the head alone); expected at least one layer in it");
    return counts;
  }

  // "layers.8" split points -> layers per stage (single-stage schedules).
  void split_points() {
    const auto key = given({"parallelism.pipeline_parallel_split_points", "experimental.pipeline_parallel_split_points"});
    if (!key) return;
    const auto points = strings(*key);
    if (points.empty()) return;
    auto& p = out_.job.plan;
    if (static_cast<long long>(points.size()) != pp_ - 1)
      throw error(*key, str(points.size()) + " split points for " + str(pp_) + " stages; expected " + str(pp_ - 1));
    int previous = 0;
    for (const auto& s : points) {
      int layer = -1;
      if (s.rfind("layers.", 0) == 0 && s.size() > 7 && s.find_first_not_of("0123456789", 7) == std::string::npos)
        layer = std::stoi(s.substr(7));
      if (layer <= previous || layer >= out_.job.model.layers)
        throw error(*key, "'" + s + "' is not a split point after the previous one; expected increasing "
                          "\"layers.N\" names between layers.1 and layers." + str(out_.job.model.layers - 1));
      p.layers_per_stage.push_back(layer - previous);
      previous = layer;
    }
    p.layers_per_stage.push_back(out_.job.model.layers - previous);
  }

  void recompute() {
    auto& p = out_.job.plan;
    const std::string mode = text("activation_checkpoint.mode", "selective");  // torchtitan's default
    if (!node("activation_checkpoint.mode")) out_.notes.push_back("activation checkpointing: selective (torchtitan's default mode)");
    if (mode == "none") {
      p.recompute = Recompute::None;
    } else if (mode == "full") {
      p.recompute = Recompute::Full;
    } else if (mode == "selective") {
      const std::string option = text("activation_checkpoint.selective_ac_option", "2");
      if (option == "1") {
        p.recompute = Recompute::Full;
        out_.notes.push_back("selective_ac_option 1 checkpoints every layer: full recomputation");
      } else if (option == "op") {
        throw error(node("activation_checkpoint.selective_ac_option") ? "activation_checkpoint.selective_ac_option"
                                                                      : "activation_checkpoint.mode",
                    "torchtitan's per-op selective checkpointing (recomputing every second matmul and the "
                    "elementwise ops) is not modelled: trainsim's selective recomputation is Korthikanti et al.'s "
                    "(the core attention only); expected mode \"none\" or \"full\"");
      } else {
        throw error(node("activation_checkpoint.selective_ac_option") ? "activation_checkpoint.selective_ac_option"
                                                                      : "activation_checkpoint.mode",
                    "checkpointing every " + option + "th layer is not modelled (trainsim recomputes every layer or "
                    "none); expected mode \"none\" or \"full\", or selective_ac_option \"1\"");
      }
    } else {
      throw error("activation_checkpoint.mode", "'" + mode + "' is not modelled; expected none, selective or full");
    }
  }

  void precision() {
    const std::string param = text("training.mixed_precision_param", "bfloat16");
    const std::string reduce = text("training.mixed_precision_reduce", "float32");
    const auto& gpu = options_.platform.clusters.front().gpu;
    if (param != "bfloat16")
      throw error("training.mixed_precision_param",
                  "'" + param + "' parameters are not modelled (trainsim models 16-bit mixed precision); expected "
                  "bfloat16");
    if (!gpu.bf16)
      throw error("training.mixed_precision_param",
                  "the platform's " + gpu.name + " has no bf16 tensor cores, which torchtitan's mixed precision uses");
    if (reduce != "bfloat16" && reduce != "float32")
      throw error("training.mixed_precision_reduce",
                  "'" + reduce + "' gradient reduction is not modelled; expected \"float32\" (grad_reduce_precision "
                  "fp32) or \"bfloat16\" (bf16)");
    auto& p = out_.job.plan;
    if (p.dp * p.cp > 1) p.grad_reduce_bytes = reduce == "float32" ? 4 : 2;  // else listed as without effect
    if (p.dp * p.cp > 1 && reduce == "float32" && !node("training.mixed_precision_reduce"))
      out_.notes.push_back("gradients reduced in fp32 (torchtitan's default training.mixed_precision_reduce): "
                           "grad_reduce_precision fp32");
    setters_.emplace_back("grad_reduce_precision", "training.mixed_precision_reduce");
    // float8: torchtitan converts the linear layers (the output head stays bf16 by its default
    // filter_fqns), trainsim's fp8 times the linear layers' GEMMs in FP8 (docs/model.md, "FP8").
    if (!float8_key_.empty()) {
      p.gemm_precision = workload::Precision::Fp8;
      setters_.emplace_back("gemm_precision", float8_key_);
      out_.notes.push_back("float8 (" + float8_key_ + "): gemm_precision fp8; trainsim's FP8 covers the routed "
                           "experts' grouped GEMMs too, which torchtitan converts only when its float8 settings "
                           "name them (docs/import.md)");
    }
    if (boolean("training.compile", false) || boolean("compile.enable", false))
      out_.ignored.push_back(std::string(node("compile.enable") ? "compile.enable" : "training.compile") +
                             " (torch.compile's kernel fusion: trainsim times eager kernels)");
    const std::string opt = text("optimizer.name", "AdamW");
    if (opt != "AdamW" && opt != "Adam")
      throw error("optimizer.name", "optimizer '" + opt + "' is not modelled; expected AdamW or Adam");
  }

  // Keys read but made pointless by others are listed as ignored, with why.
  void without_effect() {
    auto ignore = [&](bool pointless, std::initializer_list<std::string_view> paths, const std::string& why) {
      for (auto path : paths)
        if (pointless && node(path)) out_.ignored.push_back(std::string(path) + " (" + why + ")");
    };
    ignore(pp_ == 1,
           {"parallelism.pipeline_parallel_schedule", "parallelism.pipeline_parallel_microbatch_size",
            "parallelism.pipeline_parallel_layers_per_stage", "parallelism.pipeline_parallel_split_points",
            "experimental.pipeline_parallel_schedule", "experimental.pipeline_parallel_split_points",
            "experimental.pipeline_parallel_microbatches", kFirstLess, kLastLess, kModelParts},
           "no pipeline parallelism");
    ignore(!out_.job.plan.tp_comm_overlap, {"compile.components"}, "only for enable_async_tensor_parallel");
    ignore(text("activation_checkpoint.mode", "selective") != "selective", {"activation_checkpoint.selective_ac_option"},
           "only with mode selective");
    ignore(shard_ == 1 && cp_ == 1, {"parallelism.fsdp_reshard_after_forward", "training.fsdp_reshard_after_forward"},
           "no FSDP");
    ignore(out_.job.plan.dp * out_.job.plan.cp == 1, {"training.mixed_precision_reduce"}, "no data-parallel reduction");
    ignore(cp_ == 1, {"parallelism.context_parallel_rotate_method"}, "no context parallelism");
  }

  std::string file_;
  const ImportOptions& options_;
  toml::table doc_;
  ImportResult out_;
  long long replicate_ = 1, shard_ = 1, tp_ = 1, pp_ = 1, cp_ = 1, local_ = 1, accumulation_ = 1;
  std::string shard_key_, cp_key_, replicate_key_, float8_key_;
  // Scenario keys the importer set from a torchtitan key, to name that key when the job is refused.
  std::vector<std::pair<std::string, std::string>> setters_;
  std::map<std::string, SourceLocation> overridden_;  // key path -> the override's place
};

}  // namespace

std::vector<TorchtitanKey> torchtitan_keys() {
  std::vector<TorchtitanKey> out;
  for (const auto& k : titan_keys())
    out.push_back({std::string(k.path), k.use == Use::Read ? "read" : k.use == Use::Ignored ? "ignored" : "refused",
                   std::string(k.why), !k.harmless ? "" : *k.harmless ? k.harmless : "\"\""});
  for (const auto& s : kOpenSections) out.push_back({"[" + s + "]", "ignored", "the whole section", ""});
  return out;
}

ImportResult import_torchtitan_text(const std::string& text, const std::string& name, const ImportOptions& options,
                                    const std::vector<Word>& overrides) {
  try {
    return TitanImport(text, name, options, overrides).run();
  } catch (const InputError& e) {
    throw one_line(e);
  }
}

ImportResult import_torchtitan(const std::string& path, const ImportOptions& options,
                               const std::vector<Word>& overrides) {
  return import_torchtitan_text(read_text_file(path), path, options, overrides);
}

}  // namespace trainsim::importer
