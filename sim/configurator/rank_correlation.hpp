#pragma once
// Rank agreement between a configurator's predicted times and the simulated ones.
#include <vector>

namespace trainsim::configurator {

// Ranks 1..n, ties get the mean of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& values);
// Spearman's rho: Pearson correlation of the average ranks. NaN if n < 2, a value is NaN or a side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);
// Kendall's tau-b (ties corrected). NaN if n < 2, a value is NaN or a side is constant.
double kendall(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace trainsim::configurator
