#include "program/executor.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>

#include "program/index.hpp"

namespace trainsim::program {
namespace {

constexpr double kNotYet = std::numeric_limits<double>::quiet_NaN();


// The k-th synchronising collective of a group: who has entered it, and when the last did.
struct Instance {
  int entered = 0, left = 0;
  double last_entry = -std::numeric_limits<double>::infinity();
  std::vector<int> waiting;  // stream ids blocked in it
};

struct Stream {
  int rank = 0, stream = 0;
  size_t next = 0;  // position in ProgramIndex::stream_ops
  double t = 0;
  Context ctx{};
  double entered_at = kNotYet;  // when it entered the collective it is blocked in
  bool done = false;
  std::string blocked_on{};     // for deadlock messages
};

class Executor {
 public:
  Executor(const ProgramSet& set, const CostModel& costs, Observer* observer)
      : set_(set), costs_(costs), observer_(observer), index_(index_programs(set)), positions_(group_positions(set)) {
    const size_t nstreams = set.streams.size();
    for (size_t r = 0; r < set.ranks.size(); ++r) {
      const auto& ix = index_[set.ranks[r].program];
      events_.emplace_back(ix.event_stream.size(), kNotYet);
      for (size_t s = 0; s < nstreams; ++s) {
        if (ix.stream_ops[s].empty()) continue;
        stream_of_[r * nstreams + s] = static_cast<int>(streams_.size());
        streams_.push_back({static_cast<int>(r), static_cast<int>(s)});
      }
    }
    sequence_.resize(set.ranks.size());
    for (size_t r = 0; r < set.ranks.size(); ++r) sequence_[r].assign(set.ranks[r].groups.size(), 0);
  }

  double run() {
    std::deque<int> ready;
    for (size_t i = 0; i < streams_.size(); ++i) ready.push_back(static_cast<int>(i));
    while (!ready.empty()) {
      const int s = ready.front();
      ready.pop_front();
      advance(s, ready);
    }
    double makespan = 0;
    std::string blocked;
    int first = -1;
    for (size_t i = 0; i < streams_.size(); ++i) {
      const Stream& st = streams_[i];
      makespan = std::max(makespan, st.t);
      if (st.done) continue;
      if (first < 0) first = static_cast<int>(i);
      if (blocked.size() < 2000) blocked += "; " + describe(st);
    }
    if (first >= 0) {
      const Stream& st = streams_[first];
      const Rank& rank = set_.ranks[st.rank];
      throw ProgramDeadlock(st.rank, rank.program,
                            static_cast<int>(index_[rank.program].stream_ops[st.stream][st.next]),
                            "the programs deadlock" + blocked);
    }
    return makespan;
  }

 private:
  const ProgramSet& set_;
  const CostModel& costs_;
  Observer* observer_;
  std::vector<ProgramIndex> index_;
  std::vector<std::vector<int32_t>> positions_;
  std::vector<Stream> streams_;
  std::unordered_map<size_t, int> stream_of_;  // rank * streams + stream -> index
  std::vector<std::vector<double>> events_;    // per rank
  std::vector<std::vector<int>> sequence_;     // per rank and slot: synchronising collectives entered
  std::unordered_map<MessageKey, double, MessageKeyHash> posted_;  // message -> post time
  std::unordered_map<MessageKey, int, MessageKeyHash> receivers_;  // message -> blocked receiver
  std::unordered_map<uint64_t, Instance> instances_;             // (group, k) -> state
  std::unordered_map<uint64_t, std::vector<int>> event_waiters_; // (rank, event) -> streams

  std::string describe(const Stream& st) const {
    const Rank& rank = set_.ranks[st.rank];
    const uint32_t op = index_[rank.program].stream_ops[st.stream][st.next];
    return "rank " + std::to_string(st.rank) + " (GPU " + std::to_string(rank.gpu) + ") stream '" +
           set_.streams[st.stream] + "' at op " + std::to_string(op) + " (" +
           op_kind_name(set_.programs[rank.program].ops[op].kind()) + ") waits for " + st.blocked_on;
  }

  void report(const Stream& st, const Op& op, const OpTiming& t) {
    if (observer_) observer_->op_done(st.rank, op, t, st.ctx);
  }

  int group_of(int rank, int slot) const { return set_.ranks[rank].groups[slot]; }

