#include "configurator/configurator.hpp"

#include <algorithm>
#include <cmath>

#include "configurator/amp_model.hpp"
#include "configurator/annealing.hpp"
#include "configurator/pipette_model.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace trainsim::configurator {

const std::vector<std::pair<std::string, Method>>& method_names() {
  static const std::vector<std::pair<std::string, Method>> names = {
      {"pipette", Method::Pipette}, {"pipette-corrected", Method::PipetteCorrected},
      {"amp", Method::Amp},         {"megatron", Method::Megatron},
      {"random", Method::Random},   {"oracle", Method::Oracle}};
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

namespace {

PipetteTerms pipette_terms(const ConfigureInput& in, const ConfigPoint& c, const StageEstimate& e, PipetteVariant v) {
  PipetteTerms t;
  t.t_f = e.t_f, t.t_b = e.t_b;
  t.m = c.micro_batches, t.pp = c.pp, t.d_in = c.d_in, t.d_out = c.d_out;
  t.s_pp = activation_bytes(c.micro_batch, in.model.seq_len, in.model.hidden);
  t.s_dp = v == PipetteVariant::Corrected
               ? 2.0 * e.stage_params
               : faithful_gradient_bytes(in.model.layers, in.model.hidden, in.model.vocab, c.pp, c.tp);
  return t;
}

// A seeded permutation of the nodes (Fisher-Yates over the portable Rng).
NodeGrid random_grid(int nodes, int pp, Rng& rng) {
  NodeGrid g = megatron_grid(nodes, pp);
  for (int i = nodes - 1; i > 0; --i) std::swap(g.nodes[i], g.nodes[rng.below(i + 1)]);
  return g;
}

uint64_t config_seed(uint64_t seed, const ConfigPoint& c) {
  return Rng(seed).fork(config_text(c)).next_u64();
}

void sort_by_prediction(std::vector<Recommendation>& out) {
  // Stable, so equal predictions keep the search-space order (deterministic output).
  std::stable_sort(out.begin(), out.end(),
                   [](const Recommendation& a, const Recommendation& b) { return a.predicted < b.predicted; });
}

std::vector<Recommendation> pipette_like(Method method, const ConfigureInput& in, const ConfigureOptions& opt) {
  const PipetteVariant v = method == Method::PipetteCorrected ? PipetteVariant::Corrected : PipetteVariant::Faithful;
  std::vector<Recommendation> out;
  for (const ConfigPoint& c : search_space(in.model, in.global_batch, in.nodes, in.gpus_per_node)) {
    const StageEstimate e = in.costs(c);
    if (e.memory > in.memory_limit) continue;  // Pipette's memory filter
    const PipetteTerms t = pipette_terms(in, c, e, v);
    Recommendation r{method, c, megatron_grid(in.nodes, c.pp), false, 0, e.memory, true};
    if (method == Method::Random) {
      Rng rng(config_seed(opt.seed, c));
      r.grid = random_grid(in.nodes, c.pp, rng);
    } else {
      AnnealingOptions ao;
      ao.iterations = opt.iterations;
      ao.seed = config_seed(opt.seed, c);
      const auto best = anneal(
          r.grid, [&](const NodeGrid& g) { return annealing_objective(t, g, in.bandwidth, v); }, ao);
      // The kept mappings are scored with the full model; the best one is the answer.
      double best_time = INFINITY;
      for (const auto& b : best)
        if (double time = pipette_time(t, b.grid, in.bandwidth, v).total; time < best_time) best_time = time, r.grid = b.grid;
    }
    r.predicted = pipette_time(t, r.grid, in.bandwidth, v).total;
    out.push_back(std::move(r));
  }
  sort_by_prediction(out);
  return out;
}

std::vector<Recommendation> amp(const ConfigureInput& in) {
  std::vector<Recommendation> out;
  for (const ConfigPoint& c : search_space(in.model, in.global_batch, in.nodes, in.gpus_per_node)) {
    const StageEstimate e = in.costs(c);
    Recommendation r{Method::Amp, c, megatron_grid(in.nodes, c.pp), true, 0, e.memory, e.memory <= in.memory_limit};
    AmpTerms t;
    t.t_f = e.t_f, t.m = c.micro_batches, t.pp = c.pp, t.dp = c.dp, t.d_out = c.d_out;
    t.s_pp = activation_bytes(c.micro_batch, in.model.seq_len, in.model.hidden);
    t.s_dp = 2.0 * e.stage_params;
    r.predicted = amp_time(t, r.grid, in.bandwidth);
    out.push_back(std::move(r));
  }
  sort_by_prediction(out);
  return out;
}

// The usual hand rule: tensor parallel across the whole node, then the fewest pipeline stages
// that fit, then data parallel over what is left; micro-batch 1 first. No time model.
std::vector<Recommendation> megatron(const ConfigureInput& in) {
  std::vector<Recommendation> out;
  for (const ConfigPoint& c : search_space(in.model, in.global_batch, in.nodes, in.gpus_per_node)) {
    const StageEstimate e = in.costs(c);
    out.push_back({Method::Megatron, c, megatron_grid(in.nodes, c.pp), true, std::nan(""), e.memory,
                   e.memory <= in.memory_limit});
  }
  std::stable_sort(out.begin(), out.end(), [](const Recommendation& a, const Recommendation& b) {
    if (a.fits != b.fits) return a.fits;
    if (a.config.tp != b.config.tp) return a.config.tp > b.config.tp;
    if (a.config.pp != b.config.pp) return a.config.pp < b.config.pp;
    return a.config.micro_batch < b.config.micro_batch;
  });
  return out;
}

}  // namespace

std::vector<Recommendation> configure(Method method, const ConfigureInput& in, const ConfigureOptions& opt) {
  if (in.bandwidth.nodes() != in.nodes)
    throw InternalError("configure: the bandwidth matrix has " + std::to_string(in.bandwidth.nodes()) +
                        " nodes, the cluster " + std::to_string(in.nodes));
  switch (method) {
    case Method::Pipette:
    case Method::PipetteCorrected:
    case Method::Random:
      return pipette_like(method, in, opt);
    case Method::Amp:
      return amp(in);
    case Method::Megatron:
      return megatron(in);
    case Method::Oracle:
      break;
  }
  throw InternalError("configure: the oracle needs a simulator, call oracle()");
}

std::vector<Recommendation> oracle(const ConfigureInput& in, const ConfigureOptions& opt, int limit,
                                   const SimulateFn& simulate) {
  auto cands = configure(Method::PipetteCorrected, in, opt);
  if (limit > 0 && static_cast<int>(cands.size()) > limit) cands.resize(limit);
  // Each configuration also under Megatron's rank order: the annealed placement optimises
  // Pipette's model, which is not the simulated truth (docs/pipette.md, findings).
  const size_t annealed = cands.size();
  for (size_t i = 0; i < annealed; ++i) {
    Recommendation d = cands[i];
    d.grid = megatron_grid(in.nodes, d.config.pp);
    d.default_order = true;
    if (!(d.grid == cands[i].grid)) cands.push_back(d);
  }
  const auto runs = simulate(cands);
  for (size_t i = 0; i < cands.size(); ++i) {
    cands[i].method = Method::Oracle;
    cands[i].predicted = runs[i].seconds;
  }
  // Failed runs (NaN) go last.
  std::stable_sort(cands.begin(), cands.end(), [](const Recommendation& a, const Recommendation& b) {
    if (std::isnan(a.predicted) != std::isnan(b.predicted)) return !std::isnan(a.predicted);
    return a.predicted < b.predicted;
  });
  return cands;
}

std::vector<int> recommendation_mapping(const Recommendation& r, int gpus_per_node) {
  if (r.default_order) return {};
  return grid_to_mapping(r.grid, r.config.tp, gpus_per_node);
}

}  // namespace trainsim::configurator
