#pragma once
// Collects what happens during a simulation into an output::TraceData: activities (when a
// trace is requested) and per-link traffic (always: summaries need it). Links are charged
// when a message has arrived, from the message's route (routes cached per GPU pair).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "output/trace.hpp"

namespace trainsim {

class Network;

class Recorder {
 public:
  Recorder(const Network& network, bool keep_activities);

  bool keeps_activities() const { return keep_activities_; }
  void activity(const output::ActivityRecord& record) {
    if (keep_activities_) trace_.activities.push_back(record);
  }
  int32_t label(std::string_view text) { return trace_.label(text); }

  // A message of `bytes` from src to dst that flowed during [start, end].
  void flow(int src_gpu, int dst_gpu, double bytes, double start, double end) {
    flow(route(src_gpu, dst_gpu), bytes, start, end);
  }
  // The links a GPU pair's messages cross (cached; stable for the recorder's life), so that
  // callers charging the same pair often look it up once.
  // In a folded run (engine/fold.hpp) a played GPU pair's route also holds the routes of its
  // copies, so that a flow is charged once per copy; `expand` false gives the pair's own route
  // (closed forms of a folded group, charged member by member).
  using Route = const std::vector<int>*;
  Route route(int src_gpu, int dst_gpu, bool expand = true);
  // Per GPU: the GPUs of its copies (Fold::copies_of; must outlive the recorder's use).
  void set_copies(const std::vector<std::vector<int>>* copies) { copies_ = copies; }
  void flow(Route route, double bytes, double start, double end);

  // Fills link statistics, the link-load series (200 bins over the run, links that carried
  // traffic) and the makespan; call once after the run.
  output::TraceData& finish(double makespan);
  output::TraceData& trace() { return trace_; }
  // Bytes carried by a link, both directions together.
  double bytes_on_link(int link) const { return slots_[2 * link].bytes + slots_[2 * link + 1].bytes; }

 private:
  const Network& network_;
  bool keep_activities_;
  output::TraceData trace_;
  // (src << 32 | dst) -> link slots: 2 * link index + direction (each direction of a
  // split-duplex link has its own bandwidth, so load and busy time are kept per direction).
  std::unordered_map<uint64_t, std::vector<int>> routes_;
  const std::vector<std::vector<int>>* copies_ = nullptr;
  void append_route(int src_gpu, int dst_gpu, std::vector<int>& out) const;
  // Per slot, together (one cache line touched per link a flow crosses): bytes, busy time
  // closed so far, and the interval being merged.
  struct Slot {
    double bytes = 0, busy = 0, open_start = -1, open_end = -1;
  };
  std::vector<Slot> slots_;
  // Flows kept for the link-load time series (only when activities are kept).
  struct Flow {
    double start, end, bytes;
    const std::vector<int>* route;
  };
  std::vector<Flow> flows_;
  void build_series(double makespan);
};

}  // namespace trainsim
