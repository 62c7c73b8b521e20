#include "diloco/abstract_loop.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <deque>
#include <optional>
#include <queue>
#include <unordered_map>

#include "core/error.hpp"

namespace trainsim {
namespace {

enum class ComputeState : uint8_t { Ready, Sleeping, Blocked, Done };
enum class CommState : uint8_t { Idle, Awaiting, Sleeping };

struct ComputeStream {
  int round = 0;
  size_t pc = 0;         // next op of the round
  int64_t pending = 0;   // compute nodes not slept yet (merged until a wait or a request)
  ComputeState state = ComputeState::Ready;
  double wake = 0;       // Sleeping: end of the sleep
  int64_t blocked = -1;  // Blocked: the slot waited for
};

struct CommStream {
  std::deque<int64_t> queue;  // requested slots not started
  int64_t current = -1;       // slot in progress, -1 if none
  int step = 0;               // ring step of `current`
  CommState state = CommState::Idle;
  double wake = 0;            // Sleeping: end of the latency
  int64_t done = 0;           // slots below are done (they finish in order)
};

struct Flow {
  int src;
  int64_t message;  // slot x ring steps + step
  double bytes, start;
  double remaining, rate = 0, last, finish = 0;
};

// Which messages a worker has received, from `base` on (those below are consumed: a stream
// consumes its messages in order), so that the state stays small however long the run.
struct Arrivals {
  int64_t base = 0;
  std::deque<uint8_t> flags;  // message base + i
  bool has(int64_t m) const {
    return m < base || (static_cast<size_t>(m - base) < flags.size() && flags[static_cast<size_t>(m - base)]);
  }
  void set(int64_t m) {
    if (m < base) return;
    const size_t i = static_cast<size_t>(m - base);
    if (flags.size() <= i) flags.resize(i + 1, 0);
    flags[i] = 1;
  }
  void consumed_below(int64_t m) {
    for (; base < m; ++base)
      if (!flags.empty()) flags.pop_front();
  }
};

struct Timer {
  double time;
  uint64_t seq;
  int actor;  // 2 w: compute stream of w; 2 w + 1: its communication stream
  bool operator>(const Timer& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

// A copy of the whole state when worker 0 starts a round, relative to that round.
struct Snapshot {
  int round = 0;
  double time = 0;
  bool extrapolated = false;  // made by a drift jump, not simulated: never a steady round
  std::vector<int64_t> ints;
  std::vector<double> times, bytes;
};

// Builds a Snapshot from ExactLoop::walk: slots, messages and rounds relative to the round's,
// times relative to now.
struct SnapshotVisitor {
  Snapshot& s;
  int64_t slot_base, message_base;
  int round_base;
  double now;
  void plain(int64_t v) { s.ints.push_back(v); }
  void round(int& r) { s.ints.push_back(r - round_base); }
  void slot(int64_t& v, bool active) { s.ints.push_back(active ? v - slot_base : INT64_MIN); }
  void message(int64_t& v) { s.ints.push_back(v - message_base); }
  void time(double& t, bool active) { s.times.push_back(active ? t - now : 0); }
  void bytes(double&, double now_value) { s.bytes.push_back(now_value); }
};

// Moves the state k rounds ahead along a linear drift: indices by k rounds, each relative time
// and byte count by k times its per-round change.
struct JumpVisitor {
  int k;
  int64_t slot_shift, message_shift;
  double now, new_now;
  const std::vector<double>& dt;
  const std::vector<double>& db;
  size_t ti = 0, bi = 0;
  void plain(int64_t) {}
  void round(int& r) { r += k; }
  void slot(int64_t& v, bool active) {
    if (active) v += slot_shift;
  }
  void message(int64_t& v) { v += message_shift; }
  void time(double& t, bool active) {
    if (active) t = new_now + (t - now) + k * dt[ti];
    ++ti;
  }
  void bytes(double& b, double now_value) { b = now_value + k * db[bi++]; }
};

class ExactLoop {
 public:
  // Beyond 4 million rounds the clock's resolution (2.2e-16 x rounds x round) nears the 1e-9
  // tolerance of the drift jumps' checks: give up there.
  static constexpr int kMaxJump = 1 << 20, kMaxRound = 1 << 22;
  static constexpr int kMeanRounds = 256;  // rounds of the mean when no cycle is found
  ExactLoop(const AbstractProgram& program, const AbstractWan& wan, const std::vector<double>& unit, double window,
            const LoopLimits& limits)
      : prog_(program), wan_(wan), unit_(unit), window_(window), limits_(limits), slots_(program),
        m_(wan.workers()), steps_(program.ring_steps) {
    if (m_ < 2 || steps_ < 1) throw InternalError("exact loop: needs two workers and a ring step");
    for (const auto& r : wan.ring_route)
      if (r.empty()) throw InternalError("exact loop: a ring route crosses no WAN link");
    // The transport sends whole bytes, at least one (engine/transport.cpp): so do we.
    flow_size_ = program.ring_chunk < 1 ? 1.0 : std::floor(program.ring_chunk);
    comp_.resize(static_cast<size_t>(m_));
    comm_.resize(static_cast<size_t>(m_));
    arrived_.resize(static_cast<size_t>(m_));
    posted_.assign(static_cast<size_t>(m_), 0);
    in_ready_.assign(static_cast<size_t>(2 * m_), 0);
    touched_.assign(2 * wan.bandwidth.size(), 0);
    timeline_.round_start.resize(static_cast<size_t>(m_));
    end_round_ = limits.rounds > 0 ? limits.rounds : INT_MAX;
    searching_ = limits.rounds <= 0;
    for (int w = 0; w < m_; ++w) make_ready(2 * w);
  }

  LoopOutcome run() {
    for (;;) {
      while (!ready_.empty()) {
        const int actor = ready_.front();
        ready_.pop_front();
        in_ready_[static_cast<size_t>(actor)] = 0;
        if (actor % 2 == 0) step_compute(actor / 2);
        else step_comm(actor / 2);
      }
      if (rates_dirty_) solve_rates();
      if (snapshot_due_) {
        snapshot_due_ = false;
        check_steady();
      }
      double next = timers_.empty() ? INFINITY : timers_.top().time;
      for (const Flow& f : flows_) next = std::min(next, f.finish);
      if (next == INFINITY) break;
      now_ += next - now_;  // as SimGrid advances its clock (NOW += delta), to the rounding
      while (!timers_.empty() && timers_.top().time <= now_) {
        make_ready(timers_.top().actor);
        timers_.pop();
      }
      for (size_t i = 0; i < flows_.size();) {
        if (flows_[i].finish <= now_) {
          arrive(flows_[i]);
          touch(flows_[i].src);
          flows_.erase(flows_.begin() + static_cast<long>(i));
        } else {
          ++i;
        }
      }
    }
    LoopOutcome out;
    out.run.rounds = end_round_ == INT_MAX ? 0 : end_round_;
    out.run.steady_round = steady_round_;
    out.run.period = period_;
    out.run.cycle = cycle_;
    out.run.jumped = jumps_kept_ > 0;
    out.timeline = std::move(timeline_);
    return out;
  }

 private:
  const AbstractProgram& prog_;
  const AbstractWan& wan_;
  const std::vector<double>& unit_;
  double window_;
  LoopLimits limits_;
  SlotNumbering slots_;
  int m_, steps_;
  double flow_size_ = 0;
  double now_ = 0;
  int end_round_;  // compute streams stop when they reach the start of this round
  int steady_round_ = 0, period_ = 0;
  bool cycle_ = false;
  int candidate_period_ = 0, candidate_round_ = 0;  // a repeat seen, being confirmed
  int give_up_from_ = 0;  // > 0: no cycle found; the mean from this round on
  bool searching_;  // for a steady state (until found or given up)
  int simulated_rounds_ = 0;  // rounds worker 0 has started by simulation (not by jumps)

  std::vector<ComputeStream> comp_;
  std::vector<CommStream> comm_;
  std::vector<Arrivals> arrived_;              // [receiver]
  std::vector<int64_t> posted_;                // messages each worker has posted
  std::vector<Flow> flows_;                    // in flight, in posting order
  bool rates_dirty_ = false;
  std::vector<uint8_t> touched_;  // link halves whose flows changed since the last solve
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timer_seq_ = 0;
  std::deque<int> ready_;
  std::vector<uint8_t> in_ready_;
  bool snapshot_due_ = false;
  std::deque<Snapshot> snapshots_;                   // consecutive simulated rounds since the last jump
  std::unordered_multimap<uint64_t, int64_t> by_ints_;  // hash of a snapshot's ints -> its ordinal
  int64_t ordinal_ = 0, first_ordinal_ = 0;          // ordinals of the next snapshot and of snapshots_.front()
  AbstractTimeline timeline_;

  // Drift jumps (check_steady): the state before the jump, and what the rounds after it must show.
  struct Saved {
    double now;
    std::vector<ComputeStream> comp;
    std::vector<CommStream> comm;
    std::vector<Arrivals> arrived;
    std::vector<int64_t> posted;
    std::vector<Flow> flows;
    std::deque<Snapshot> snapshots;  // the last three, which showed the drift
    std::vector<size_t> round_starts;
    size_t flows_recorded;
  };
  struct Expectation {
    Snapshot base;                  // the last simulated snapshot before the jump
    std::vector<double> dt, db;     // per-round change of each relative time and byte count
    double increment = 0, accel = 0;  // the base round's length and its change per round
    int k = 0, verified = 0;        // rounds jumped; rounds after the jump checked so far
  };
  std::optional<Saved> saved_;
  std::optional<Expectation> expect_;
  int jump_ = 8;  // rounds of the next jump: doubled after each verified one, halved after a failed one
  int no_jump_before_ = 0;
  int jumps_kept_ = 0;  // jumps applied and not undone  // after a failed one-round jump: the drift has changed, wait for the next

  void make_ready(int actor) {
    if (in_ready_[static_cast<size_t>(actor)]) return;
    in_ready_[static_cast<size_t>(actor)] = 1;
    ready_.push_back(actor);
  }
  void sleep_until(int actor, double t) { timers_.push({t, timer_seq_++, actor}); }
  int prev(int w) const { return (w + m_ - 1) % m_; }

  // ---- compute stream ----
  void advance(ComputeStream& s) {
    if (++s.pc == prog_.round.size()) s.pc = 0, ++s.round;
  }

  // Sleeps the merged compute; true if there was some (the op is handled after it).
  bool flush(int w, ComputeStream& s) {
    if (s.pending <= 0) return false;
    s.state = ComputeState::Sleeping;
    s.wake = now_ + static_cast<double>(s.pending) * unit_[static_cast<size_t>(w)];
    s.pending = 0;
    sleep_until(2 * w, s.wake);
    return true;
  }

  void step_compute(int w) {
    ComputeStream& s = comp_[static_cast<size_t>(w)];
    if (s.state == ComputeState::Done) return;
    if (s.state == ComputeState::Sleeping && s.wake > now_) return;
    if (s.state == ComputeState::Blocked) {
      if (s.blocked >= comm_[static_cast<size_t>(w)].done) return;  // not yet
      advance(s);                                                   // the wait is over
    }
    s.state = ComputeState::Ready;
    for (;;) {
      const RoundOp& op = prog_.round[s.pc];
      switch (op.kind) {
        case RoundOp::Kind::Compute:
          s.pending += op.count;
          break;
        case RoundOp::Kind::Wait: {
          const int round = s.round + op.round_offset;
          if (round < 0) break;  // nothing before round 0
          if (flush(w, s)) return;
          const int64_t slot = slots_.slot(round, op.reduce);
          if (slot >= comm_[static_cast<size_t>(w)].done) {
            s.state = ComputeState::Blocked;
            s.blocked = slot;
            return;
          }
          break;
        }
        case RoundOp::Kind::Request: {
          if (flush(w, s)) return;
          CommStream& c = comm_[static_cast<size_t>(w)];
          c.queue.push_back(slots_.slot(s.round, op.reduce));
          if (c.state == CommState::Idle && c.current < 0) make_ready(2 * w + 1);
          break;
        }
        case RoundOp::Kind::RoundStart: {
          auto& starts = timeline_.round_start[static_cast<size_t>(w)];
          starts.push_back(now_ + static_cast<double>(s.pending) * unit_[static_cast<size_t>(w)]);
          if (w == 0 && searching_) snapshot_due_ = true, ++simulated_rounds_;
          if (s.round >= end_round_) {
            s.state = ComputeState::Done;
            return;
          }
          break;
        }
      }
      advance(s);
    }
  }

  // ---- communication stream ----
  void post(int w, int64_t message) {
    Flow f{w, message, prog_.ring_chunk, now_, flow_size_, 0, now_, 0};
    flows_.push_back(f);
    posted_[static_cast<size_t>(w)] = message + 1;
    touch(w);
  }

  void arrive(const Flow& f) {
    const int dst = (f.src + 1) % m_;
    arrived_[static_cast<size_t>(dst)].set(f.message);
    timeline_.flows.push_back({f.src, f.message / steps_, static_cast<int>(f.message % steps_), f.bytes, f.start, now_});
    const CommStream& c = comm_[static_cast<size_t>(dst)];
    if (c.state == CommState::Awaiting && c.current * steps_ + c.step == f.message) make_ready(2 * dst + 1);
  }

  void step_comm(int w) {
    CommStream& c = comm_[static_cast<size_t>(w)];
    for (;;) {
      switch (c.state) {
        case CommState::Idle:
          if (c.queue.empty()) return;
          c.current = c.queue.front();
          c.queue.pop_front();
          c.step = 0;
          post(w, c.current * steps_);
          c.state = CommState::Awaiting;
          break;
        case CommState::Awaiting: {
          if (!arrived_[static_cast<size_t>(w)].has(c.current * steps_ + c.step)) return;
          const double latency = wan_.ring_latency[static_cast<size_t>(prev(w))];
          if (latency > 0) {
            c.state = CommState::Sleeping;
            c.wake = now_ + latency;
            sleep_until(2 * w + 1, c.wake);
            return;
          }
          next_step(w, c);
          break;
        }
        case CommState::Sleeping:
          if (c.wake > now_) return;
          next_step(w, c);
          break;
      }
    }
  }

  void next_step(int w, CommStream& c) {
    if (++c.step < steps_) {
      post(w, c.current * steps_ + c.step);
      c.state = CommState::Awaiting;
      return;
    }
    c.done = c.current + 1;
    arrived_[static_cast<size_t>(w)].consumed_below(c.done * steps_);
    c.current = -1;
    c.state = CommState::Idle;
    const ComputeStream& s = comp_[static_cast<size_t>(w)];
    if (s.state == ComputeState::Blocked && s.blocked < c.done) make_ready(2 * w);
  }

  // ---- network: max-min fair rates over the WAN link halves ----
  // SimGrid's lazy update, followed to the rounding: only the flows connected (through shared
  // link halves) to one that started or ended get a new rate; each brings its remaining bytes to
  // now at its old rate and gets a new finish date. The others keep theirs untouched.
  size_t half(const std::pair<int, bool>& l) const { return 2 * static_cast<size_t>(l.first) + (l.second ? 1 : 0); }
  void touch(int src) {
    for (const auto& l : wan_.ring_route[static_cast<size_t>(src)]) touched_[half(l)] = 1;
    rates_dirty_ = true;
  }

  void solve_rates() {
    rates_dirty_ = false;
    const size_t halves = touched_.size();
    // The connected component(s) of the touched halves.
    std::vector<char> modified(flows_.size(), 0);
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t i = 0; i < flows_.size(); ++i) {
        if (modified[i]) continue;
        const auto& route = wan_.ring_route[static_cast<size_t>(flows_[i].src)];
        if (std::none_of(route.begin(), route.end(), [&](const auto& l) { return touched_[half(l)] != 0; })) continue;
        modified[i] = 1, grew = true;
        for (const auto& l : route) touched_[half(l)] = 1;
      }
    }
    std::fill(touched_.begin(), touched_.end(), 0);
    // Max-min fair shares (progressive filling, all weights equal).
    std::vector<double> capacity(halves), rate(flows_.size(), -1);
    std::vector<int> count(halves, 0);
    for (size_t h = 0; h < halves; ++h) capacity[h] = wan_.bandwidth[h / 2];
    for (const Flow& f : flows_)
      for (const auto& l : wan_.ring_route[static_cast<size_t>(f.src)]) ++count[half(l)];
    size_t unfixed = flows_.size();
    while (unfixed > 0) {
      size_t best = halves;
      double share = INFINITY;
      for (size_t h = 0; h < halves; ++h)
        if (count[h] > 0 && capacity[h] / count[h] < share) share = capacity[h] / count[h], best = h;
      if (best == halves) throw InternalError("exact loop: a flow crosses no link");
      for (size_t i = 0; i < flows_.size(); ++i) {
        if (rate[i] >= 0) continue;
        const auto& route = wan_.ring_route[static_cast<size_t>(flows_[i].src)];
        if (std::none_of(route.begin(), route.end(), [&](const auto& l) { return half(l) == best; })) continue;
        rate[i] = share;
        --unfixed;
        for (const auto& l : route) capacity[half(l)] -= share, --count[half(l)];
      }
    }
    for (size_t i = 0; i < flows_.size(); ++i) {
      if (!modified[i]) continue;
      Flow& f = flows_[i];
      f.remaining = std::max(0.0, f.remaining - f.rate * (now_ - f.last));
      f.last = now_;
      f.rate = rate[i];
      f.finish = now_ + f.remaining / f.rate;
    }
  }

