#include "configurator/oracle.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "configurator/annealing.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace trainsim::configurator {

void SimulationCache::ensure(const std::vector<Recommendation>& recs, const Progress& progress) {
  std::vector<Recommendation> todo;
  std::set<std::string> queued;
  for (const auto& r : recs) {
    const std::string key = placement_key(r);
    if (!runs_.count(key) && queued.insert(key).second) todo.push_back(r);
  }
  const auto runs = simulate_(todo, progress);
  if (runs.size() != todo.size()) throw InternalError("SimulationCache: the simulator returned a short batch");
  for (size_t i = 0; i < todo.size(); ++i) runs_[placement_key(todo[i])] = runs[i];
}

void SimulationCache::ensure_chains(const std::vector<Recommendation>& recs, const std::vector<size_t>& chains,
                                    const Progress& progress) {
  if (!chains_) return ensure(recs, progress);
  if (chains.size() != recs.size()) throw InternalError("SimulationCache: one chain per placement expected");
  // No deduplication across chains: a placement two walks propose is each one's run (a shard
  // owning either simulates it).
  std::vector<Recommendation> todo;
  std::vector<size_t> todo_chains;
  for (size_t i = 0; i < recs.size(); ++i)
    if (!runs_.count(placement_key(recs[i]))) todo.push_back(recs[i]), todo_chains.push_back(chains[i]);
  if (todo.empty()) return;
  const auto runs = chains_(todo, todo_chains, progress);
  if (runs.size() != todo.size()) throw InternalError("SimulationCache: the simulator returned a short batch");
  for (size_t i = 0; i < todo.size(); ++i)
    if (runs[i]) runs_[placement_key(todo[i])] = *runs[i];
}

const SimulatedRun* SimulationCache::find(const Recommendation& r) const {
  auto it = runs_.find(placement_key(r));
  return it == runs_.end() ? nullptr : &it->second;
}

const SimulatedRun& SimulationCache::at(const Recommendation& r) const {
  if (const auto* run = find(r)) return *run;
  throw InternalError("SimulationCache: '" + placement_key(r) + "' was never simulated");
}

std::string search_kind_name(SearchKind k) {
  switch (k) {
    case SearchKind::Proposals: return "proposals";
    case SearchKind::Exhaustive: return "exhaustive";
    case SearchKind::Annealing: return "annealing";
    case SearchKind::OutOfMemory: return "out of memory";
  }
  return "?";
}

namespace {

constexpr long long kClassesCap = 1000000000000000LL;  // 1e15: "at least" beyond (19 nodes and more)

// A failed run (NaN) never wins.
double seconds_or_inf(const SimulatedRun& r) { return std::isnan(r.seconds) ? INFINITY : r.seconds; }

Recommendation placed(const ConfigSearch& s, const NodeGrid& grid, const std::vector<int>& layers) {
  Recommendation r = s.best;
  r.grid = grid;
  r.layers_per_stage = layers;
  return r;
}

// The oracle's walk: relative uphill steps, T from 1% to 0.01% over its moves.
AnnealingOptions walk_options(int moves, uint64_t seed) {
  AnnealingOptions o;
  o.iterations = moves;
  o.seed = seed;
  o.t0 = 0.01;
  o.cooling = moves > 0 ? std::pow(0.01, 1.0 / moves) : 1;
  o.keep = 1;
  o.uphill = relative_uphill;
  return o;
}

}  // namespace

