#pragma once
// Rank agreement between a configurator's predicted times and the simulated ones.
#include <cstdint>
#include <vector>

namespace trainsim::configurator {

// Ranks 1..n, ties get the mean of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& values);
// Spearman's rho: Pearson correlation of the average ranks. NaN if n < 2, a value is NaN or a side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);
// Kendall's tau-b (ties corrected). NaN if n < 2, a value is NaN or a side is constant.
double kendall(const std::vector<double>& x, const std::vector<double>& y);

// The q-quantile (0..1) of sorted values, linear between order statistics (numpy's default).
double quantile(const std::vector<double>& sorted, double q);

// Both coefficients with percentile bootstrap 95% intervals: `resamples` draws of n pairs with
// replacement (seeded, portable), the 2.5% and 97.5% quantiles of the coefficients over the
// draws where they are defined (NaN when fewer than half are).
struct RankAgreement {
  int n = 0;
  double spearman = 0, spearman_lo = 0, spearman_hi = 0;
  double kendall = 0, kendall_lo = 0, kendall_hi = 0;
};
RankAgreement rank_agreement(const std::vector<double>& x, const std::vector<double>& y, uint64_t seed,
                             int resamples = 1000);

}  // namespace trainsim::configurator
