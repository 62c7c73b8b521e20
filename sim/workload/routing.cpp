#include "workload/routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/sampling.hpp"

namespace trainsim::workload {

namespace {

std::string str(long long v) { return std::to_string(v); }

void check(bool ok, const char* key, const std::string& what) {
  if (!ok) throw InputError({}, key, what);
}

// Inclusion probabilities q_i = min(cap_i, lambda w_i) summing to `target` (water-filling over
// the uncapped entries); the caps themselves when they sum to `target` or less.
std::vector<double> capped_inclusion(const std::vector<double>& w, const std::vector<double>& cap, double target) {
  const size_t n = w.size();
  double cap_sum = 0;
  for (double c : cap) cap_sum += c;
  if (cap_sum <= target) return cap;
  std::vector<bool> capped(n, false);
  for (;;) {
    double fixed = 0, free_weight = 0;
    for (size_t i = 0; i < n; ++i) {
      if (capped[i]) fixed += cap[i];
      else free_weight += w[i];
    }
    const double lambda = (target - fixed) / free_weight;
    bool changed = false;
    for (size_t i = 0; i < n; ++i)
      if (!capped[i] && lambda * w[i] > cap[i]) capped[i] = changed = true;
    if (!changed) {
      std::vector<double> q(n);
      for (size_t i = 0; i < n; ++i) q[i] = capped[i] ? cap[i] : lambda * w[i];
      return q;
    }
  }
}

// Binomial(n_i, q_i) per entry, then the total made exactly `rows` by adding or removing rows in
// proportion to the binomial variances n_i q_i (1 - q_i) (systematic sampling), within 0..n_i.
// The caller sets q_i = the expected rows of entry i / n_i, so the expected total is `rows`
// already; the correction only removes the sampling noise of the total. Requires
// rows <= sum n_i.
std::vector<int64_t> binomials_with_total(Rng& rng, const std::vector<int64_t>& n, const std::vector<double>& q,
                                          int64_t rows) {
  const size_t m = n.size();
  std::vector<int64_t> c(m, 0);
  if (rows <= 0) return c;
  int64_t total = 0;
  // Entries with the same (n, q) (all of them under uniform routing) share one sampler's setup.
  std::optional<Binomial> draw;
  int64_t drawn_n = -1;
  double drawn_q = -1;
  for (size_t i = 0; i < m; ++i) {
    if (n[i] != drawn_n || q[i] != drawn_q) draw.emplace(drawn_n = n[i], drawn_q = q[i]);
    total += (c[i] = (*draw)(rng));
  }
  std::vector<double> adjust(m);
  while (total != rows) {
    const bool add = total < rows;
    double weight_sum = 0;
    for (size_t i = 0; i < m; ++i) {
      const bool room = add ? c[i] < n[i] : c[i] > 0;
      adjust[i] = room ? std::max(double(n[i]) * q[i] * (1 - q[i]), 1e-12) : 0.0;
      weight_sum += adjust[i];
    }
    if (!(weight_sum > 0)) throw InternalError("routing: rows do not fit the tokens");
    const std::vector<int64_t> d = systematic_counts(rng, add ? rows - total : total - rows, adjust);
    for (size_t i = 0; i < m; ++i) {
      const int64_t step = add ? std::min(d[i], n[i] - c[i]) : std::min(d[i], c[i]);
      c[i] += add ? step : -step;
      total += add ? step : -step;
    }
  }
  return c;
}

// `rows` rows of `tokens` tokens over entries of `slots[i]` choices each (a rank holds that many
// experts; a token picks an expert at most once): entry i's expected rows per token is
// min(slots_i, lambda w_i) (water-filling, summing to rows / tokens), drawn as
// Binomial(tokens x slots_i, that / slots_i) with the exact total.
std::vector<int64_t> spread_rows(Rng& rng, int64_t tokens, int64_t rows, const std::vector<double>& w,
                                 const std::vector<double>& slots) {
  if (rows <= 0 || tokens <= 0) return std::vector<int64_t>(w.size(), 0);
  const double sum = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<double> norm(w.size());
  for (size_t i = 0; i < w.size(); ++i) norm[i] = w[i] / sum;
  const std::vector<double> per_token = capped_inclusion(norm, slots, double(rows) / double(tokens));
  std::vector<int64_t> n(w.size());
  std::vector<double> q(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    n[i] = tokens * int64_t(slots[i]);
    q[i] = slots[i] > 0 ? per_token[i] / slots[i] : 0.0;
  }
  return binomials_with_total(rng, n, q, rows);
}

// A node's rows cannot exceed what its visiting tokens can send there (one row per expert, at
// most k per token): the excess moves to nodes with room, in proportion to their room.
void fit_node_rows(std::vector<int64_t>& rows, const std::vector<int64_t>& visits, const std::vector<int>& experts, int k) {
  const size_t n = rows.size();
  std::vector<int64_t> room(n);
  int64_t excess = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t most = visits[i] * std::min(k, experts[i]);
    if (rows[i] > most) excess += rows[i] - most, rows[i] = most;
    room[i] = most - rows[i];
  }
  while (excess > 0) {
    const int64_t room_sum = std::accumulate(room.begin(), room.end(), int64_t(0));
    if (room_sum == 0) throw InternalError("routing: a source's rows do not fit its node visits");
    int64_t moved = 0;
    for (size_t i = 0; i < n && moved < excess; ++i) {
      const int64_t share = std::min(room[i], (excess * room[i] + room_sum - 1) / room_sum);  // rounded up: progress
      const int64_t step = std::min(share, excess - moved);
      rows[i] += step, room[i] -= step, moved += step;
    }
    excess -= moved;
  }
}

// Expected distinct tokens among `rows` of the T k (token, choice) slots, the rows falling on
// slots uniformly without replacement: T (1 - prod_{j<k} (Tk - rows - j) / (Tk - j)), rounded,
// within [min(rows, 1), min(rows, T)].
int64_t distinct_tokens(int64_t T, int k, int64_t rows) {
  if (rows <= 0 || T <= 0) return 0;
  const double slots = double(T) * k;
  double none = 1;
  for (int j = 0; j < k; ++j) none *= std::max(0.0, (slots - double(rows) - j) / (slots - j));
  const auto u = int64_t(std::llround(double(T) * (1 - none)));
  return std::clamp<int64_t>(u, 1, std::min(rows, T));
}

// The layer's routing geometry shared by all sources of a draw.
struct Layer {
  std::vector<double> p;          // expert popularity
  std::vector<double> rank_p;     // rank popularity (sum over its experts)
  std::vector<double> rank_slots; // experts per rank
  std::vector<double> P;          // node popularity
  std::vector<int> experts_on_node;
  std::vector<std::vector<int>> node_ranks;  // the ranks of each node
  std::vector<double> node_cap;   // node-limited: visit caps
  std::vector<double> node_q;     // node-limited: visit probabilities
  double visits_per_token = 0;    // node-limited: their sum
};

}  // namespace

