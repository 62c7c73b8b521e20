#include "configurator/rank_correlation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/random.hpp"

namespace trainsim::configurator {

namespace {
bool any_nan(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}
}  // namespace

std::vector<double> average_ranks(const std::vector<double>& v) {
  const size_t n = v.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double mean = (double(i) + double(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = mean;
    i = j + 1;
  }
  return r;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n || any_nan(x) || any_nan(y)) return std::nan("");
  const auto rx = average_ranks(x), ry = average_ranks(y);
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / n, my = std::accumulate(ry.begin(), ry.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::nan("");
  return sxy / std::sqrt(sxx * syy);
}

double kendall(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n || any_nan(x) || any_nan(y)) return std::nan("");
  double concordant = 0, discordant = 0, tie_x = 0, tie_y = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      if (dx == 0 && dy == 0) continue;
      if (dx == 0) ++tie_x;
      else if (dy == 0) ++tie_y;
      else if ((dx > 0) == (dy > 0)) ++concordant;
      else ++discordant;
    }
  const double denom = std::sqrt((concordant + discordant + tie_x) * (concordant + discordant + tie_y));
  if (denom == 0) return std::nan("");
  return (concordant - discordant) / denom;
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

RankAgreement rank_agreement(const std::vector<double>& x, const std::vector<double>& y, uint64_t seed, int resamples) {
  RankAgreement a;
  a.n = static_cast<int>(x.size());
  a.spearman = spearman(x, y);
  a.kendall = kendall(x, y);
  Rng rng = Rng(seed).fork("rank-bootstrap");
  std::vector<double> rho, tau, bx(x.size()), by(y.size());
  for (int b = 0; b < resamples && a.n >= 2; ++b) {
    for (size_t i = 0; i < x.size(); ++i) {
      const size_t k = rng.below(x.size());
      bx[i] = x[k], by[i] = y[k];
    }
    if (double r = spearman(bx, by); !std::isnan(r)) rho.push_back(r);
    if (double t = kendall(bx, by); !std::isnan(t)) tau.push_back(t);
  }
  auto interval = [resamples](std::vector<double>& v, double& lo, double& hi) {
    std::sort(v.begin(), v.end());
    const bool enough = 2 * static_cast<int>(v.size()) >= resamples && !v.empty();
    lo = enough ? quantile(v, 0.025) : std::nan("");
    hi = enough ? quantile(v, 0.975) : std::nan("");
  };
  interval(rho, a.spearman_lo, a.spearman_hi);
  interval(tau, a.kendall_lo, a.kendall_hi);
  return a;
}

}  // namespace trainsim::configurator