OracleResult oracle(const ConfigureInput& in, const OracleOptions& opt, const std::vector<Recommendation>& proposals,
                    SimulationCache& cache, const Progress& progress) {
  OracleResult out;
  // Seeds: Megatron's order for every fitting configuration, and every proposal for it.
  std::vector<std::vector<Recommendation>> seeds;
  for (const ConfigPoint& c : runnable_space(in, opt.stages)) {
    ConfigSearch s;
    s.config = c;
    s.memory = in.costs(c, {}).memory;
    s.best.method = Method::Oracle, s.best.config = c, s.best.grid = default_grid(c, in.nodes);
    s.best.memory = s.memory, s.best.fits = s.memory <= in.memory_limit, s.best.predicted = std::nan("");
    std::vector<Recommendation> mine{s.best};
    if (!s.best.fits) s.kind = SearchKind::OutOfMemory;
    for (const auto& p : proposals) {
      if (!(p.config == c)) continue;
      Recommendation r = placed(s, p.grid, p.layers_per_stage);
      r.memory = p.memory, r.fits = p.fits;
      if (r.fits) mine.push_back(r);
    }
    if (s.kind == SearchKind::OutOfMemory) mine.clear();
    out.searches.push_back(s);
    seeds.push_back(std::move(mine));
  }
  std::vector<Recommendation> all;
  for (const auto& v : seeds) all.insert(all.end(), v.begin(), v.end());
  cache.ensure(all, progress);

  std::vector<std::set<std::string>> evaluated(out.searches.size());
  auto consider = [&](size_t i, const Recommendation& r) {
    evaluated[i].insert(placement_key(r));
    const double t = seconds_or_inf(cache.at(r));
    if (std::isnan(out.searches[i].best.predicted) || t < out.searches[i].best.predicted) {
      out.searches[i].best = r;
      out.searches[i].best.predicted = t;
    }
  };
  double best_overall = INFINITY;
  for (size_t i = 0; i < seeds.size(); ++i) {
    for (const auto& r : seeds[i]) consider(i, r);
    if (!seeds[i].empty()) best_overall = std::min(best_overall, out.searches[i].best.predicted);
  }

  // Placement search of the configurations within the margin, best first.
  std::vector<size_t> searched;
  for (size_t i = 0; i < out.searches.size(); ++i)
    if (!seeds[i].empty() && out.searches[i].best.predicted <= best_overall * (1 + opt.margin)) searched.push_back(i);
  std::stable_sort(searched.begin(), searched.end(), [&](size_t a, size_t b) {
    return out.searches[a].best.predicted < out.searches[b].best.predicted;
  });
  std::vector<Recommendation> exhaustive;
  struct Walk {
    size_t search;
    std::vector<int> layers;
    AnnealingChain chain;
  };
  // A configuration searched by annealing: its second walk starts from `second`.
  struct Annealed {
    size_t search;
    std::vector<int> layers;
    Rng rng;
    Recommendation second;
  };
  std::vector<Annealed> annealed;
  for (size_t i : searched) {
    ConfigSearch& s = out.searches[i];
    const int units = in.nodes * s.config.units_per_node;
    s.classes = placement_classes(units, s.config.pp, kClassesCap);
    const std::vector<int> layers = s.best.layers_per_stage;
    if (s.classes <= opt.budget) {
      s.kind = SearchKind::Exhaustive;
      for (const NodeGrid& g : all_placements(units, s.config.pp, s.config.units_per_node)) exhaustive.push_back(placed(s, g, layers));
      continue;
    }
    s.kind = SearchKind::Annealing;
    // Two walks of half the budget: from the best seed and from the best other seed grid (or a
    // seeded random grid), so that one poor basin does not decide.
    Rng rng = Rng(opt.seed).fork("oracle " + config_text(s.config));
    NodeGrid second = random_grid(units, s.config.pp, rng, s.config.units_per_node);
    double second_s = INFINITY;
    for (const auto& r : seeds[i])
      if (placement_key(r) != placement_key(s.best) && seconds_or_inf(cache.at(r)) < second_s)
        second_s = seconds_or_inf(cache.at(r)), second = r.grid;
    annealed.push_back({i, layers, rng, placed(s, second, layers)});
  }
  size_t total = exhaustive.size() + annealed.size() * static_cast<size_t>(opt.budget), done = 0;
  // The exhaustive searches and the second walks' starts: one batch (their lists follow from the
  // seeds' results alone).
  std::vector<Recommendation> starts = exhaustive;
  for (const auto& a : annealed) starts.push_back(a.second);
  cache.ensure(starts);
  std::vector<Walk> walks;
  for (auto& a : annealed) {
    consider(a.search, a.second);
    const ConfigSearch& s = out.searches[a.search];
    const int half = opt.budget / 2;
    walks.push_back({a.search, a.layers, AnnealingChain(s.best.grid, s.best.predicted, walk_options(half, a.rng.next_u64()))});
    walks.push_back({a.search, a.layers,
                     AnnealingChain(a.second.grid, seconds_or_inf(cache.at(a.second)),
                                    walk_options(opt.budget - half, a.rng.next_u64()))});
  }
  if (progress && total) progress(0, total);
  if (!exhaustive.empty()) {
    for (const auto& r : exhaustive)
      for (size_t i : searched)
        if (out.searches[i].config == r.config) consider(i, r);
    done += exhaustive.size();
    if (progress) progress(done, total);
  }
  // The walks advance in lock step, one move each per round, so that a round's candidates are
  // simulated as one parallel batch; the result does not depend on the number of children. Each
  // walk is a chain of its own (SimulationCache::ensure_chains): one left to another shard stops.
  std::vector<bool> elsewhere(walks.size(), false);
  auto moving_on = [&](size_t k) { return walks[k].chain.running() && !elsewhere[k]; };
  for (;;) {
    std::vector<Recommendation> batch;
    std::vector<size_t> moving;
    for (size_t k = 0; k < walks.size(); ++k) {
      if (!moving_on(k)) continue;
      batch.push_back(placed(out.searches[walks[k].search], walks[k].chain.propose(), walks[k].layers));
      moving.push_back(k);
    }
    if (batch.empty()) break;
    cache.ensure_chains(batch, moving);
    for (size_t b = 0; b < batch.size(); ++b) {
      Walk& w = walks[moving[b]];
      const SimulatedRun* run = cache.find(batch[b]);
      if (!run) {
        elsewhere[moving[b]] = true;
        continue;
      }
      consider(w.search, batch[b]);
      w.chain.feedback(seconds_or_inf(*run));
    }
    done += batch.size();
    if (progress) progress(done, total);
  }

  for (size_t i = 0; i < out.searches.size(); ++i) {
    out.searches[i].evaluated = static_cast<int>(evaluated[i].size());
    if (!seeds[i].empty()) out.ranked.push_back(out.searches[i].best);
  }
  std::stable_sort(out.ranked.begin(), out.ranked.end(), [](const Recommendation& a, const Recommendation& b) {
    return a.predicted < b.predicted;
  });
  for (auto& r : out.ranked)
    if (std::isinf(r.predicted)) r.predicted = std::nan("");  // failed runs, last
  return out;
}

}  // namespace trainsim::configurator