  // ---- steady state ----
  // Every quantity of the state, in a fixed order, with its kind (see the visitors). Called at
  // the end of an instant (no actor ready), with every flow's remaining bytes brought to now.
  template <class V>
  void walk(V& v) {
    for (int w = 0; w < m_; ++w) {
      ComputeStream& c = comp_[static_cast<size_t>(w)];
      v.round(c.round);
      v.plain(static_cast<int64_t>(c.pc));
      v.plain(c.pending);
      v.plain(static_cast<int64_t>(c.state));
      v.slot(c.blocked, c.state == ComputeState::Blocked);
      v.time(c.wake, c.state == ComputeState::Sleeping);
      CommStream& m = comm_[static_cast<size_t>(w)];
      v.plain(static_cast<int64_t>(m.state));
      v.slot(m.current, m.current >= 0);
      v.plain(m.step);
      v.slot(m.done, true);
      v.plain(static_cast<int64_t>(m.queue.size()));
      for (int64_t& q : m.queue) v.slot(q, true);
      v.time(m.wake, m.state == CommState::Sleeping);
      v.message(posted_[static_cast<size_t>(w)]);
      // Messages that arrived ahead of the stream (flags from its first unconsumed one).
      Arrivals& a = arrived_[static_cast<size_t>(w)];
      v.message(a.base);
      v.plain(static_cast<int64_t>(a.flags.size()));
      for (uint8_t f : a.flags) v.plain(f);
    }
    // Flows in a fixed order, without reordering flows_ (its order is the order of their
    // arithmetic, which a snapshot must not change).
    std::vector<Flow*> flows;
    for (Flow& f : flows_) flows.push_back(&f);
    std::sort(flows.begin(), flows.end(),
              [](const Flow* a, const Flow* b) { return a->src != b->src ? a->src < b->src : a->message < b->message; });
    v.plain(static_cast<int64_t>(flows.size()));
    for (Flow* fp : flows) {
      Flow& f = *fp;
      v.plain(f.src);
      v.message(f.message);
      v.bytes(f.remaining, f.remaining - f.rate * (now_ - f.last));  // remaining as of now
      v.time(f.start, true);
    }
  }

