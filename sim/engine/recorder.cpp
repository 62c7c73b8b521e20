#include "engine/recorder.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "network/network.hpp"
#include "platform/link_names.hpp"

namespace trainsim {

Recorder::Recorder(const Network& network, bool keep_activities)
    : network_(network), keep_activities_(keep_activities) {
  slots_.assign(2 * network.links().size(), Slot{});
  // Where every GPU sits; jobs fill in their roles (stage, ranks, replica).
  const auto& spec = network.spec();
  trace_.gpus.resize(network.gpu_count());
  for (int g = 0; g < network.gpu_count(); ++g) {
    const auto& loc = network.location(g);
    const auto& c = spec.clusters[loc.cluster];
    auto& info = trace_.gpus[g];
    info.node = link_names::node(c.name, loc.node);
    info.name = link_names::gpu_host(c.name, loc.node, loc.local);
    info.model = c.gpu.name;
    info.cluster = c.name;
    info.local_index = loc.local;
  }
}

void Recorder::append_route(int src_gpu, int dst_gpu, std::vector<int>& out) const {
  for (const DirectedLink& l : network_.directed_route(src_gpu, dst_gpu)) out.push_back(2 * l.link + (l.down ? 1 : 0));
}

Recorder::Route Recorder::route(int src_gpu, int dst_gpu, bool expand) {
  const std::vector<int>* copies = copies_ && expand ? &(*copies_)[static_cast<size_t>(src_gpu)] : nullptr;
  if (copies && copies->empty()) copies = nullptr;
  // (GPU indices are below 2^31: bit 63 tells a family of copies' routes from a plain route.)
  const uint64_t key = (copies ? 1ull << 63 : 0) | (static_cast<uint64_t>(src_gpu) << 32) | static_cast<uint32_t>(dst_gpu);
  auto it = routes_.find(key);
  if (it == routes_.end()) {
    std::vector<int> idx;
    append_route(src_gpu, dst_gpu, idx);
    if (copies) {
      const auto& dst_copies = (*copies_)[static_cast<size_t>(dst_gpu)];
      if (dst_copies.size() != copies->size())
        throw InternalError("folded run: GPUs " + std::to_string(src_gpu) + " and " + std::to_string(dst_gpu) +
                            " have different numbers of copies");
      for (size_t j = 0; j < copies->size(); ++j) append_route((*copies)[j], dst_copies[j], idx);
    }
    it = routes_.emplace(key, std::move(idx)).first;
  }
  return &it->second;
}

void Recorder::flow(Route route, double bytes, double start, double end) {
  if (keep_activities_ && end > start) flows_.push_back({start, end, bytes, route});
  for (int l : *route) {
    Slot& s = slots_[l];
    s.bytes += bytes;
    // Busy time: union of flow intervals, merged as flows complete (flows completing out of
    // start order can make this slightly over-count overlaps; documented in trace-format.md).
    if (s.open_end < 0 || start > s.open_end) {
      if (s.open_end >= 0) s.busy += s.open_end - s.open_start;
      s.open_start = start;
      s.open_end = end;
    } else {
      s.open_start = std::min(s.open_start, start);
      s.open_end = std::max(s.open_end, end);
    }
  }
}

output::TraceData& Recorder::finish(double makespan) {
  trace_.makespan = makespan;
  const auto& links = network_.links();
  trace_.links.clear();
  trace_.links.reserve(links.size());
  auto busy = [&](size_t slot) {
    const Slot& s = slots_[slot];
    return s.busy + (s.open_end >= 0 ? s.open_end - s.open_start : 0);
  };
  for (size_t l = 0; l < links.size(); ++l) {
    // Bytes: both directions. Busy time: the busier direction (utilization is per direction).
    trace_.links.push_back({links[l].name, tier_name(links[l].tier), links[l].bandwidth, links[l].latency,
                            bytes_on_link(static_cast<int>(l)), std::max(busy(2 * l), busy(2 * l + 1))});
  }
  build_series(makespan);
  return trace_;
}

void Recorder::build_series(double makespan) {
  auto& series = trace_.link_series;
  series = {};
  if (flows_.empty() || makespan <= 0) return;
  const size_t bins = 200;
  const double width = makespan / bins;
  // One row per link that carried traffic: the load of its busier direction, so that
  // bytes / (bin width x bandwidth) is a utilization in [0, 1].
  const size_t nlinks = slots_.size() / 2;
  std::vector<int> row_of(nlinks, -1);
  for (size_t l = 0; l < nlinks; ++l)
    if (bytes_on_link(static_cast<int>(l)) > 0) {
      row_of[l] = static_cast<int>(series.link.size());
      series.link.push_back(static_cast<int32_t>(l));
    }
  series.bin_width = width;
  series.bins = bins;
  std::vector<double> per_dir(series.link.size() * bins * 2, 0.0);
  // Each flow's bytes are spread evenly over its lifetime (a flow-level model has no finer
  // knowledge of its rate), bin by bin.
  for (const auto& f : flows_) {
    const double rate = f.bytes / (f.end - f.start);
    const size_t first = std::min(bins - 1, static_cast<size_t>(f.start / width));
    const size_t last = std::min(bins - 1, static_cast<size_t>(f.end / width));
    for (size_t b = first; b <= last; ++b) {
      const double lo = std::max(f.start, b * width), hi = std::min(f.end, (b + 1) * width);
      if (hi <= lo) continue;
      for (int slot : *f.route) per_dir[(row_of[slot / 2] * bins + b) * 2 + (slot % 2)] += rate * (hi - lo);
    }
  }
  // Spreading each flow evenly over its life can over-fill a bin where flows overlapped (the
  // flows really shared the link, at rates that varied): cap every bin at the direction's
  // capacity and carry the excess to the following bins (then back from the end), which keeps
  // each direction's total.
  const auto& links = network_.links();
  for (size_t row = 0; row < series.link.size(); ++row) {
    const double cap = links[series.link[row]].bandwidth * width;
    for (int dir = 0; dir < 2; ++dir) {
      auto at = [&](size_t b) -> double& { return per_dir[(row * bins + b) * 2 + dir]; };
      double carry = 0;
      for (size_t b = 0; b < bins; ++b) {
        at(b) += carry;
        carry = std::max(0.0, at(b) - cap);
        at(b) -= carry;
      }
      for (size_t b = bins; b-- > 0 && carry > 0;) {
        const double room = std::max(0.0, cap - at(b));
        const double put = std::min(room, carry);
        at(b) += put;
        carry -= put;
      }
      if (carry > 0) at(bins - 1) += carry;  // cannot happen if the simulator kept the link's rate
    }
  }
  series.bytes.assign(series.link.size() * bins, 0.0);
  for (size_t i = 0; i < series.bytes.size(); ++i) series.bytes[i] = std::max(per_dir[2 * i], per_dir[2 * i + 1]);
}

}  // namespace trainsim
