#include "diloco/abstract_timeline.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"

namespace trainsim {

namespace {

struct Span {
  double bytes, start, end;
};

// Most bytes carried in a window of length `window` starting in [from, to], by flows that each
// move their bytes at a constant rate over [start, end]. The bytes in a window starting at s,
// F(s + window) - F(s), are piecewise linear in s, so their maximum lies at an end of the range
// or where s or s + window is a breakpoint.
double max_window_bytes(const std::vector<Span>& flows, double window, double from, double to) {
  std::vector<std::pair<double, double>> changes;  // (time, rate change)
  double instant = 0;                              // flows too short for the clock count at once
  for (const auto& f : flows) {
    if (f.end > f.start) {
      changes.emplace_back(f.start, f.bytes / (f.end - f.start));
      changes.emplace_back(f.end, -f.bytes / (f.end - f.start));
    } else {
      instant = std::max(instant, f.bytes);
    }
  }
  if (changes.empty()) return instant;
  std::sort(changes.begin(), changes.end());
  std::vector<double> times, cumulative, rate;  // F at each breakpoint and the rate after it
  double f = 0, r = 0, last = changes.front().first;
  for (const auto& [t, dr] : changes) {
    f += r * (t - last);
    last = t;
    r += dr;
    if (!times.empty() && times.back() == t) {
      rate.back() = r;
    } else {
      times.push_back(t), cumulative.push_back(f), rate.push_back(r);
    }
  }
  auto at = [&](double t) {
    if (t <= times.front()) return 0.0;
    size_t i = static_cast<size_t>(std::upper_bound(times.begin(), times.end(), t) - times.begin()) - 1;
    return cumulative[i] + rate[i] * (t - times[i]);
  };
  double best = instant;
  auto consider = [&](double s) {
    if (s >= from && s <= to) best = std::max(best, at(s + window) - at(s));
  };
  consider(from), consider(to);
  for (double t : times) consider(t), consider(t - window);
  return best;
}

}  // namespace

AbstractResult abstract_figures(const AbstractFigureInputs& in, const AbstractRun& run, const AbstractTimeline& tl) {
  const AbstractProgram& prog = *in.program;
  const AbstractWan& wan = *in.wan;
  const int m = wan.workers();
  if (run.period < 1 || run.steady_round + run.period > run.rounds)
    throw InternalError("abstract figures: the steady state lies outside the simulated rounds");
  const SlotNumbering slots(prog);
  const int first = run.steady_round, last = run.steady_round + run.period;  // rounds [first, last)
  const double from = tl.round_start[0][static_cast<size_t>(first)], to = tl.round_start[0][static_cast<size_t>(last)];
  // The job's round is its slowest worker's: in a cycle every worker's is the same; in a mean
  // over rounds without one (AbstractRun::cycle), a worker whose phase drifts has its own.
  double round = 0;
  for (const auto& starts : tl.round_start) {
    const double w = (starts.at(static_cast<size_t>(last)) - starts.at(static_cast<size_t>(first))) / run.period;
    if (!std::isfinite(w)) throw InternalError("abstract figures: a steady round was not simulated");
    round = std::max(round, w);
  }

  AbstractResult res;
  res.rounds = run.rounds;
  res.steady_round = run.steady_round;
  res.period = run.period;
  res.cycle = run.cycle;
  double compute_sum = 0;
  for (int w = 0; w < m; ++w) {
    WorkerOutcome o;
    o.compute = static_cast<double>(prog.units_per_round) * in.unit[static_cast<size_t>(w)];
    o.window = round;
    o.wait = round - o.compute;
    compute_sum += o.compute;
    res.workers.push_back(o);
  }
  res.round_time = round;
  res.utilization = round > 0 ? compute_sum / (m * round) : 0;
  res.extra_memory_per_gpu = in.extra_memory_per_gpu;

  // Bytes: the measured rounds' reduces (each flow once per round; per link, once per WAN link it
  // crosses), and the whole run's. Peak: per link direction, flows near the measured rounds.
  std::vector<double> link_bytes(wan.link_names.size(), 0);
  std::map<std::pair<int, bool>, std::vector<Span>> near;
  for (const TimelineFlow& f : tl.flows) {
    const auto& route = wan.ring_route[static_cast<size_t>(f.src)];
    const int r = slots.round_of(f.slot);
    const bool measured = r >= first && r < last;
    if (measured) res.wan_bytes_per_round += f.bytes;
    for (const auto& half : route) {
      res.wan_bytes += f.bytes;
      if (measured) link_bytes[static_cast<size_t>(half.first)] += f.bytes;
      if (f.end > from && f.start < to + in.step_time) near[half].push_back({f.bytes, f.start, f.end});
    }
  }
  res.wan_bytes_per_round /= run.period;
  for (size_t l = 0; l < link_bytes.size(); ++l) {
    res.wan_link_names.push_back(wan.link_names[l]);
    res.wan_link_bytes.push_back(link_bytes[l] / run.period);
  }
  for (const auto& [half, flows] : near)
    res.peak_wan_bandwidth =
        std::max(res.peak_wan_bandwidth, max_window_bytes(flows, in.step_time, from, to) / in.step_time);
  return res;
}

}  // namespace trainsim