  Snapshot snapshot() {
    Snapshot s;
    s.round = comp_[0].round;
    s.time = now_;
    const int64_t base = slots_.slot(s.round, 0);
    SnapshotVisitor v{s, base, base * steps_, s.round, now_};
    walk(v);
    return s;
  }

  // Drift jumps: relative times equal to 1e-9 of a round, bytes to 1e-9 of a message.
  double time_tolerance(double round) const { return 1e-9 * round; }
  double bytes_tolerance() const { return 1e-9 * flow_size_; }

  // A repeated state: equal to the rounding of the clock (64 units in the last place of the
  // time, or 1e-13 of a round), bytes as many seconds' worth at the fastest link. Tight on
  // purpose: where flows share links, states a little apart can drift apart for good.
  bool same_state(const Snapshot& a, const Snapshot& b) const {
    if (a.ints != b.ints || a.times.size() != b.times.size() || a.bytes.size() != b.bytes.size()) return false;
    const double ulp = std::nextafter(a.time, INFINITY) - a.time;
    const double tol_t = std::max(64 * ulp, 1e-13 * (a.time - b.time) / (a.round - b.round));
    const double tol_b = tol_t * *std::max_element(wan_.bandwidth.begin(), wan_.bandwidth.end());
    for (size_t i = 0; i < a.times.size(); ++i)
      if (std::fabs(a.times[i] - b.times[i]) > tol_t) return false;
    for (size_t i = 0; i < a.bytes.size(); ++i)
      if (std::fabs(a.bytes[i] - b.bytes[i]) > tol_b) return false;
    return true;
  }

