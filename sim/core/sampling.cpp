#include "core/sampling.hpp"

#include <algorithm>
#include <cmath>

namespace trainsim {

Rng keyed_rng(uint64_t seed, std::string_view purpose, std::initializer_list<uint64_t> key) {
  Rng r = Rng(seed).fork(purpose);
  // Each key element re-seeds through one splitmix64 step of the running state, so distinct
  // keys give unrelated streams.
  for (uint64_t k : key) r = Rng(r.next_u64() ^ (k * 0xD1B54A32D192ED03ull + 0x8BB84B93962EACC9ull));
  return r;
}

Binomial::Binomial(int64_t n, double p) : n_(n) {
  if (n <= 0 || p <= 0 || p >= 1) {
    trivial_ = true;
    flip_ = n > 0 && p >= 1;
    return;
  }
  if (p > 0.5) flip_ = true, p = 1 - p;
  p_ = p;
  const double nd = double(n), q = 1 - p;
  if (nd * p < 10) {
    inversion_ = true;
    q_n_ = std::pow(q, nd);
    ratio_ = p / q;
    return;
  }
  const double spq = std::sqrt(nd * p * q);
  b_ = 1.15 + 2.53 * spq;
  a_ = -0.0873 + 0.0248 * b_ + 0.01 * p;
  c_ = nd * p + 0.5;
  v_r_ = 0.92 - 4.2 / b_;
  alpha_ = (2.83 + 5.1 / b_) * spq;
  lpq_ = std::log(p / q);
  m_ = std::floor((nd + 1) * p);
  h_ = std::lgamma(m_ + 1) + std::lgamma(nd - m_ + 1);
}

int64_t Binomial::operator()(Rng& rng) const {
  int64_t x = 0;
  if (trivial_) {
    x = 0;
  } else if (inversion_) {
    // Walk the CDF from 0 with the pmf recurrence f(x+1) = f(x) (n - x) / (x + 1) p / q.
    double f = q_n_, u = rng.uniform01();
    while (u > f && x < n_) {
      u -= f;
      f *= ratio_ * double(n_ - x) / double(x + 1);
      ++x;
    }
  } else {
    const double nd = double(n_);
    for (;;) {
      const double u = rng.uniform01() - 0.5;
      double v = rng.uniform01();
      const double us = 0.5 - std::fabs(u);
      const double k = std::floor((2 * a_ / us + b_) * u + c_);
      if (k < 0 || k > nd) continue;
      if (us >= 0.07 && v <= v_r_) {
        x = int64_t(k);
        break;
      }
      if (v <= 0) continue;
      v = std::log(v * alpha_ / (a_ / (us * us) + b_));
      if (v <= h_ - std::lgamma(k + 1) - std::lgamma(nd - k + 1) + (k - m_) * lpq_) {
        x = int64_t(k);
        break;
      }
    }
  }
  return flip_ ? n_ - x : x;
}

int64_t binomial(Rng& rng, int64_t n, double p) { return Binomial(n, p)(rng); }

std::vector<int64_t> multinomial(Rng& rng, int64_t n, const std::vector<double>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  if (n <= 0) return out;
  if (n < 16 * int64_t(weights.size())) {
    // Few draws per category: n categorical draws (cumulative weights, binary search) cost less
    // than one binomial per category.
    // upper_bound skips zero weights (their cumulative equals the one before).
    std::vector<double> cumulative(weights.size());
    double total = 0;
    size_t last = 0;  // the last category with weight: where u rounding up to the total lands
    for (size_t i = 0; i < weights.size(); ++i) {
      if (weights[i] > 0) total += weights[i], last = i;
      cumulative[i] = total;
    }
    if (!(total > 0)) return out;
    for (int64_t j = 0; j < n; ++j) {
      const double u = rng.uniform01() * total;
      const auto i = size_t(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
      ++out[std::min(i, last)];
    }
    return out;
  }
  double rest = 0;
  for (double w : weights) rest += w;
  int64_t left = n;
  for (size_t i = 0; i < weights.size() && left > 0; ++i) {
    if (weights[i] <= 0) continue;
    // The last category with weight takes what is left (rounding of `rest` cannot lose rows).
    const double p = weights[i] >= rest ? 1.0 : weights[i] / rest;
    out[i] = binomial(rng, left, p);
    left -= out[i];
    rest -= weights[i];
  }
  return out;
}

std::vector<int64_t> systematic_counts(Rng& rng, int64_t n, const std::vector<double>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  double total = 0;
  for (double w : weights) total += std::max(w, 0.0);
  if (n <= 0 || !(total > 0)) return out;
  // Points u, u + 1, ..., u + n - 1 on the cumulative weights scaled to n: category i gets the
  // points in [C_{i-1}, C_i), i.e. ceil(C_i - u) - ceil(C_{i-1} - u).
  const double u = rng.uniform01();
  double cumulative = 0;
  int64_t before = 0, given = 0;
  size_t last = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0)) continue;
    cumulative += weights[i];
    const int64_t upto = std::min<int64_t>(n, int64_t(std::ceil(double(n) * cumulative / total - u)));
    out[i] = std::max<int64_t>(0, upto - before);
    before = std::max(before, upto);
    given += out[i];
    last = i;
  }
  out[last] += n - given;  // rounding of the cumulative sum
  return out;
}

double gamma(Rng& rng, double shape) {
  if (shape < 1) {
    const double u = rng.uniform01();
    return gamma(rng, shape + 1) * std::pow(u > 0 ? u : 1e-300, 1 / shape);
  }
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform01();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

std::vector<double> dirichlet(Rng& rng, int n, double alpha) {
  std::vector<double> out(n);
  double sum = 0;
  for (double& x : out) sum += (x = gamma(rng, alpha));
  if (!(sum > 0)) {
    // All gammas underflowed (alpha tiny): the limit is one expert taking everything.
    out.assign(n, 0.0);
    out[rng.below(n)] = 1;
    return out;
  }
  for (double& x : out) x /= sum;
  return out;
}

}  // namespace trainsim
