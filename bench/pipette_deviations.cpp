// Measures the effect of each declared difference between trainsim's `pipette` / `amp` and the
// released code (docs/pipette.md, "Deviations"; docs/gen/pipette_deviations.py writes the
// table from this output). Not a timing benchmark: it lives here with the other programs that
// drive the library directly.
//
// Usage (from the repository root): bench_pipette_deviations SCENARIO.yaml...
// Prints one line per measured row: "<row key>\t<effect>".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "configurator/training_bridge.hpp"
#include "core/random.hpp"
#include "engine/isolated.hpp"

using namespace trainsim;
using namespace trainsim::configurator;

namespace {

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * x);
  return b;
}

struct Scenario6 {
  std::string name;
  Session session;
};

Recommendation pick(const std::vector<Recommendation>& recs) { return recs.empty() ? Recommendation{} : recs.front(); }

double simulate(const Scenario6& s, const Recommendation& r) {
  return child_simulator(s.session.scenario, s.session.job, 2)({r}, {})[0].seconds;
}

// Pipette's pick under `rules` (and search switches), simulated.
struct Pick {
  Recommendation rec;
  double simulated = 0;
};
Pick search_pick(const Scenario6& s, const PipetteSearch& search, int iterations = 20000) {
  ConfigureOptions o = s.session.options.configure;
  o.iterations = iterations;
  Pick p{pick(pipette_configure(s.session.input, o, search, Method::Pipette)), 0};
  p.simulated = simulate(s, p.rec);
  return p;
}