  static uint64_t hash_ints(const std::vector<int64_t>& v) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t x : v) h = (h ^ static_cast<uint64_t>(x)) * 0x100000001b3ull;
    return h;
  }

  void remember(Snapshot s) {
    if (!s.extrapolated) by_ints_.emplace(hash_ints(s.ints), ordinal_);
    ++ordinal_;
    snapshots_.push_back(std::move(s));
    while (static_cast<int>(snapshots_.size()) > std::max(limits_.max_period, 3)) snapshots_.pop_front(), ++first_ordinal_;
  }
  void forget_snapshots() {
    candidate_period_ = 0;
    snapshots_.clear();
    by_ints_.clear();
    first_ordinal_ = ordinal_;
  }

  // Stops the search: rounds [first, first + period) are the steady state. Plays on until the
  // peak-rate window past them is covered (two rounds of margin for workers out of phase with
  // worker 0), then stops.
  void settle(const Snapshot& now, int first, int period, bool cycle) {
    period_ = period;
    steady_round_ = first;
    cycle_ = cycle;
    const double round = (now.time - timeline_.round_start[0][static_cast<size_t>(first)]) / (now.round - first);
    int end = now.round + 2 + static_cast<int>(std::ceil(window_ / round));
    for (const ComputeStream& c : comp_) end = std::max(end, c.round + 1);
    end_round_ = end;
    searching_ = false;
    forget_snapshots();
    expect_.reset(), saved_.reset();
  }

