#include "engine/recorder.hpp"

#include <algorithm>

#include "network/network.hpp"

namespace trainsim {

Recorder::Recorder(const Network& network, bool keep_activities)
    : network_(network), keep_activities_(keep_activities) {
  const size_t n = network.links().size();
  link_bytes_.assign(n, 0);
  busy_.assign(n, 0);
  open_start_.assign(n, -1);
  open_end_.assign(n, -1);
}

void Recorder::flow(int src_gpu, int dst_gpu, double bytes, double start, double end) {
  const uint64_t key = (static_cast<uint64_t>(src_gpu) << 32) | static_cast<uint32_t>(dst_gpu);
  auto it = routes_.find(key);
  if (it == routes_.end()) {
    std::vector<int> idx;
    const LinkInfo* base = network_.links().data();
    for (const LinkInfo* l : network_.route(src_gpu, dst_gpu)) idx.push_back(static_cast<int>(l - base));
    it = routes_.emplace(key, std::move(idx)).first;
  }
  for (int l : it->second) {
    link_bytes_[l] += bytes;
    // Busy time: union of flow intervals, merged as flows complete (flows completing out of
    // start order can make this slightly over-count overlaps; documented in trace-format.md).
    if (open_end_[l] < 0 || start > open_end_[l]) {
      if (open_end_[l] >= 0) busy_[l] += open_end_[l] - open_start_[l];
      open_start_[l] = start;
      open_end_[l] = end;
    } else {
      open_start_[l] = std::min(open_start_[l], start);
      open_end_[l] = std::max(open_end_[l], end);
    }
  }
}

output::TraceData& Recorder::finish(double makespan) {
  trace_.makespan = makespan;
  const auto& links = network_.links();
  trace_.links.clear();
  trace_.links.reserve(links.size());
  for (size_t l = 0; l < links.size(); ++l) {
    double busy = busy_[l] + (open_end_[l] >= 0 ? open_end_[l] - open_start_[l] : 0);
    trace_.links.push_back({links[l].name, tier_name(links[l].tier), links[l].bandwidth, links[l].latency,
                            link_bytes_[l], busy});
  }
  return trace_;
}

}  // namespace trainsim