  // Runs stream `s` until it blocks or ends.
  void advance(int s, std::deque<int>& ready) {
    Stream& st = streams_[s];
    const Rank& rank = set_.ranks[st.rank];
    const Program& prog = set_.programs[rank.program];
    const ProgramIndex& ix = index_[rank.program];
    const auto& ops = ix.stream_ops[st.stream];
    while (st.next < ops.size()) {
      const Op& op = prog.ops[ops[st.next]];
      OpTiming t;
      t.start = st.t;
      switch (op.kind()) {
        case OpKind::Compute:
          st.t += op.as<Compute>().seconds * rank.compute_scale;
          break;
        case OpKind::Send: {
          const auto& m = op.as<Send>();
          const int g = group_of(st.rank, op.slot);
          const MessageKey key{g, positions_[st.rank][op.slot], m.peer, m.tag};
          posted_[key] = st.t;
          if (auto it = receivers_.find(key); it != receivers_.end()) {
            ready.push_back(it->second);
            receivers_.erase(it);
          }
          break;
        }
        case OpKind::Recv: {
          const auto& m = op.as<Recv>();
          const int g = group_of(st.rank, op.slot);
          const MessageKey key{g, m.peer, positions_[st.rank][op.slot], m.tag};
          auto it = posted_.find(key);
          if (it == posted_.end()) {
            receivers_[key] = s;
            st.blocked_on = "a message from rank " + std::to_string(m.peer) + " of group '" + set_.groups[g].name +
                            "' with tag " + std::to_string(m.tag);
            return;
          }
          const int src_gpu = set_.groups[g].gpus[m.peer];
          double usable = it->second + costs_.transfer(src_gpu, rank.gpu, m.bytes);
          if (m.gather_slot >= 0) {
            const Collective gather{m.gather_bytes, 1, 0, -1, CollectiveKind::AllGather, CollectiveAlgorithm::Ring,
                                    Granularity::ClosedForm};
            usable += costs_.collective(group_of(st.rank, m.gather_slot), positions_[st.rank][m.gather_slot], gather, nullptr);
          }
          t.posted = it->second;
          t.ready = usable;
          t.peer_gpu = src_gpu;
          posted_.erase(it);
          st.t = std::max(st.t, usable);
          break;
        }
        case OpKind::Collective: {
          const auto& c = op.as<Collective>();
          const int g = group_of(st.rank, op.slot);
          const int me = positions_[st.rank][op.slot];
          const double* per_peer = c.per_peer >= 0 ? prog.values.data() + c.per_peer : nullptr;
          if (c.granularity == Granularity::ClosedForm) {
            st.t += costs_.collective(g, me, c, per_peer);
            break;
          }
          const uint64_t key = (static_cast<uint64_t>(g) << 32) | static_cast<uint32_t>(sequence_[st.rank][op.slot]);
          Instance& inst = instances_[key];
          const int n = static_cast<int>(set_.groups[g].gpus.size());
          if (std::isnan(st.entered_at)) {  // entering it now
            st.entered_at = st.t;
            ++inst.entered;
            inst.last_entry = std::max(inst.last_entry, st.t);
            if (inst.entered < n) {
              inst.waiting.push_back(s);
              st.blocked_on = "the other members of group '" + set_.groups[g].name + "' to enter its collective #" +
                              std::to_string(sequence_[st.rank][op.slot]);
              return;
            }
            for (int w : inst.waiting) ready.push_back(w);
            inst.waiting.clear();
          }
          // Every member has entered: this one completes its part.
          t.start = st.entered_at;
          st.t = inst.last_entry + costs_.collective(g, me, c, per_peer);
          st.entered_at = kNotYet;
          ++sequence_[st.rank][op.slot];
          if (++inst.left == n) instances_.erase(key);
          break;
        }
        case OpKind::Record: {
          const int e = op.as<Record>().event;
          events_[st.rank][e] = st.t;
          const uint64_t key = (static_cast<uint64_t>(st.rank) << 32) | static_cast<uint32_t>(e);
          if (auto it = event_waiters_.find(key); it != event_waiters_.end()) {
            for (int w : it->second) ready.push_back(w);
            event_waiters_.erase(it);
          }
          break;
        }
        case OpKind::Wait: {
          const int e = op.as<Wait>().event;
          const double at = events_[st.rank][e];
          if (std::isnan(at)) {
            event_waiters_[(static_cast<uint64_t>(st.rank) << 32) | static_cast<uint32_t>(e)].push_back(s);
            st.blocked_on = "event " + std::to_string(e) + " of stream '" + set_.streams[ix.event_stream[e]] + "'";
            return;
          }
          t.source_stream = ix.event_stream[e];
          st.t = std::max(st.t, at);
          break;
        }
        case OpKind::Marker:
          st.ctx.apply(op.as<Marker>());
          break;
        case OpKind::Alloc:
        case OpKind::Free:
          break;
      }
      t.end = st.t;
      report(st, op, t);
      ++st.next;
    }
    st.done = true;
  }
};

}  // namespace

double execute(const ProgramSet& set, const CostModel& costs, Observer* observer) {
  return Executor(set, costs, observer).run();
}

}  // namespace trainsim::program