std::vector<double> node_inclusion(const std::vector<double>& P, int k, int max_nodes) {
  std::vector<double> cap(P.size());
  for (size_t i = 0; i < P.size(); ++i) cap[i] = std::min(1.0, k * P[i]);
  return capped_inclusion(P, cap, max_nodes);
}

int ExpertPlacement::nodes() const {
  return node_of_rank.empty() ? 0 : *std::max_element(node_of_rank.begin(), node_of_rank.end()) + 1;
}

void validate(const RoutingSpec& s) {
  check(s.distribution != RoutingDistribution::Zipf || (s.zipf_exponent > 0 && s.zipf_exponent <= 10), "routing.exponent",
        "Zipf exponent must be in (0, 10], got " + std::to_string(s.zipf_exponent));
  check(s.distribution != RoutingDistribution::Dirichlet ||
            (s.dirichlet_concentration >= 1e-3 && s.dirichlet_concentration <= 1e6),
        "routing.concentration",
        "Dirichlet concentration must be in [0.001, 1e6], got " + std::to_string(s.dirichlet_concentration));
  check(s.max_nodes >= 0, "routing.max_nodes", "must not be negative (0: no limit)");
}

std::vector<double> expert_popularity(const RoutingSpec& spec, int experts, uint64_t seed, int layer) {
  std::vector<double> p(experts, 1.0 / experts);
  if (spec.distribution == RoutingDistribution::Uniform) return p;
  Rng rng = keyed_rng(seed, "routing-popularity", {uint64_t(layer)});
  if (spec.distribution == RoutingDistribution::Dirichlet) {
    p = dirichlet(rng, experts, spec.dirichlet_concentration);
    // Small concentrations underflow some weights to 0; a floor of 1e-12 / E keeps every expert
    // reachable (so k distinct experts always exist) without visibly changing the draw.
    double sum = 0;
    for (double& x : p) sum += (x = std::max(x, 1e-12 / experts));
    for (double& x : p) x /= sum;
    return p;
  }
  // Zipf: a seeded permutation decides which expert is the i-th most popular in this layer.
  std::vector<int> order(experts);
  std::iota(order.begin(), order.end(), 0);
  for (int i = experts - 1; i > 0; --i) std::swap(order[i], order[rng.below(uint64_t(i) + 1)]);
  double sum = 0;
  for (int i = 0; i < experts; ++i) sum += (p[order[i]] = std::pow(double(i + 1), -spec.zipf_exponent));
  for (double& x : p) x /= sum;
  return p;
}

