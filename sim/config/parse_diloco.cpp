// `job: {kind: diloco, ...}` -> DilocoSpec (docs/diloco.md, "Scenario format").
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "config/job_kinds.hpp"
#include "scenario/diloco_spec.hpp"
#include "workload/model_spec.hpp"

namespace trainsim {
namespace {

const std::vector<std::pair<std::string, SyncAlgorithm>> kAlgorithms = {
    {"data_parallel", SyncAlgorithm::DataParallel}, {"diloco", SyncAlgorithm::Diloco},
    {"streaming", SyncAlgorithm::Streaming}};
const std::vector<std::pair<std::string, FragmentPattern>> kPatterns = {{"strided", FragmentPattern::Strided},
                                                                        {"sequential", FragmentPattern::Sequential}};
const std::vector<std::pair<std::string, CrossReduce>> kReduce = {{"ring", CrossReduce::Ring},
                                                                  {"hierarchical", CrossReduce::Hierarchical}};
const std::vector<std::pair<std::string, WorkerMode>> kModes = {{"abstract", WorkerMode::Abstract},
                                                                {"full", WorkerMode::Full}};

std::vector<double> number_list(YamlMap& map, const std::string& key, double lo, double hi) {
  const YAML::Node& n = map.node(key);
  if (!n.IsSequence() || n.size() == 0) throw map.error(key, "expected a non-empty list of numbers, got " + describe(n));
  std::vector<double> out;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = map.key_path(key) + "[" + std::to_string(i) + "]";
    const std::string text = scalar_string(n[i], map.file(), path);
    double v = 0;
    try {
      size_t pos = 0;
      v = std::stod(text, &pos);
      if (pos != text.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw node_error(n[i], map.file(), path, "expected a number, got " + describe(n[i]));
    }
    if (!(v >= lo && v <= hi))
      throw node_error(n[i], map.file(), path,
                       "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + text);
    out.push_back(v);
  }
  return out;
}

// A model's or method's name labels its rows in tables, traces and sweep journals.
constexpr size_t kMaxLabel = 80;
std::string parse_label(YamlMap& m) {
  const std::string name = m.get_string("name");
  const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  });
  if (name.empty() || name.size() > kMaxLabel || !printable || std::isspace(static_cast<unsigned char>(name.front())) ||
      std::isspace(static_cast<unsigned char>(name.back())))
  {
    std::string shown;  // control characters written out, so the message stays one line
    for (unsigned char c : name) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      shown += c == '\t' ? std::string("\\t") : c < 0x20 || c == 0x7f ? std::string(buf) : std::string(1, static_cast<char>(c));
    }
    throw m.error("name", "got \"" + shown + "\" (" + std::to_string(name.size()) + " characters); expected a label of 1 to " +
                              std::to_string(kMaxLabel) + " printable characters, without leading or trailing spaces");
  }
  return name;
}