  void check_steady() {
    Snapshot now = snapshot();
    if (expect_ && !verify_jump(now)) return;  // restored the state from before the jump
    // The most recent earlier snapshot equal to this one: the run repeats with that period.
    auto [lo, hi] = by_ints_.equal_range(hash_ints(now.ints));
    const Snapshot* match = nullptr;
    for (auto it = lo; it != hi; ++it) {
      if (it->second < first_ordinal_) continue;
      const Snapshot& then = snapshots_[static_cast<size_t>(it->second - first_ordinal_)];
      if ((!match || then.round > match->round) && now.round - then.round <= limits_.max_period && same_state(now, then))
        match = &then;
    }
    // A match is confirmed by the next `period` rounds each matching theirs too.
    if (match) {
      const int p = now.round - match->round;
      if (candidate_period_ != p) candidate_period_ = p, candidate_round_ = match->round;
      if (now.round - candidate_round_ >= 2 * p) return settle(now, candidate_round_, p, true);
    } else {
      candidate_period_ = 0;
    }
    if (give_up_from_ == 0 && !expect_ && (simulated_rounds_ >= limits_.max_rounds || now.round > kMaxRound)) {
      // No repeating state within the limit (a cycle too long, or none: sharing can make the run
      // aperiodic). Play kMeanRounds more rounds without jumps (the state must be a simulated
      // one) and settle for their mean.
      give_up_from_ = now.round + 2;  // every worker is past any jump by then
    }
    if (give_up_from_ > 0 && now.round >= give_up_from_ + kMeanRounds)
      return settle(now, give_up_from_, now.round - give_up_from_, false);
    remember(std::move(now));
    if (!expect_ && limits_.jumps && give_up_from_ == 0) try_jump();
  }

