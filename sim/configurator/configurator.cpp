#include "configurator/configurator.hpp"

#include <algorithm>
#include <cmath>

#include "configurator/annealing.hpp"
#include "configurator/megatron_rule.hpp"
#include "configurator/pipette_model.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "workload/memory.hpp"
#include "workload/model_spec.hpp"

namespace trainsim::configurator {

const std::vector<std::pair<std::string, Method>>& method_names() {
  static const std::vector<std::pair<std::string, Method>> names = {
      {"pipette", Method::Pipette},   {"pipette-corrected", Method::PipetteCorrected},
      {"amp", Method::Amp},           {"amp-corrected", Method::AmpCorrected},
      {"megatron", Method::Megatron}, {"megatron-mb1", Method::MegatronMb1},
      {"random", Method::Random},     {"oracle", Method::Oracle}};
  return names;
}

std::string method_name(Method m) {
  for (const auto& [name, value] : method_names())
    if (value == m) return name;
  return "?";
}

std::optional<Method> parse_method(const std::string& name) {
  for (const auto& [n, value] : method_names())
    if (n == name) return value;
  return std::nullopt;
}

std::vector<Method> model_methods() {
  std::vector<Method> out;
  for (const auto& [name, m] : method_names())
    if (m != Method::Oracle) out.push_back(m);
  return out;
}

std::vector<ConfigPoint> runnable_space(const ConfigureInput& in, Stages stages) {
  std::vector<ConfigPoint> out;
  for (const ConfigPoint& c : search_space(in.model, in.global_batch, in.nodes, in.gpus_per_node, stages)) {
    try {
      (void)in.costs(c, {});
    } catch (const InputError&) {
      continue;  // a shard the compute model cannot form (e.g. a vocabulary tp does not divide)
    }
    out.push_back(c);
  }
  return out;
}

bool Recommendation::default_order() const {
  return grid == megatron_grid(grid.pp * grid.rows, grid.pp, grid.units_per_node);
}

namespace {

std::string split_text(const std::vector<int>& layers) {
  std::string s;
  for (int l : layers) s += (s.empty() ? "" : "/") + std::to_string(l);
  return s;
}

}  // namespace

std::string placement_key(const Recommendation& r) {
  std::string key = config_text(r.config) + " @ " + grid_text(r.grid);
  if (!r.layers_per_stage.empty()) key += " layers " + split_text(r.layers_per_stage);
  return key;
}

std::string mapping_text(const Recommendation& r) {
  std::string s = r.default_order() ? "default" : grid_text(r.grid);
  if (!r.layers_per_stage.empty()) s += " layers " + split_text(r.layers_per_stage);
  return s;
}

std::string mapping_text(const Recommendation& r, size_t max_chars) {
  std::string s = mapping_text(r);
  if (s.size() > max_chars && max_chars > 4) s = s.substr(0, max_chars - 4) + " ...";
  return s;
}

namespace {

PipetteTerms pipette_terms(const ConfigureInput& in, const ConfigPoint& c, const StageEstimate& e, const PipetteRules& rules) {
  const double beta = rules.element_bytes;
  PipetteTerms t;
  t.t_f = e.t_f, t.t_b = e.t_b;
  t.m = c.micro_batches, t.pp = c.pp, t.d_in = c.d_in, t.d_out = c.d_out;
  t.s_pp = activation_bytes(c.micro_batch, in.model.seq_len, in.model.hidden, beta);
  t.s_dp = rules.exact_parameters
               ? beta * e.stage_params
               : faithful_gradient_bytes(in.model.layers, in.model.hidden, in.model.vocab, c.pp, c.tp, beta);
  return t;
}

uint64_t config_seed(uint64_t seed, const ConfigPoint& c) {
  return Rng(seed).fork(config_text(c)).next_u64();
}

void sort_by_prediction(std::vector<Recommendation>& out) {
  // Stable, so equal predictions keep the search-space order (deterministic output).
  std::stable_sort(out.begin(), out.end(),
                   [](const Recommendation& a, const Recommendation& b) { return a.predicted < b.predicted; });
}

// AMP: Megatron's order, its dynamic-programming layer split, no memory model.
std::vector<Recommendation> amp(Method method, const ConfigureInput& in) {
  const AmpVariant v = method == Method::AmpCorrected ? AmpVariant::Corrected : AmpVariant::Faithful;
  const AmpNodeBandwidth bw = amp_node_bandwidth(in.bandwidth);
  constexpr double kBeta = 2;  // bytes per element (the released code's figure is not stated)
  std::vector<Recommendation> out;
  for (const ConfigPoint& c : runnable_space(in, Stages::SubNode)) {
    AmpTerms t;
    t.fwd = in.costs(c, {}).layer_fwd;
    t.m = c.micro_batches, t.pp = c.pp, t.dp = c.dp, t.d_in = c.d_in;
    t.s_pp = activation_bytes(c.micro_batch, in.model.seq_len, in.model.hidden, kBeta);
    t.layer_param_bytes = kBeta * workload::layer_parameters_per_rank(in.model, c.tp);
    t.embedding_param_bytes = kBeta * double(in.model.vocab) * in.model.hidden / c.tp;
    const std::vector<int> split = amp_partition(t.fwd, in.model.layers, c.pp);
    Recommendation r;
    r.method = method, r.config = c, r.grid = default_grid(c, in.nodes);
    if (std::any_of(split.begin(), split.end(), [&](int l) { return l * c.pp != in.model.layers; }))
      r.layers_per_stage = split;
    const StageEstimate e = in.costs(c, r.layers_per_stage);
    r.memory = e.memory, r.fits = e.memory <= in.memory_limit;
    r.predicted = amp_time(t, split, r.grid, bw, v).total;
    out.push_back(std::move(r));
  }
  sort_by_prediction(out);
  return out;
}

std::vector<Recommendation> megatron(Method method, const ConfigureInput& in) {
  std::vector<RuleCandidate> cands;
  for (const ConfigPoint& c : runnable_space(in, Stages::SubNode)) {
    const StageEstimate e = in.costs(c, {});
    cands.push_back({c, e.memory <= in.memory_limit, e.t_f, e.t_b, e.memory});
  }
  std::vector<Recommendation> out;
  for (const auto& rc : megatron_order(cands, method == Method::Megatron ? MicroBatchRule::Eq3_4 : MicroBatchRule::One)) {
    Recommendation r;
    r.method = method, r.config = rc.config, r.grid = default_grid(rc.config, in.nodes);
    r.predicted = std::nan(""), r.memory = rc.memory, r.fits = rc.fits;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

PipetteTerms pipette_terms(const ConfigureInput& in, const ConfigPoint& c, const PipetteRules& rules) {
  return pipette_terms(in, c, in.costs(c, {}), rules);
}

AnnealingResult pipette_anneal(const ConfigureInput& in, const ConfigureOptions& opt, const PipetteRules& rules,
                               const ConfigPoint& c) {
  const PipetteTerms t = pipette_terms(in, c, rules);
  Rng rng(config_seed(opt.seed, c));
  const NodeGrid start = random_grid(in.nodes * c.units_per_node, c.pp, rng, c.units_per_node);  // Pipette's random start
  AnnealingOptions ao;
  ao.iterations = opt.iterations;
  ao.seed = rng.next_u64();
  return anneal(start, [&](const NodeGrid& g) { return annealing_objective(t, g, in.bandwidth, rules); }, ao);
}

std::vector<Recommendation> pipette_configure(const ConfigureInput& in, const ConfigureOptions& opt,
                                              const PipetteSearch& search, Method label) {
  std::vector<Recommendation> out;
  for (const ConfigPoint& c : runnable_space(in, search.stages)) {
    const StageEstimate e = in.costs(c, {});
    if (search.memory_filter && e.memory > in.memory_limit) continue;
    const PipetteTerms t = pipette_terms(in, c, e, search.rules);
    Recommendation r;
    r.method = label, r.config = c, r.memory = e.memory, r.fits = e.memory <= in.memory_limit;
    if (search.anneal) {
      // The kept mappings are scored with the final model; the best one is the answer.
      double best_time = INFINITY;
      for (const auto& b : pipette_anneal(in, opt, search.rules, c).best)
        if (double time = pipette_time(t, b.grid, in.bandwidth, search.rules).total; time < best_time)
          best_time = time, r.grid = b.grid;
    } else {
      Rng rng(config_seed(opt.seed, c));
      r.grid = random_grid(in.nodes * c.units_per_node, c.pp, rng, c.units_per_node);
    }
    r.predicted = pipette_time(t, r.grid, in.bandwidth, search.rules).total;
    out.push_back(std::move(r));
  }
  sort_by_prediction(out);
  return out;
}

std::vector<Recommendation> configure(Method method, const ConfigureInput& in, const ConfigureOptions& opt) {
  if (in.bandwidth.nodes() != in.nodes)
    throw InternalError("configure: the bandwidth matrix has " + std::to_string(in.bandwidth.nodes()) +
                        " nodes, the cluster " + std::to_string(in.nodes));
  switch (method) {
    case Method::Pipette:
      return pipette_configure(in, opt, {}, method);
    case Method::PipetteCorrected:
      return pipette_configure(in, opt, {PipetteRules::corrected(), true, true, Stages::SubNode}, method);
    case Method::Random:
      return pipette_configure(in, opt, {PipetteRules::released(), false, true}, method);
    case Method::Amp:
    case Method::AmpCorrected:
      return amp(method, in);
    case Method::Megatron:
    case Method::MegatronMb1:
      return megatron(method, in);
    case Method::Oracle:
      break;
  }
  throw InternalError("configure: the oracle needs a simulator, call oracle()");
}

std::vector<int> recommendation_mapping(const Recommendation& r, int gpus_per_node) {
  if (r.default_order()) return {};
  return grid_to_mapping(r.grid, r.config.tp, gpus_per_node);
}

}  // namespace trainsim::configurator