// Names label rows: two models (or two methods) with one name would give rows nobody can tell
// apart, and published values could not say which one they belong to.
template <class T>
void refuse_duplicate_names(std::vector<YamlMap>& maps, const std::vector<T>& items, const char* what) {
  for (size_t i = 0; i < items.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (items[i].name == items[j].name)
        throw maps[i].error("name", std::string(what) + " name \"" + items[i].name + "\" is already used by " +
                                        maps[j].path() + " (line " + std::to_string(items[j].where.line) +
                                        "); expected a name of its own for each " + what);
}

DilocoModel parse_model(YamlMap& m, const PlatformSpec& platform) {
  DilocoModel model;
  model.where = m.location();
  model.name = parse_label(m);
  model.layers = static_cast<int>(m.get_int("layers", 1, 100000));
  // Parameters given, or derived from the hidden size of a standard block (12 h^2 per layer:
  // 4 h^2 attention + 8 h^2 MLP) plus a vocab x h embedding when a vocabulary is given.
  if (m.has("parameters")) {
    m.forbid("hidden", "parameters is given");
    model.parameters = m.get_number("parameters", 1, 1e16);
  } else {
    const double h = static_cast<double>(m.get_int("hidden", 1, 1 << 20));
    const double vocab = static_cast<double>(m.optional_int("vocab", 0, 0, 1 << 24));
    model.parameters = 12.0 * h * h * model.layers + vocab * h;
  }
  model.tokens_per_step = m.optional_number("tokens_per_step", 0, 0, 1e15);
  // Step time given, or 6 N tokens / (GPUs x peak x MFU) on the first datacenter's GPUs.
  if (m.has("step_time")) {
    m.forbid("mfu", "step_time is given");
    model.step_time = m.get_quantity("step_time", units::Kind::Time, Bound::Positive);
  } else {
    const double mfu = m.get_number("mfu", 1e-6, 1);
    if (model.tokens_per_step <= 0) throw m.error("tokens_per_step", "is needed to derive the step time from mfu");
    const auto& c = platform.clusters.front();
    model.step_time = 6.0 * model.parameters * model.tokens_per_step / (c.nodes * c.gpus_per_node * c.gpu.peak_flops * mfu);
  }
  m.finish();
  return model;
}

// `layers` bounds the fragment size: the fewest layers of any model of the job.
DilocoMethod parse_method(YamlMap& m, int layers) {
  DilocoMethod method;
  method.where = m.location();
  method.name = parse_label(m);
  method.algorithm = m.get_enum("algorithm", kAlgorithms);
  const bool dp = method.algorithm == SyncAlgorithm::DataParallel;
  const bool streaming = method.algorithm == SyncAlgorithm::Streaming;
  if (dp) {
    for (const char* k : {"inner_steps", "layers_per_fragment", "pattern", "eager", "alpha"})
      m.forbid(k, "data-parallel reduces every step");
  } else {
    method.inner_steps = static_cast<int>(m.get_int("inner_steps", 1, 1000000));
    method.eager = m.optional_bool("eager", false);
  }
  if (streaming) {
    method.layers_per_fragment = static_cast<int>(m.get_int("layers_per_fragment", 1, 100000));
    if (method.layers_per_fragment > layers)
      throw m.error("layers_per_fragment", "a fragment of " + std::to_string(method.layers_per_fragment) +
                                               " layers is larger than the model (" + std::to_string(layers) +
                                               " layers)");
    method.pattern = m.optional_enum("pattern", kPatterns, FragmentPattern::Strided);
    method.alpha = m.optional_number("alpha", 0.5, 0, 1);
  } else {
    for (const char* k : {"layers_per_fragment", "pattern", "alpha"}) m.forbid(k, "only streaming has fragments");
  }
  method.overlap_steps = static_cast<int>(m.optional_int("overlap", 0, 0, 1000000));
  if (method.eager && m.has("overlap")) m.forbid("overlap", "eager updates overlap the whole outer step");
  if (!dp && method.overlap_steps >= method.inner_steps)
    throw m.error("overlap", "overlap (tau) must be below inner_steps (H)");
  const long long bits = m.optional_int("bits", 16, 4, 32);
  if (bits != 4 && bits != 8 && bits != 16 && bits != 32) throw m.error("bits", "must be 32, 16, 8 or 4");
  method.bits = static_cast<int>(bits);
  m.finish();
  return method;
}

}  // namespace