RoutingSample route_tokens(const RoutingSpec& spec, const MoeSpec& moe, const ExpertPlacement& pl,
                           const std::vector<int64_t>& tokens, uint64_t seed, const RoutingKey& key) {
  validate(spec);
  const int E = moe.experts, k = moe.top_k;
  check(E > 0 && k > 0 && k <= E, "top_k", "needs 1 <= top_k <= experts");
  check(pl.experts == E, "experts", "placement has " + str(pl.experts) + " experts, the model " + str(E));
  check(pl.ep > 0 && E % pl.ep == 0, "ep", "expert-parallel size " + str(pl.ep) + " must divide the " + str(E) + " experts");
  check(int(pl.node_of_rank.size()) == pl.ep, "ep", "placement names the node of " + str(pl.node_of_rank.size()) +
                                                        " ranks, not " + str(pl.ep));
  check(int(tokens.size()) == pl.ep, "tokens", "one token count per EP rank");
  for (int n : pl.node_of_rank) check(n >= 0, "node_of_rank", "node indices start at 0");
  for (int64_t T : tokens) check(T >= 0, "tokens", "must not be negative");
  const int N = pl.nodes(), ep = pl.ep, G = pl.experts_per_rank();

  Layer L;
  L.p = expert_popularity(spec, E, seed, key.layer);
  L.rank_p.assign(ep, 0.0);
  L.rank_slots.assign(ep, double(G));
  L.P.assign(N, 0.0);
  L.experts_on_node.assign(N, 0);
  L.node_ranks.assign(N, {});
  for (int e = 0; e < E; ++e) L.rank_p[pl.rank_of_expert(e)] += L.p[e];
  for (int r = 0; r < ep; ++r) {
    const int n = pl.node_of_rank[r];
    L.P[n] += L.rank_p[r];
    L.experts_on_node[n] += G;
    L.node_ranks[n].push_back(r);
  }
  const bool limited = spec.max_nodes > 0 && spec.max_nodes < k && spec.max_nodes < N;
  if (limited) {
    const int fewest = *std::min_element(L.experts_on_node.begin(), L.experts_on_node.end());
    check(int64_t(spec.max_nodes) * fewest >= k, "routing.max_nodes",
          str(spec.max_nodes) + " nodes of " + str(fewest) + " experts cannot hold a token's " + str(k) +
              " experts; at least " + str((k + fewest - 1) / fewest) + " nodes are needed");
    // Visits capped at min(1, k P_n) while every node can take a token's k rows; else at 1, so
    // the visits always have room for k rows per token (docs/moe.md).
    L.node_cap.resize(N);
    for (int n = 0; n < N; ++n) L.node_cap[n] = fewest >= k ? std::min(1.0, k * L.P[n]) : 1.0;
    L.node_q = capped_inclusion(L.P, L.node_cap, spec.max_nodes);
    L.visits_per_token = std::accumulate(L.node_q.begin(), L.node_q.end(), 0.0);
  }

  RoutingSample s;
  s.ep = ep, s.experts = E, s.nodes = N;
  s.tokens = tokens;
  s.node_of_rank = pl.node_of_rank;
  s.rank_rows.assign(size_t(ep) * ep, 0);
  s.node_tokens.assign(size_t(ep) * N, 0);
  std::vector<int64_t> node_rows(N), visits(N), visit_trials(N);
  std::vector<double> extra_weight(N);
  std::vector<Rng> source_rng;
  for (int src = 0; src < ep; ++src) {
    const int64_t T = tokens[src];
    source_rng.push_back(keyed_rng(seed, "routing", {uint64_t(key.iteration), uint64_t(key.layer),
                                                     uint64_t(key.micro_batch), uint64_t(key.group), uint64_t(src)}));
    Rng& rng = source_rng.back();
    int64_t* to_rank = &s.rank_rows[size_t(src) * ep];
    std::fill(node_rows.begin(), node_rows.end(), 0);
    if (!limited) {
      // k distinct experts per token, by the layer's popularity: rows per rank.
      const std::vector<int64_t> c = spread_rows(rng, T, T * k, L.rank_p, L.rank_slots);
      std::copy(c.begin(), c.end(), to_rank);
      for (int r = 0; r < ep; ++r) node_rows[pl.node_of_rank[r]] += c[r];
      for (int n = 0; n < N; ++n) visits[n] = distinct_tokens(T, k, node_rows[n]);
    } else {
      // Node-limited: the nodes each token visits (visits_per_token <= max_nodes of them), one
      // row on each, the other rows spread so every node keeps its share k T P_n on average,
      // then each node's rows over its ranks, at most one per visiting token and expert.
      std::fill(visit_trials.begin(), visit_trials.end(), T);
      visits = binomials_with_total(rng, visit_trials, L.node_q, std::llround(double(T) * L.visits_per_token));
      const int64_t visited = std::accumulate(visits.begin(), visits.end(), int64_t(0));
      double extra_sum = 0;
      for (int n = 0; n < N; ++n)
        extra_sum += (extra_weight[n] = std::max(0.0, k * L.P[n] - double(visits[n]) / double(std::max<int64_t>(T, 1))));
      const std::vector<int64_t> extra = multinomial(rng, T * k - visited, extra_sum > 0 ? extra_weight : L.P);
      for (int n = 0; n < N; ++n) node_rows[n] = visits[n] + extra[n];
      fit_node_rows(node_rows, visits, L.experts_on_node, k);
      for (int n = 0; n < N; ++n) {
        std::vector<double> w, slots;
        for (int r : L.node_ranks[n]) w.push_back(L.rank_p[r]), slots.push_back(double(G));
        const std::vector<int64_t> c = spread_rows(rng, visits[n], node_rows[n], w, slots);
        for (size_t i = 0; i < c.size(); ++i) to_rank[L.node_ranks[n][i]] = c[i];
      }
    }
    std::copy(visits.begin(), visits.end(), &s.node_tokens[size_t(src) * N]);
    s.routed += T * k;
  }

  // Each rank's rows over its experts. Expert e of rank r: at most one row per token.
  auto rank_experts = [&](int r) {
    std::vector<double> w(L.p.begin() + r * G, L.p.begin() + (r + 1) * G);
    return w;
  };
  const std::vector<double> ones(G, 1.0);
  s.expert_rows.assign(E, 0);
  if (moe.capacity_factor <= 0) {
    // Dropless: the rows a rank receives from all sources, over its experts.
    const int64_t all_tokens = std::accumulate(tokens.begin(), tokens.end(), int64_t(0));
    for (int r = 0; r < ep; ++r) {
      Rng rng = keyed_rng(seed, "routing-experts", {uint64_t(key.iteration), uint64_t(key.layer),
                                                    uint64_t(key.micro_batch), uint64_t(key.group), uint64_t(r)});
      const std::vector<int64_t> c = spread_rows(rng, all_tokens, s.rows_received(r), rank_experts(r), ones);
      std::copy(c.begin(), c.end(), s.expert_rows.begin() + r * G);
    }
    return s;
  }
  // Capacity (Megatron-Core): per source and expert, ceil(cf T k / E) rows are kept. Each
  // source's rows to a rank go over that rank's experts, then the capacity applies.
  s.routed_by_expert.assign(size_t(ep) * E, 0);
  s.kept_by_expert.assign(size_t(ep) * E, 0);
  std::vector<int64_t> kept_on_node(N);
  for (int src = 0; src < ep; ++src) {
    const int64_t T = tokens[src];
    const auto capacity = int64_t(std::ceil(moe.capacity_factor * double(T) * k / E));
    std::fill(node_rows.begin(), node_rows.end(), 0);
    std::fill(kept_on_node.begin(), kept_on_node.end(), 0);
    for (int r = 0; r < ep; ++r) {
      int64_t& to_rank = s.rank_rows[size_t(src) * ep + r];
      const std::vector<int64_t> c = spread_rows(source_rng[src], T, to_rank, rank_experts(r), ones);
      node_rows[pl.node_of_rank[r]] += to_rank;
      to_rank = 0;
      for (int i = 0; i < G; ++i) {
        const size_t at = size_t(src) * E + r * G + i;
        s.routed_by_expert[at] = c[i];
        s.kept_by_expert[at] = std::min(c[i], capacity);
        s.expert_rows[r * G + i] += s.kept_by_expert[at];
        to_rank += s.kept_by_expert[at];
        s.dropped += c[i] - s.kept_by_expert[at];
      }
      kept_on_node[pl.node_of_rank[r]] += to_rank;
    }
    // Tokens that lost every row on a node no longer visit it: the visits scale with the node's
    // kept rows (docs/moe.md).
    for (int n = 0; n < N; ++n) {
      int64_t& u = s.node_tokens[size_t(src) * N + n];
      if (kept_on_node[n] == node_rows[n]) continue;
      u = kept_on_node[n] == 0
              ? 0
              : std::clamp<int64_t>(std::llround(double(u) * double(kept_on_node[n]) / double(node_rows[n])), 1,
                                    kept_on_node[n]);
    }
  }
  return s;
}

int64_t RoutingSample::rows_sent(int src) const {
  int64_t sum = 0;
  for (int dst = 0; dst < ep; ++dst) sum += rows(src, dst);
  return sum;
}

int64_t RoutingSample::rows_received(int dst) const {
  int64_t sum = 0;
  for (int src = 0; src < ep; ++src) sum += rows(src, dst);
  return sum;
}

std::vector<int64_t> RoutingSample::local_expert_rows(int rank) const {
  const int per = experts / ep;
  return std::vector<int64_t>(expert_rows.begin() + rank * per, expert_rows.begin() + (rank + 1) * per);
}

}  // namespace trainsim::workload
