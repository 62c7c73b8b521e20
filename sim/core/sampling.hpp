#pragma once
// Portable draws beyond core/random.hpp's, for data that comes from a seeded distribution
// (expert routing, docs/moe.md): binomial, multinomial, gamma, Dirichlet, and keyed streams so a
// draw is a pure function of (seed, purpose, key...) whatever order the caller asks in.
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "core/random.hpp"

namespace trainsim {

// An independent stream for (seed, purpose, key...): e.g. keyed_rng(seed, "routing", {layer, mb}).
Rng keyed_rng(uint64_t seed, std::string_view purpose, std::initializer_list<uint64_t> key);

// Binomial(n, p): inversion for n min(p, 1-p) < 10, else Hormann's BTRS transformed rejection
// (Hormann 1993, "The generation of binomial random variates"), both exact.
int64_t binomial(Rng& rng, int64_t n, double p);

// The same draws for one (n, p) many times: the setup (a pow or two lgamma) is done once.
class Binomial {
 public:
  Binomial(int64_t n, double p);
  int64_t operator()(Rng& rng) const;

 private:
  int64_t n_ = 0;
  bool flip_ = false;       // drew n - Binomial(n, 1 - p)
  bool inversion_ = false;  // small mean: CDF walk
  bool trivial_ = false;    // p is 0 or 1 (after the flip: 0)
  double q_n_ = 0, ratio_ = 0;                          // inversion: q^n, p/q
  double a_ = 0, b_ = 0, c_ = 0, v_r_ = 0, alpha_ = 0, lpq_ = 0, m_ = 0, h_ = 0, p_ = 0;  // BTRS
};

// Multinomial(n, weights / sum(weights)): conditional binomials, or n categorical draws when n
// is small for the number of categories; zero weights get zero.
std::vector<int64_t> multinomial(Rng& rng, int64_t n, const std::vector<double>& weights);

// n items over the categories by systematic sampling: category i gets floor or ceil of
// n w_i / sum(w), one uniform draw deciding which (Madow 1949). Cheaper than a multinomial, and
// with less spread: for corrections, not for data.
std::vector<int64_t> systematic_counts(Rng& rng, int64_t n, const std::vector<double>& weights);

// Gamma(shape, 1): Marsaglia and Tsang 2000 (shape < 1 boosted by U^(1/shape)).
double gamma(Rng& rng, double shape);

// Dirichlet(alpha, ..., alpha) of dimension n: normalised gammas.
std::vector<double> dirichlet(Rng& rng, int n, double alpha);

}  // namespace trainsim