DilocoSpec parse_diloco(YamlMap& job, const PlatformSpec& platform) {
  DilocoSpec spec;
  spec.where = job.location();
  spec.worker = job.optional_enum("worker", kModes, WorkerMode::Abstract);
  const bool full = spec.worker == WorkerMode::Full;
  if (platform.clusters.size() < 2) throw job.error("a diloco job needs a platform of at least two clusters (datacenters)");
  spec.reduce = job.optional_enum("reduce", kReduce, CrossReduce::Ring);
  if (!full && spec.reduce == CrossReduce::Hierarchical)
    throw job.error("reduce", "reduce: hierarchical needs worker: full (an abstract worker is one entity: there is "
                              "nothing to reduce inside its datacenter)");
  if (full) {
    spec.rounds = static_cast<int>(job.optional_int("rounds", 3, 3, 1000));
  } else {
    job.forbid("rounds", "abstract workers are simulated until their rounds repeat (the steady state, "
                         "docs/diloco.md); expected no rounds key (it applies to worker: full only)");
  }
  spec.tokens = job.optional_number("tokens", 0, 0, 1e18);
  if (full) {
    // The replica's training job, parsed as a training job and checked against one datacenter.
    if (!job.has("training"))
      throw job.error("worker: full needs a `training` map (the model and parallel plan of each datacenter)");
    job.forbid("models", "with worker: full the model is training.model");
    job.forbid("workers", "with worker: full each datacenter runs training on its own GPUs");
    YamlMap t = job.get_map("training");
    t.forbid("iterations", "a full DiLoCo job runs rounds x inner_steps iterations");
    t.forbid("mapping", "ranks are placed on each datacenter's GPUs in order");
    PlatformSpec one_dc = platform;
    one_dc.clusters.resize(1);
    one_dc.wan.clear();
    auto training = parse_training(t, one_dc);
    t.finish();
    for (const auto& c : platform.clusters)
      if (training.plan.gpus() > c.nodes * c.gpus_per_node)
        throw t.error("parallelism", "tp x pp x dp = " + std::to_string(training.plan.gpus()) +
                                         " GPUs but datacenter '" + c.name + "' has " +
                                         std::to_string(c.nodes * c.gpus_per_node));
    DilocoModel model;
    model.where = training.where;
    model.name = training.model.name;
    model.layers = training.model.layers;
    model.parameters = workload::total_parameters(training.model);
    model.tokens_per_step = static_cast<double>(training.plan.global_batch) * training.model.seq_len;
    spec.models.push_back(model);
    spec.training = training;
  } else {
    job.forbid("training", "only worker: full runs a training job per datacenter");
    auto models = job.get_map_list("models");
    for (auto& m : models) spec.models.push_back(parse_model(m, platform));
    if (spec.models.empty()) throw job.error("models", "needs at least one model");
    refuse_duplicate_names(models, spec.models, "model");
  }
  int fewest_layers = spec.models.front().layers;
  for (const auto& m : spec.models) fewest_layers = std::min(fewest_layers, m.layers);
  auto methods = job.get_map_list("methods");
  for (auto& m : methods) spec.methods.push_back(parse_method(m, fewest_layers));
  if (spec.methods.empty()) throw job.error("methods", "needs at least one method");
  refuse_duplicate_names(methods, spec.methods, "method");
  if (job.has("workers")) {
    auto list = job.get_map_list("workers");
    if (list.size() != platform.clusters.size())
      throw job.error("workers", "needs one entry per cluster (" + std::to_string(platform.clusters.size()) + ")");
    for (auto& w : list) {
      spec.workers.push_back({w.optional_number("step_time_factor", 1.0, 1e-3, 1e3)});
      w.finish();
    }
  }
  if (job.has("sweep")) {
    YamlMap s = job.get_map("sweep");
    auto gbps = [&](const char* key, double fallback) {
      return s.optional_quantity(key, units::Kind::Bandwidth, Bound::Positive, fallback / 8 * 1e9) * 8 / 1e9;
    };
    spec.sweep.min_gbps = gbps("min", 0.1);
    spec.sweep.max_gbps = gbps("max", 1000);
    if (spec.sweep.max_gbps <= spec.sweep.min_gbps) throw s.error("max", "must be above min");
    spec.sweep.points = static_cast<int>(s.optional_int("points", 50, 2, 10000));
    if (s.has("targets")) spec.sweep.targets = number_list(s, "targets", 1e-6, 1);
    spec.sweep.bisection_steps = static_cast<int>(s.optional_int("bisection_steps", 6, 0, 40));
    s.finish();
  }
  if (job.has("published")) {
    auto rows = job.get_map_list("published");
    for (auto& p : rows) {
      PublishedRow row;
      row.where = p.location();
      // Each row names a model and a method of this job, once: a row that matched nothing would
      // be silently dropped from every comparison.
      auto known = [&p](const char* key, const auto& items) {
        std::string name = p.get_string(key);
        std::vector<std::string> names;
        for (const auto& i : items) names.push_back(i.name);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          const std::string hint = did_you_mean(name, names);
          throw p.error(key, "no " + std::string(key) + " of this job is called \"" + name + "\"" +
                                 (hint.empty() ? "" : " (" + hint + ")") + "; expected one of: " + join_names(names));
        }
        return name;
      };
      row.model = known("model", spec.models);
      row.method = known("method", spec.methods);
      for (const auto& other : spec.published)
        if (other.model == row.model && other.method == row.method)
          throw p.error("method", "published values for " + row.model + " / " + row.method + " are already given at line " +
                                      std::to_string(other.where.line) + "; expected one row per model and method");
      row.gbps = number_list(p, "gbps", 0, 1e9);
      if (row.gbps.size() != spec.sweep.targets.size())
        throw p.error("gbps", "needs one value per sweep target (" + std::to_string(spec.sweep.targets.size()) + ")");
      p.finish();
      spec.published.push_back(row);
    }
  }
  return spec;
}

}  // namespace trainsim
