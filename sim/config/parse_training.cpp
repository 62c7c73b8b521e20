// `job: {kind: training, ...}` -> TrainingSpec (docs/scenarios.md, "training").
#include "config/job_kinds.hpp"
#include "config/loader.hpp"
#include "config/parse_data_parallel.hpp"
#include "config/parse_moe.hpp"
#include "config/parse_training.hpp"
#include "config/paths.hpp"
#include "parallel/plan.hpp"
#include "scenario/training_spec.hpp"
#include "workload/presets.hpp"

namespace trainsim {
namespace {

using schedule::ScheduleKind;
using workload::Recompute;

const std::vector<std::pair<std::string, Recompute>> kRecompute = {
    {"none", Recompute::None}, {"selective", Recompute::Selective}, {"full", Recompute::Full}};
// The algorithms of the data-parallel gradient reduction (docs/training.md).
const std::vector<std::pair<std::string, CollectiveAlgorithm>>& dp_algorithms() {
  static const auto names = names_among(algorithm_names(), [](CollectiveAlgorithm a) {
    return a == CollectiveAlgorithm::Ring || a == CollectiveAlgorithm::Hierarchical;
  });
  return names;
}

workload::ModelSpec preset_or_error(const YamlMap& where, const std::string& key, const std::string& name) {
  if (auto m = workload::find_model_preset(name)) return *m;
  auto names = workload::model_preset_names();
  std::string hint = did_you_mean(name, names);
  throw where.error(key, "unknown model preset \"" + name + "\"" + (hint.empty() ? "" : " (" + hint + ")") +
                             "; presets: " + join_names(names));
}

// Shape checks that involve two keys, blaming the key the user wrote: with a preset, a
// divisibility error about a field the file does not hold would send the user looking for a key
// that is not there (issue 10: `heads: 12` on llama3-70b was reported at 'job.model.kv_heads').
void check_shape(YamlMap& m, const workload::ModelSpec& model, const std::string& preset) {
  auto written = [&](const char* key) { return m.has(key); };
  auto value = [&](const char* key, int v) {
    std::string s = std::string(key) + " " + std::to_string(v);
    if (!written(key) && !preset.empty())
      s += std::string(key) == "kv_heads" ? " (" + preset + "'s KV heads)" : " (" + preset + "'s)";
    return s;
  };
  auto blame = [&](const char* first, const char* second) {
    return written(first) ? first : written(second) ? second : first;
  };
  if (model.head_size == 0 && model.hidden % model.heads != 0)
    throw m.error(blame("heads", "hidden"),
                  value("hidden", model.hidden) + " is not divisible by " + value("heads", model.heads));
  if (model.heads % model.kv_heads != 0)
    throw m.error(blame("kv_heads", "heads"),
                  value("heads", model.heads) + " is not divisible by " + value("kv_heads", model.kv_heads) +
                      (written("kv_heads") ? "" : "; give kv_heads as well"));
  if (model.family == workload::Family::Gpt && model.kv_heads != model.heads)
    throw m.error(blame("kv_heads", "family"), "GPT models use multi-head attention: kv_heads (" +
                                                   std::to_string(model.kv_heads) + ") must equal heads (" +
                                                   std::to_string(model.heads) + ")");
}

// model: <preset> | {preset: <name>, <overrides>...} | {family, layers, hidden, heads, ...}
workload::ModelSpec parse_model(YamlMap& job) {
  const YAML::Node& node = job.node("model");
  if (node.IsScalar()) return preset_or_error(job, "model", node.as<std::string>());
  YamlMap m(node, job.file(), job.key_path("model"));
  workload::ModelSpec model;
  const bool preset = m.has("preset");
  if (preset) model = preset_or_error(m, "preset", m.get_string("preset"));
  const workload::ModelSpec base = model;
  auto integer = [&](const char* key, int& field, long long lo, long long hi) {
    if (preset) field = static_cast<int>(m.optional_int(key, field, lo, hi));
    else field = static_cast<int>(m.get_int(key, lo, hi));
  };
  model.name = m.optional_string("name", preset ? model.name : "custom");
  const bool moe_family = read_family(m, preset ? &base : nullptr, model);  // gpt, llama or moe (parse_moe.cpp)
  integer("layers", model.layers, 1, 100000);
  integer("hidden", model.hidden, 1, 1 << 20);
  integer("heads", model.heads, 1, 1 << 16);
  // Derived fields follow the overrides they derive from (workload/presets.hpp).
  const int kv_default = preset ? workload::derived_kv_heads(base, model.heads) : model.heads;
  const int ffn_default = preset ? workload::derived_ffn_hidden(base, model.hidden) : 4 * model.hidden;
  model.kv_heads = static_cast<int>(m.optional_int("kv_heads", kv_default, 1, 1 << 16));
  model.ffn_hidden = static_cast<int>(m.optional_int("ffn_hidden", ffn_default, 1, 1 << 24));
  integer("seq_len", model.seq_len, 1, 1 << 24);
  integer("vocab", model.vocab, 1, 1 << 24);
  model.tied_embeddings = m.optional_bool("tied_embeddings", preset ? model.tied_embeddings : true);
  read_moe_model(m, moe_family, preset ? &base : nullptr, model);
  m.finish();
  check_shape(m, model, preset ? base.name : "");
  return model;
}

}  // namespace

TrainingSpec read_training(YamlMap& job, const PlatformSpec& platform) {
  TrainingSpec spec;
  spec.where = job.location();
  spec.model = parse_model(job);
  auto& p = spec.plan;
  p.where = job.location();
  {
    YamlMap par = job.get_map("parallelism");
    p.tp = static_cast<int>(par.optional_int("tp", 1, 1, 1 << 20));
    p.pp = static_cast<int>(par.optional_int("pp", 1, 1, 1 << 20));
    p.dp = static_cast<int>(par.optional_int("dp", 1, 1, 1 << 20));
    p.cp = static_cast<int>(par.optional_int("cp", 1, 1, 1 << 16));
    read_expert_parallelism(par, p);  // ep, expert_tp
    par.finish();
  }
  p.micro_batch = static_cast<int>(job.get_int("micro_batch", 1, 1 << 20));
  p.global_batch = static_cast<int>(job.get_int("global_batch", 1, 1 << 30));
  p.schedule = job.optional_enum("schedule", schedule::schedule_names(), ScheduleKind::OneFOneB);
  // zb-v and dualpipe run two chunks per stage: that is their default.
  p.chunks = static_cast<int>(job.optional_int(
      "chunks", schedule::chunk_layout(p.schedule) == schedule::ChunkLayout::Looped ? 1 : 2, 1, 1024));
  p.cp_comm = job.optional_enum("cp_comm", std::vector<std::pair<std::string, CpComm>>{{"ring", CpComm::Ring}, {"all-gather", CpComm::AllGather}},
                                CpComm::Ring);
  p.sequence_parallel = job.optional_bool("sequence_parallel", false);
  p.recompute = job.optional_enum("recompute", kRecompute, Recompute::None);
  p.fused_bias_dropout_add = job.optional_bool("bias_dropout_fusion", false);
  p.flash_attention = job.optional_enum("attention", std::vector<std::pair<std::string, bool>>{{"flash", true}, {"unfused", false}}, true);
  p.zero_stage = static_cast<int>(job.optional_int("zero_stage", 0, 0, 3));
  if (job.has("layers_per_stage"))
    for (long long l : job.get_int_list("layers_per_stage", 1, 100000)) p.layers_per_stage.push_back(static_cast<int>(l));
  if (job.has("layers_per_virtual_stage"))
    for (long long l : job.get_int_list("layers_per_virtual_stage", 0, 100000))
      p.layers_per_virtual_stage.push_back(static_cast<int>(l));
  if (job.has("mapping")) {
    p.order = RankOrder::Explicit;
    if (job.node("mapping").IsMap()) {
      // mapping: {file: ranks.yaml} — a file holding the list (YAML or JSON), relative to this file.
      YamlMap mm(job.node("mapping"), job.file(), job.key_path("mapping"));
      const std::string literal = mm.get_string("file");
      const std::string path = resolve_relative(job.file(), literal);
      const std::string text = read_named_file(job.file(), literal, mm.where("file"), mm.key_path("file"), "mapping file");
      const YAML::Node list = parse_yaml(text, path);
      if (!list.IsSequence()) throw node_error(list, path, "mapping", "expected a list of GPU indices, got " + describe(list));
      for (size_t i = 0; i < list.size(); ++i)
        p.mapping.push_back(static_cast<int>(
            scalar_int(list[i], path, "mapping[" + std::to_string(i) + "]", 0, kMaxPlatformGpus)));
      mm.finish();
    } else {
      for (long long g : job.get_int_list("mapping", 0, kMaxPlatformGpus)) p.mapping.push_back(static_cast<int>(g));
    }
  }
  p.overlap_grad_reduce = job.optional_bool("overlap_grad_reduce", false);
  p.bucket_bytes = job.optional_quantity("bucket_size", units::Kind::Size, Bound::Positive, p.bucket_bytes);
  p.dp_algorithm = job.optional_enum("dp_algorithm", dp_algorithms(), CollectiveAlgorithm::Ring);
  p.scatter_gather = job.optional_bool("scatter_gather", true);
  read_data_parallel_options(job, p);  // grad_reduce_precision, overlap_*, tp_comm_overlap, fsdp
  p.iterations = static_cast<int>(job.optional_int("iterations", 1, 1, 1000));
  if (job.has("stragglers")) {
    YamlMap s = job.get_map("stragglers");
    spec.stragglers.sigma = s.optional_number("sigma", 0, 0, 3);
    if (s.has("gpus")) {
      const YAML::Node& gnode = s.node("gpus");
      YamlMap gm(gnode, s.file(), s.key_path("gpus"));
      for (auto it = gnode.begin(); it != gnode.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        long long gpu = scalar_int(it->first, s.file(), gm.key_path(key), 0, platform.total_gpus() - 1);
        double factor = gm.get_number(key, 0.01, 100);
        spec.stragglers.gpus.emplace_back(static_cast<int>(gpu), factor);
      }
      gm.finish();
    }
    s.finish();
  }
  workload::validate(spec.model);  // every field is range-checked above: a failure here is a bug
  try {
    validate_plan(p, spec.model, platform.total_gpus());
  } catch (const InputError& e) {
    // Plan errors name the plan key; point at it when it is in the file.
    const std::string key = e.key();
    const std::string leaf = key.substr(0, key.find('.'));
    throw InputError(job.has(leaf) ? job.where(leaf) : job.location(), job.key_path(key), e.message());
  }
  read_moe_job(job, spec, platform);  // moe:, gemm_precision
  // Simulation time grows with the micro-batches of a pipeline; beyond this a batch is a typo
  // (global_batch: 1000000000 would run for days), not a training run.
  constexpr int kMaxMicroBatches = 16384;
  if (p.micro_batches() > kMaxMicroBatches)
    throw job.error("global_batch", "global batch " + std::to_string(p.global_batch) + " gives " +
                                        std::to_string(p.micro_batches()) +
                                        " micro-batches per pipeline (global_batch / (micro_batch x dp)); at most " +
                                        std::to_string(kMaxMicroBatches) + " are simulated");
  return spec;
}

TrainingSpec parse_training(YamlMap& job, const PlatformSpec& platform) {
  TrainingSpec spec = read_training(job, platform);
  check_moe_programs(job, spec);  // what the expert-parallel programs do not model yet
  return spec;
}

}  // namespace trainsim
