#pragma once
// Gradient buckets released together (docs/training.md, "Programs"): a chunk's n buckets go out
// in at most kMaxReleasePoints groups, each as one collective of their summed size with one
// latency term per bucket (Collective::count): exact under aggregated flows, and far fewer
// flows. The grouping depends only on the plan, never on timing, so every rank of a group issues
// the same collectives. The same groups carry the distributed optimizer's overlapped parameter
// all-gather. One rule for the dense generator and the expert-parallel one.
#include <algorithm>
#include <vector>

namespace trainsim {

inline constexpr int kMaxReleasePoints = 4;

// n buckets in at most kMaxReleasePoints groups: the number of buckets of each group.
inline std::vector<int> release_groups(int n) {
  const int groups = std::min(n, kMaxReleasePoints);
  std::vector<int> out;
  for (int g = 0; g < groups; ++g) out.push_back(n / groups + (g < n % groups ? 1 : 0));
  return out;
}

// With overlap_grad_reduce, buckets are filled in the order the backward produces gradients and
// a group is complete once the layers its buckets cover are done: the number of leading groups
// of `groups` (n buckets in all, spread evenly over `layers` layers) complete after `done` of
// them, i.e. those whose buckets up to and including them are at most done / layers of n.
inline int complete_groups(const std::vector<int>& groups, int n, int layers, int done) {
  int complete = 0;
  for (int buckets = 0; complete < static_cast<int>(groups.size()); ++complete) {
    buckets += groups[complete];
    if (static_cast<long long>(buckets) * layers > static_cast<long long>(done) * n) break;
  }
  return complete;
}

}  // namespace trainsim