  // A linear drift: the last three rounds have the same discrete state and every relative time
  // and byte count changes by the same amount from one to the next (the round length too may
  // change, by a constant). A slow drift of this kind (a straggler sliding out of phase, a
  // backlog growing or draining) can last thousands of rounds before the state locks into its
  // steady cycle. As long as the order of the events within a round does not change, the state k
  // rounds later is exactly the linear extrapolation (every event time is affine in the round);
  // the two rounds simulated after the jump check that the order still holds (a changed order
  // breaks the line), otherwise the state is restored and the jump halved.
  void try_jump() {
    if (snapshots_.size() < 3) return;
    const Snapshot& s2 = snapshots_[snapshots_.size() - 1];
    const Snapshot& s1 = snapshots_[snapshots_.size() - 2];
    const Snapshot& s0 = snapshots_[snapshots_.size() - 3];
    if (s2.round < no_jump_before_ || s0.extrapolated || s1.extrapolated || s2.round - s1.round != 1 ||
        s1.round - s0.round != 1)
      return;
    if (s2.ints != s1.ints || s1.ints != s0.ints) return;
    const double increment = s2.time - s1.time, accel = increment - (s1.time - s0.time);
    const double tol_t = time_tolerance(increment), tol_b = bytes_tolerance();
    Expectation e;
    e.base = s2;
    e.increment = increment;
    e.accel = accel;
    for (size_t i = 0; i < s2.times.size(); ++i) {
      e.dt.push_back(s2.times[i] - s1.times[i]);
      if (std::fabs(e.dt.back() - (s1.times[i] - s0.times[i])) > tol_t) return;
    }
    for (size_t i = 0; i < s2.bytes.size(); ++i) {
      e.db.push_back(s2.bytes[i] - s1.bytes[i]);
      if (std::fabs(e.db.back() - (s1.bytes[i] - s0.bytes[i])) > tol_b) return;
    }
    e.k = jump_;
    saved_ = Saved{now_, comp_, comm_, arrived_, posted_, flows_, {snapshots_.end() - 3, snapshots_.end()}, {},
                   timeline_.flows.size()};
    for (const auto& r : timeline_.round_start) saved_->round_starts.push_back(r.size());
    const double k = e.k, new_now = now_ + k * increment + accel * k * (k + 1) / 2;
    JumpVisitor v{e.k, static_cast<int64_t>(e.k) * slots_.per_round, static_cast<int64_t>(e.k) * slots_.per_round * steps_,
                  now_, new_now, e.dt, e.db};
    walk(v);
    ++jumps_kept_;
    now_ = new_now;
    for (auto& r : timeline_.round_start) r.insert(r.end(), static_cast<size_t>(e.k), NAN);  // not simulated
    after_state_change(true);
    expect_ = std::move(e);
    forget_snapshots();
    Snapshot jumped = snapshot();
    jumped.extrapolated = true;
    remember(std::move(jumped));
  }

