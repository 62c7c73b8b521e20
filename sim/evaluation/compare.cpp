#include "evaluation/compare.hpp"

#include <algorithm>
#include <cmath>

#include "configurator/node_grid.hpp"
#include "configurator/search_space.hpp"

namespace trainsim::evaluation {

using namespace trainsim::configurator;

Recommendation in_default_order(const Recommendation& r) {
  Recommendation d = r;
  d.grid = megatron_grid(r.grid.pp * r.grid.rows, r.grid.pp, r.grid.units_per_node);
  return d;
}

std::vector<Recommendation> runs_to_compare(const Recommendation& megatron_pick, const std::vector<Method>& methods,
                                            const RankingOf& ranking_of, int top) {
  std::vector<Recommendation> todo{megatron_pick};
  for (Method m : methods) {
    const auto recs = ranking_of(m);
    for (size_t i = 0; i < recs.size() && static_cast<int>(i) < top; ++i) todo.push_back(recs[i]);
    if (!recs.empty()) todo.push_back(in_default_order(recs.front()));
  }
  return todo;
}

Comparison compare_methods(const std::vector<Method>& methods, const RankingOf& ranking_of, const OracleResult& oracle,
                           const SimulationCache& cache, const Recommendation& megatron_pick, int top, uint64_t seed) {
  Comparison out;
  out.megatron_s = cache.at(megatron_pick).seconds;
  out.candidates = output::Table::with_columns(
      "candidates", {"method", "config", "mapping"},
      {"predicted_s", "simulated_s", "is_pick", "oom", "rank_predicted", "rank_simulated", "memory_bytes", "fits_estimate"});
  out.methods_table = output::Table::with_columns(
      "methods", {"method", "config", "mapping"},
      {"predicted_s", "simulated_s", "error", "speedup_vs_megatron", "spearman", "spearman_lo", "spearman_hi", "kendall",
       "kendall_lo", "kendall_hi", "space_configs", "oom", "simulated_default_order_s", "mapping_gain", "candidates"});
  out.space = output::Table::with_columns("space", {"method", "config", "mapping", "search"},
                                          {"predicted_s", "simulated_s", "memory_bytes", "fits_estimate", "placements"});
  for (Method m : methods) {
    const std::string name = method_name(m);
    const auto recs = ranking_of(m);
    MethodComparison mc;
    mc.method = m;
    // The whole feasible space as the method ranks it.
    std::vector<double> space_pred, space_sim;
    for (const auto& r : recs) {
      if (!r.fits) continue;
      const SimulatedRun& run = cache.at(r);
      std::string search = "-";
      double placements = 1;
      if (m == Method::Oracle)
        for (const auto& s : oracle.searches)
          if (s.config == r.config) search = search_kind_name(s.kind), placements = s.evaluated;
      out.space.add_row({name, config_text(r.config), mapping_text(r), search},
                        {r.predicted, run.seconds, r.memory, 1, placements});
      space_pred.push_back(r.predicted);
      space_sim.push_back(run.seconds);
    }
    if (m == Method::Oracle)  // out-of-memory configurations are listed, not dropped
      for (const auto& s : oracle.searches)
        if (s.kind == SearchKind::OutOfMemory)
          out.space.add_row({name, config_text(s.config), "-", search_kind_name(s.kind)}, {NAN, NAN, s.memory, 0, 0});
    // The oracle ranks by simulated time: its agreement with itself says nothing.
    mc.agreement = m == Method::Oracle ? RankAgreement{static_cast<int>(space_sim.size()), NAN, NAN, NAN, NAN, NAN, NAN}
                                       : rank_agreement(space_pred, space_sim, seed);
    // The top K.
    std::vector<double> sim;
    for (size_t i = 0; i < recs.size() && static_cast<int>(i) < top; ++i) sim.push_back(cache.at(recs[i]).seconds);
    const auto sim_rank = average_ranks(sim);
    for (size_t i = 0; i < sim.size(); ++i) {
      const auto& r = recs[i];
      const bool oom = cache.at(r).oom;
      mc.top.push_back({r, sim[i], sim_rank[i], oom});
      out.candidates.add_row({name, config_text(r.config), mapping_text(r)},
                             {r.predicted, sim[i], i == 0 ? 1.0 : 0.0, oom ? 1.0 : 0.0, double(i + 1), sim_rank[i],
                              r.memory, r.fits ? 1.0 : 0.0});
    }
    mc.error = mc.speedup_vs_megatron = mc.default_order_s = mc.mapping_gain = NAN;
    if (!mc.top.empty()) {
      const Candidate& pick = mc.top.front();
      const double p = pick.rec.predicted, s = pick.simulated;
      mc.error = (p - s) / s;
      mc.speedup_vs_megatron = out.megatron_s / s;
      mc.default_order_s = cache.at(in_default_order(pick.rec)).seconds;
      mc.mapping_gain = mc.default_order_s / s;
      const auto& a = mc.agreement;
      out.methods_table.add_row({name, config_text(pick.rec.config), mapping_text(pick.rec)},
                                {p, s, mc.error, mc.speedup_vs_megatron, a.spearman, a.spearman_lo, a.spearman_hi,
                                 a.kendall, a.kendall_lo, a.kendall_hi, double(a.n), pick.oom ? 1.0 : 0.0,
                                 mc.default_order_s, mc.mapping_gain, double(mc.top.size())});
    }
    out.methods.push_back(std::move(mc));
  }
  return out;
}

}  // namespace trainsim::evaluation