// How often the annealing reaches the exhaustive optimum of Pipette's objective on random
// 8-node matrices (pp 2 and 4, NIC-like spread 4-12 GB/s), for an uphill scale and a budget.
int optimum_rate(const UphillScale& uphill, int iterations, int* cases) {
  int found = 0;
  *cases = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed)
    for (int pp : {2, 4}) {
      Rng rng(seed);
      std::vector<std::vector<double>> m(8, std::vector<double>(8, 150e9));
      for (int a = 0; a < 8; ++a)
        for (int b = a + 1; b < 8; ++b) m[a][b] = m[b][a] = rng.uniform(4e9, 12e9);
      const NodeBandwidth bw(m);
      PipetteTerms t;
      t.t_f = 0.05, t.t_b = 0.1, t.m = 16, t.pp = pp, t.d_in = 2, t.d_out = 8 / pp, t.s_pp = 25e6, t.s_dp = 400e6;
      auto f = [&](const NodeGrid& g) { return annealing_objective(t, g, bw, PipetteRules::released()); };
      double best = INFINITY;
      for (const NodeGrid& g : all_placements(8, pp)) best = std::min(best, f(g));
      AnnealingOptions o;
      o.iterations = iterations, o.seed = seed, o.uphill = uphill;
      found += anneal(random_grid(8, pp, rng), f, o).best.front().objective <= best * (1 + 1e-12);
      ++*cases;
    }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Scenario6> all;
  for (int i = 1; i < argc; ++i) {
    SessionOptions o;
    Session s = open_session(argv[i], o);
    all.push_back({s.scenario.name, std::move(s)});
  }
  const PipetteSearch released{};
  // Flushed at once: the child processes of the simulations must not inherit unwritten output.
  auto line = [](const std::string& key, const std::string& text) {
    std::printf("%s\t%s\n", key.c_str(), text.c_str());
    std::fflush(stdout);
  };

  // C_dp_inner over every node (trainsim's former rule, now `pipette-corrected`'s) against the
  // first node of each pipeline, on each 8-node matrix with one node's diagonal halved.
  {
    double max_move = 0, max_loss = 0;
    for (const auto& s : all) {
      if (s.session.input.nodes != 8) continue;
      ConfigureInput in = s.session.input;
      std::vector<std::vector<double>> m(8, std::vector<double>(8));
      for (int a = 0; a < 8; ++a)
        for (int b = 0; b < 8; ++b) m[a][b] = in.bandwidth.at(a, b);
      m[2][2] /= 2;
      in.bandwidth = NodeBandwidth(m);
      PipetteSearch all_nodes;
      all_nodes.rules.all_inner_nodes = true;
      const auto a = pipette_configure(in, s.session.options.configure, released, Method::Pipette);
      const auto b = pipette_configure(in, s.session.options.configure, all_nodes, Method::Pipette);
      std::map<std::string, double> pa;
      for (const auto& r : a) pa[config_text(r.config)] = r.predicted;
      for (const auto& r : b) max_move = std::max(max_move, std::abs(r.predicted / pa[config_text(r.config)] - 1));
      // The all-nodes pick scored by Pipette's own formula.
      const PipetteTerms t = pipette_terms(in, b.front().config, PipetteRules::released());
      const double b_under_released = pipette_time(t, b.front().grid, in.bandwidth, PipetteRules::released()).total;
      max_loss = std::max(max_loss, b_under_released / a.front().predicted - 1);
    }
    line("dp_inner", "the all-nodes rule moves predictions by up to " + pct(max_move) +
                         "; its pick is up to " + pct(max_loss) + " slower by Pipette's own formula");
  }

  // 4 vs 2 bytes per element: the pick and its simulated time.
  {
    int changed = 0;
    double worst = 0;
    PipetteSearch two;
    two.rules.element_bytes = 2;
    for (const auto& s : all) {
      const Pick a = search_pick(s, released), b = search_pick(s, two);
      if (config_text(a.rec.config) != config_text(b.rec.config)) ++changed;
      worst = std::max(worst, std::abs(a.simulated / b.simulated - 1));
    }
    line("element_bytes", "with 2 bytes the pick's configuration changes in " + std::to_string(changed) + " of " +
                              std::to_string(all.size()) + " scenarios; simulated time of the pick differs by up to " +
                              pct(worst));
  }

  // Budget instead of a 10 s wall clock: the pick with 2,000 and 200,000 moves.
  {
    int same_small = 0, same_large = 0;
    double move_small = 0, move_large = 0;
    for (const auto& s : all) {
      const Pick mid = search_pick(s, released);
      const Pick small = search_pick(s, released, 2000), large = search_pick(s, released, 200000);
      same_small += config_text(small.rec.config) == config_text(mid.rec.config);
      same_large += config_text(large.rec.config) == config_text(mid.rec.config);
      move_small = std::max(move_small, std::abs(small.simulated / mid.simulated - 1));
      move_large = std::max(move_large, std::abs(large.simulated / mid.simulated - 1));
    }
    int cases = 0;
    const int rate = optimum_rate(pipette_uphill, 20000, &cases);
    const int rate_large = optimum_rate(pipette_uphill, 200000, &cases);
    line("budget", "pick's configuration the same with 200,000 moves in " + std::to_string(same_large) + " of " +
                       std::to_string(all.size()) + " scenarios (simulated time within " + pct(move_large) +
                       "), with 2,000 in " + std::to_string(same_small) + " (within " + pct(move_small) +
                       "); exhaustive optimum reached in " + std::to_string(rate) + " of " + std::to_string(cases) +
                       " 8-node cases with 20,000 moves, " + std::to_string(rate_large) + " with 200,000");
  }

  // The uphill scale: int (Pipette) against floor (trainsim's former rule).
  {
    int cases = 0;
    const int with_int = optimum_rate(pipette_uphill, 20000, &cases);
    const int with_floor = optimum_rate(
        [](double delta, double) {
          const double ms = delta * 1e3;
          return ms / std::pow(10.0, std::floor(std::log10(ms)) + 1);
        },
        20000, &cases);
    line("uphill", "exhaustive optimum reached in " + std::to_string(with_int) + " of " + std::to_string(cases) +
                       " 8-node cases with int, " + std::to_string(with_floor) + " with floor");
  }

  // Trials: Pipette launches its 3 best and 3 worst mappings; trainsim takes the model's best.
  {
    double gain = 0;
    int better = 0;
    for (const auto& s : all) {
      const auto recs = configure(Method::Pipette, s.session.input, s.session.options.configure);
      const Recommendation chosen = pick(recs);
      const auto kept = pipette_anneal(s.session.input, s.session.options.configure, PipetteRules::released(), chosen.config);
      std::vector<Recommendation> trials;
      for (const auto* list : {&kept.best, &kept.worst})
        for (const auto& k : *list) {
          Recommendation r = chosen;
          r.grid = k.grid;
          trials.push_back(r);
        }
      const auto runs = child_simulator(s.session.scenario, s.session.job, 2)(trials, {});
      double fastest = INFINITY;
      for (const auto& run : runs) fastest = std::min(fastest, run.seconds);
      const double model = simulate(s, chosen);
      if (fastest < model * (1 - 1e-9)) ++better;
      gain = std::max(gain, model / fastest - 1);
    }
    line("trials", "the fastest of the 6 trial mappings beats the model's choice in " + std::to_string(better) +
                       " of " + std::to_string(all.size()) + " scenarios, by up to " + pct(gain));
  }

  // The memory filter off (the released default): out-of-memory picks and top 5.
  {
    int oom_picks = 0, oom_top = 0;
    for (const auto& s : all) {
      PipetteSearch off;
      off.memory_filter = false;
      const auto recs = pipette_configure(s.session.input, s.session.options.configure, off, Method::Pipette);
      for (size_t i = 0; i < recs.size() && i < 5; ++i) {
        oom_top += !recs[i].fits;
        if (i == 0) oom_picks += !recs[i].fits;
      }
    }
    line("memory_filter", "without it the pick is out of memory in " + std::to_string(oom_picks) + " of " +
                              std::to_string(all.size()) + " scenarios, and " + std::to_string(oom_top) + " of the " +
                              std::to_string(5 * all.size()) + " top-5 entries are");
  }

  // AMP's data-parallel term over the ring's last link against its slowest link.
  {
    double move = 0;
    int changed = 0;
    for (const auto& s : all) {
      const auto a = configure(Method::Amp, s.session.input, s.session.options.configure);
      const auto b = configure(Method::AmpCorrected, s.session.input, s.session.options.configure);
      std::map<std::string, double> pa;
      for (const auto& r : a) pa[config_text(r.config)] = r.predicted;
      for (const auto& r : b) move = std::max(move, std::abs(r.predicted / pa[config_text(r.config)] - 1));
      changed += config_text(a.front().config) != config_text(b.front().config);
    }
    line("amp_last_link", "the slowest link instead moves AMP's predictions by up to " + pct(move) +
                              "; the pick's configuration changes in " + std::to_string(changed) + " of " +
                              std::to_string(all.size()) + " scenarios");
  }

  // Profile rounds: disjoint pairs at once (circle method) against one pair at a time.
  {
    double diff = 0;
    std::map<std::string, bool> seen;
    for (const auto& s : all) {
      const auto& platform = s.session.scenario.platform;
      if (seen[platform.name]) continue;
      seen[platform.name] = true;
      ProfileProcedure alone;
      alone.parallel_rounds = false;
      const NodeBandwidth a = profile_bandwidth(platform, s.session.scenario.seed);
      const NodeBandwidth b = profile_bandwidth(platform, s.session.scenario.seed, alone);
      for (int i = 0; i < a.nodes(); ++i)
        for (int j = 0; j < a.nodes(); ++j) diff = std::max(diff, std::abs(a.at(i, j) / b.at(i, j) - 1));
    }
    line("profile_rounds", "largest difference of a matrix entry, pairs in rounds vs one pair at a time, over the " +
                               std::to_string(seen.size()) + " platforms: " + pct(diff));
  }
  // The oracle's budget: on a 6-node cut of the spread scenario (else the first), the budgeted
  // search of its pick's configuration against every placement of it.
  if (!all.empty()) {
    const Scenario6* cut = &all.front();
    for (const auto& s : all)
      if (s.name.find("spread") != std::string::npos) cut = &s;
    Scenario sc = cut->session.scenario;
    sc.platform.clusters[0].nodes = 6;
    TrainingSpec job = sc.job.as<TrainingSpec>();
    job.plan.global_batch = 96;
    sc.job = job;
    const ConfigureInput in = configure_input(sc, job, profile_bandwidth(sc.platform, sc.seed), 0);
    std::vector<Recommendation> proposals;
    for (Method m : model_methods()) {
      const auto recs = configure(m, in, ConfigureOptions{});
      proposals.insert(proposals.end(), recs.begin(), recs.end());
    }
    SimulationCache cache(child_simulator(sc, job, 2));
    OracleOptions whole_nodes;  // every permutation of its pick is enumerable on 6 nodes only
    whole_nodes.stages = Stages::WholeNodes;
    const OracleResult budgeted = oracle(in, whole_nodes, proposals, cache);
    const Recommendation best = budgeted.ranked.front();
    std::vector<Recommendation> every;
    for (const NodeGrid& g : all_placements(6, best.config.pp)) {
      Recommendation r = best;
      r.grid = g;
      every.push_back(r);
    }
    cache.ensure(every);
    double optimum = INFINITY;
    for (const auto& r : every) optimum = std::min(optimum, cache.at(r).seconds);
    line("oracle_budget", "on 6 nodes of " + cut->name + " (global batch 96), the default budget's pick among whole-node stages (" +
                              config_text(best.config) + ") is " + pct(best.predicted / optimum - 1) +
                              " from the best of all " + std::to_string(every.size()) + " placements of its configuration");
  }
  return 0;
}