  // The rounds after a jump must continue the line; false: they did not, the state is restored.
  bool verify_jump(const Snapshot& now) {
    Expectation& e = *expect_;
    const int j = e.k + ++e.verified;  // rounds since the base
    const Snapshot& prev = snapshots_.back();
    bool ok = now.ints == e.base.ints && now.times.size() == e.base.times.size() && now.bytes.size() == e.base.bytes.size();
    const double increment = e.increment + j * e.accel, tol_t = time_tolerance(increment), tol_b = bytes_tolerance();
    ok = ok && std::fabs((now.time - prev.time) - increment) <= tol_t;
    for (size_t i = 0; ok && i < now.times.size(); ++i) ok = std::fabs(now.times[i] - (e.base.times[i] + j * e.dt[i])) <= tol_t;
    for (size_t i = 0; ok && i < now.bytes.size(); ++i) ok = std::fabs(now.bytes[i] - (e.base.bytes[i] + j * e.db[i])) <= tol_b;
    if (ok) {
      if (e.verified == 2) expect_.reset(), saved_.reset(), jump_ = std::min(2 * jump_, kMaxJump);
      return true;
    }
    Saved& s = *saved_;
    now_ = s.now;
    comp_ = std::move(s.comp);
    comm_ = std::move(s.comm);
    arrived_ = std::move(s.arrived);
    posted_ = std::move(s.posted);
    flows_ = std::move(s.flows);
    forget_snapshots();
    for (auto& snap : s.snapshots) remember(std::move(snap));
    for (size_t w = 0; w < timeline_.round_start.size(); ++w) timeline_.round_start[w].resize(s.round_starts[w]);
    timeline_.flows.resize(s.flows_recorded);
    --jumps_kept_;
    after_state_change(false);
    jump_ = e.k / 2;
    if (jump_ < 1) jump_ = 8, no_jump_before_ = e.base.round + 4;
    expect_.reset(), saved_.reset();
    return false;
  }

  // After the state was replaced: timers from the sleeping streams, rates from the flows.
  // After the state was replaced: timers from the sleeping streams; after a jump (not a
  // restore, which brings back flows as they were) every flow's rate from its new remaining bytes.
  void after_state_change(bool jumped) {
    timers_ = {};
    for (int w = 0; w < m_; ++w) {
      if (comp_[static_cast<size_t>(w)].state == ComputeState::Sleeping) sleep_until(2 * w, comp_[static_cast<size_t>(w)].wake);
      if (comm_[static_cast<size_t>(w)].state == CommState::Sleeping) sleep_until(2 * w + 1, comm_[static_cast<size_t>(w)].wake);
    }
    std::fill(touched_.begin(), touched_.end(), 0);
    if (!jumped) return;
    for (Flow& f : flows_) f.last = now_, touch(f.src);
    solve_rates();
  }
};

}  // namespace

LoopOutcome play_exact(const AbstractProgram& program, const AbstractWan& wan, const std::vector<double>& unit,
                       double window, const LoopLimits& limits) {
  return ExactLoop(program, wan, unit, window, limits).run();
}

}  // namespace trainsim
