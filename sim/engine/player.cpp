#include "engine/player.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Semaphore.hpp>

#include "collective/closed_form.hpp"
#include "collective/network_costs.hpp"
#include "collective/topology.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "engine/transport.hpp"
#include "network/network.hpp"
#include "program/executor.hpp"
#include "program/index.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {
namespace {

using program::Context;
using program::Op;
using program::OpKind;
using program::OpTiming;

// Point-to-point tags of programs are below 2^63; their messages carry bit 63 so that they
// never match a collective's messages on the same endpoint.
constexpr uint64_t kPointToPoint = 1ull << 63;
constexpr double kNotYet = std::numeric_limits<double>::quiet_NaN();

// The links a member's closed-form flows charge per byte of the collective.
struct Charge {
  Recorder::Route route;
  double per_byte;
};

struct StreamState;

struct GroupState {
  std::vector<std::unique_ptr<Inbox>> inboxes;  // when some member exchanges messages in it
  std::vector<uint64_t> sequence;               // per member: flow collectives issued
  std::unique_ptr<GroupTopology> topology;      // on first use
  std::unique_ptr<ClosedForms> closed;
  // (kind, algorithm, root) -> per member: its charges, once computed.
  std::map<std::tuple<int, int, int>, std::vector<std::optional<std::vector<Charge>>>> charges;
  // The synchronising collective being entered: how many members have, the latest entry and
  // the streams waiting for the others (Player::rendezvous).
  int entered = 0;
  double latest_entry = -std::numeric_limits<double>::infinity();
  std::vector<StreamState*> waiting;
};

struct StreamState {
  double t = 0;  // the stream's clock: never behind the simulated clock
  size_t next = 0;    // position in its ops (for deadlock reports)
  bool done = false;
  Context ctx;
  sg4::SemaphorePtr wake;  // released by the stream it waits for, or by a group's last member
  int32_t waiting = -1;    // the event it is blocked on
  std::vector<sg4::CommPtr> sends;  // scratch of its flow collectives
};

struct RankState {
  int id = 0;
  const program::Rank* rank = nullptr;
  const program::Program* program = nullptr;
  const program::ProgramIndex* index = nullptr;
  const std::vector<int32_t>* positions = nullptr;  // per slot: position in the group
  std::vector<double> events;
  std::vector<StreamState> streams;
};

// A collective's flows between the inboxes of its group's members.
class InboxSink final : public FlowSink {
 public:
  InboxSink(GroupState& group, int rank, int gpu, std::vector<sg4::CommPtr>& scratch)
      : group_(group), rank_(rank), gpu_(gpu), pending_(scratch) {}
  void exchange(uint64_t tag, const std::vector<FlowSend>& sends, int receives) override {
    pending_.clear();
    for (const FlowSend& s : sends) pending_.push_back(group_.inboxes[s.dst]->send(gpu_, tag, s.bytes));
    for (int i = 0; i < receives; ++i) group_.inboxes[rank_]->receive(tag);
    for (auto& c : pending_) c->wait();
    pending_.clear();
  }
  void pause(double seconds) override { sg4::this_actor::sleep_for(seconds); }

 private:
  GroupState& group_;
  int rank_, gpu_;
  std::vector<sg4::CommPtr>& pending_;
};

class Player {
 public:
  Player(Simulation& sim, const program::ProgramSet& set, const PlayOptions& options)
      : sim_(sim),
        net_(sim.network()),
        set_(set),
        recorder_(options.recorder),
        observer_(options.observer),
        folded_groups_(options.folded_groups),
        index_(program::index_programs(set)),
        positions_(program::group_positions(set)),
        groups_(set.groups.size()),
        ranks_(set.ranks.size()) {
    trace_ = recorder_ && recorder_->keeps_activities();
    if (trace_)
      for (const auto& l : set.labels) labels_.push_back(recorder_->label(l));
    // Message endpoints for the groups whose members exchange messages.
    std::vector<bool> endpoints(set.groups.size(), false);
    for (const auto& rank : set.ranks) {
      const auto& ix = index_[rank.program];
      for (size_t s = 0; s < rank.groups.size(); ++s)
        if (rank.groups[s] >= 0 && ix.endpoint_stream[s] >= 0) endpoints[rank.groups[s]] = true;
    }
    for (size_t g = 0; g < set.groups.size(); ++g) {
      const auto& group = set.groups[g];
      groups_[g].sequence.assign(group.gpus.size(), 0);
      if (!endpoints[g]) continue;
      for (size_t i = 0; i < group.gpus.size(); ++i)
        groups_[g].inboxes.push_back(
            std::make_unique<Inbox>(group.name + "#" + std::to_string(i), group.gpus[i], recorder_));
    }
    for (size_t r = 0; r < set.ranks.size(); ++r) {
      RankState& rs = ranks_[r];
      rs.id = static_cast<int>(r);
      rs.rank = &set.ranks[r];
      rs.program = &set.programs[rs.rank->program];
      rs.index = &index_[rs.rank->program];
      rs.positions = &positions_[r];
      rs.events.assign(rs.program->events, kNotYet);
      rs.streams.resize(set.streams.size());
      for (size_t s = 0; s < set.streams.size(); ++s)
        if (!rs.index->stream_ops[s].empty()) rs.streams[s].wake = sg4::Semaphore::create(0);
      if (recorder_) {
        auto& info = recorder_->trace().gpus[rs.rank->gpu];
        info.stage = rs.rank->info.stage, info.tp_rank = rs.rank->info.tp_rank;
        info.dp_rank = rs.rank->info.dp_rank, info.replica = rs.rank->info.replica;
      }
    }
    // Closed forms the programs use (per program: slot and call, without bytes), for every rank.
    std::vector<std::vector<std::pair<int, CollectiveCall>>> closed(set.programs.size());
    for (size_t p = 0; p < set.programs.size(); ++p) {
      auto& mine = closed[p];
      auto add = [&](int slot, CollectiveCall call) {
        call.bytes = 1, call.count = 1;
        for (const auto& [s, c] : mine)
          if (s == slot && c.kind == call.kind && c.algorithm == call.algorithm && c.root == call.root) return;
        mine.emplace_back(slot, call);
      };
      for (const Op& op : set.programs[p].ops) {
        if (op.kind() == OpKind::Recv && op.as<program::Recv>().gather_slot >= 0) {
          CollectiveCall gather;
          gather.kind = CollectiveKind::AllGather;
          add(op.as<program::Recv>().gather_slot, gather);
        } else if (op.kind() == OpKind::Collective && op.as<program::Collective>().granularity == Granularity::ClosedForm) {
          // Per-peer all-to-alls are timed as given when they run, but their group's closed
          // forms must exist before then too (the unit plan prepared here is not used for them).
          add(op.slot, collective_call(op.as<program::Collective>(), nullptr));
        }
      }
    }
    for (const RankState& rs : ranks_)
      for (const auto& [slot, call] : closed[rs.rank->program])
        prepare_closed_form(rs.rank->groups[slot], (*rs.positions)[slot], rs.rank->gpu, call);
  }

  // One actor per stream with ops, bound to the endpoints its stream owns.
  void spawn() {
    for (RankState& rs : ranks_) {
      for (size_t s = 0; s < set_.streams.size(); ++s) {
        if (rs.index->stream_ops[s].empty()) continue;
        // (A capture small enough for std::function's inline buffer: no allocation per actor.)
        const int64_t at = static_cast<int64_t>(rs.id) << 8 | static_cast<int64_t>(s);
        auto actor = sim_.spawn("gpu" + std::to_string(rs.rank->gpu) + "." + set_.streams[s], rs.rank->gpu,
                                [this, at] { run(ranks_[at >> 8], static_cast<int>(at & 0xFF)); });
        for (size_t slot = 0; slot < rs.rank->groups.size(); ++slot)
          if (rs.index->endpoint_stream[slot] == static_cast<int>(s))
            groups_[rs.rank->groups[slot]].inboxes[(*rs.positions)[slot]]->bind(actor);
      }
    }
  }

 private:
  Simulation& sim_;
  const Network& net_;
  const program::ProgramSet& set_;
  Recorder* recorder_;
  program::Observer* observer_;
  const std::vector<char>* folded_groups_;
  bool trace_ = false;
  std::vector<int32_t> labels_;  // program label -> recorder label
  std::vector<program::ProgramIndex> index_;
  std::vector<std::vector<int32_t>> positions_;
  std::vector<GroupState> groups_;
  std::vector<RankState> ranks_;

  static void catch_up(const StreamState& st) {
    if (st.t > Simulation::now()) sg4::this_actor::sleep_until(st.t);
  }

  // A synchronising collective (a barrier, or flows) starts for every member when the last has
  // entered it, at the latest entry: the executor's rule (docs/programs.md, "When a collective
  // starts"), so that a ring's members arriving at different times agree in both. Played in the
  // streams' own clocks: the entering stream records its clock without catching the simulated
  // clock up; the last member to enter gives every waiting member the latest entry as its clock.
  // (A member cannot enter the group's next collective before all have entered this one.)
  void rendezvous(int g, StreamState& st) {
    GroupState& gs = groups_[g];
    gs.latest_entry = std::max(gs.latest_entry, st.t);
    if (++gs.entered < static_cast<int>(set_.groups[g].gpus.size())) {
      gs.waiting.push_back(&st);
      st.wake->acquire();  // st.t is the latest entry now
      return;
    }
    // The group is ready for its next collective before any member is released: a release is a
    // simcall, after which SimGrid may run the released members first.
    st.t = gs.latest_entry;
    std::vector<StreamState*> released;
    released.swap(gs.waiting);
    gs.entered = 0;
    gs.latest_entry = -std::numeric_limits<double>::infinity();
    for (StreamState* w : released) {
      w->t = st.t;
      w->wake->release();
    }
  }

  GroupTopology& topology(int g) {
    GroupState& gs = groups_[g];
    if (!gs.topology) {
      const auto& gpus = set_.groups[g].gpus;
      gs.topology = std::make_unique<GroupTopology>(net_, std::vector<int>(gpus.begin(), gpus.end()));
      gs.closed = std::make_unique<ClosedForms>(*gs.topology);
    }
    return *gs.topology;
  }

  // A closed-form collective: its seconds from `start`, its flows' bytes charged to their links.
  // The closed form of `call` for member `me` of group g, and the links its flows charge per
  // byte: evaluated once per (group, kind, algorithm, root), before the actors start (so that
  // their stacks stay shallow).
  const std::vector<Charge>& prepare_closed_form(int g, int me, int gpu, const CollectiveCall& call) {
    topology(g);
    ClosedForms& cf = *groups_[g].closed;
    cf.seconds(me, call);
    auto& per_member = groups_[g].charges[{static_cast<int>(call.kind), static_cast<int>(call.algorithm), call.root}];
    if (per_member.empty()) per_member.resize(set_.groups[g].gpus.size());
    auto& mine = per_member[me];
    if (!mine) {
      mine.emplace();
      if (recorder_) {
        CollectiveCall unit = call;
        unit.bytes = 1;
        const auto& gpus = set_.groups[g].gpus;
        if (folded_groups_ && (*folded_groups_)[g]) {
          // Only this member plays: it charges the flows of every member, each on its own route.
          for (size_t m = 0; m < gpus.size(); ++m) {
            cf.seconds(static_cast<int>(m), call);
            cf.for_each_flow(static_cast<int>(m), unit, [&](int dst, double bytes) {
              mine->push_back({recorder_->route(gpus[m], gpus[dst], /*expand=*/false), bytes});
            });
          }
        } else {
          cf.for_each_flow(me, unit, [&](int dst, double bytes) { mine->push_back({recorder_->route(gpu, gpus[dst]), bytes}); });
        }
      }
    }
    return *mine;
  }

  // A closed-form collective: its seconds from `start`, its flows' bytes charged to their links.
  double closed_form(const RankState& rs, int g, int me, const CollectiveCall& call, double start) {
    ClosedForms& cf = *groups_[g].closed;
    const double end = start + cf.seconds(me, call);
    if (!recorder_) return end;
    if (call.per_peer) {  // its own byte counts: no unit plan to cache
      const auto& gpus = set_.groups[g].gpus;
      cf.for_each_flow(me, call, [&](int dst, double bytes) { recorder_->flow(rs.rank->gpu, gpus[dst], bytes, start, end); });
      return end;
    }
    for (const Charge& c : prepare_closed_form(g, me, rs.rank->gpu, call)) recorder_->flow(c.route, c.per_byte * call.bytes, start, end);
    return end;
  }

  void run(RankState& rs, int s) {
    StreamState& st = rs.streams[s];
    const program::Rank& rank = *rs.rank;
    const program::Program& prog = *rs.program;
    for (; st.next < rs.index->stream_ops[s].size(); ++st.next) {
      const Op& op = prog.ops[rs.index->stream_ops[s][st.next]];
      OpTiming t;
      t.start = st.t;
      switch (op.kind()) {
        case OpKind::Compute:
          st.t += op.as<program::Compute>().seconds * rank.compute_scale;
          break;
        case OpKind::Send: {
          const auto& m = op.as<program::Send>();
          catch_up(st);
          groups_[rank.groups[op.slot]].inboxes[m.peer]->post(rank.gpu, kPointToPoint | m.tag, m.bytes);
          break;
        }
        case OpKind::Recv: {
          const auto& m = op.as<program::Recv>();
          const Message msg = groups_[rank.groups[op.slot]].inboxes[(*rs.positions)[op.slot]]->receive(kPointToPoint | m.tag);
          double ready = msg.arrived_at + net_.route_latency(msg.src_gpu, rank.gpu);
          if (m.gather_slot >= 0) {
            CollectiveCall gather;
            gather.kind = CollectiveKind::AllGather, gather.bytes = m.gather_bytes;
            ready = closed_form(rs, rank.groups[m.gather_slot], (*rs.positions)[m.gather_slot], gather, ready);
          }
          t.posted = msg.posted_at, t.ready = ready, t.peer_gpu = msg.src_gpu;
          st.t = std::max(st.t, ready);
          break;
        }
        case OpKind::Collective: {
          const auto& c = op.as<program::Collective>();
          const int g = rank.groups[op.slot], me = (*rs.positions)[op.slot];
          if (c.kind == CollectiveKind::Barrier) {
            rendezvous(g, st);
            break;
          }
          const CollectiveCall call = collective_call(c, c.per_peer >= 0 ? prog.values.data() + c.per_peer : nullptr);
          if (c.granularity == Granularity::ClosedForm) {
            st.t = closed_form(rs, g, me, call, st.t);
            break;
          }
          rendezvous(g, st);
          catch_up(st);
          GroupState& gs = groups_[g];
          InboxSink sink(gs, me, rank.gpu, st.sends);
          run_collective(topology(g), me, gs.sequence[me]++, call, sink);
          st.t = Simulation::now();
          break;
        }
        case OpKind::Record: {
          const int e = op.as<program::Record>().event;
          rs.events[e] = st.t;
          for (auto& other : rs.streams)
            if (other.waiting == e) {
              other.waiting = -1;
              other.wake->release();
            }
          break;
        }
        case OpKind::Wait: {
          const int e = op.as<program::Wait>().event;
          if (std::isnan(rs.events[e])) {
            st.waiting = e;
            st.wake->acquire();
          }
          st.t = std::max(st.t, rs.events[e]);
          t.source_stream = rs.index->event_stream[e];
          break;
        }
        case OpKind::Marker:
          st.ctx.apply(op.as<program::Marker>());
          break;
        case OpKind::Alloc:
        case OpKind::Free:
          break;
      }
      t.end = st.t;
      if (observer_) observer_->op_done(rs.id, op, t, st.ctx);
      if (trace_) trace(rs, op, t, st.ctx);
    }
    st.done = true;
    catch_up(st);  // the simulated clock reaches the stream's end (the makespan)
  }

 public:
  bool all_done() const {
    for (const RankState& rs : ranks_)
      for (size_t s = 0; s < rs.streams.size(); ++s)
        if (!rs.streams[s].done && !rs.index->stream_ops[s].empty()) return false;
    return true;
  }

  // After a deadlock: the blocked streams and the ops they are blocked in.
  [[noreturn]] void report_deadlock(double at) const {
    std::string blocked;
    int rank = -1, program = -1, op = -1;
    for (const RankState& rs : ranks_)
      for (size_t s = 0; s < rs.streams.size(); ++s) {
        const StreamState& st = rs.streams[s];
        const auto& ops = rs.index->stream_ops[s];
        if (st.done || ops.empty()) continue;
        const uint32_t i = ops[st.next];
        if (rank < 0) rank = rs.id, program = rs.rank->program, op = static_cast<int>(i);
        if (blocked.size() < 2000)
          blocked += "; rank " + std::to_string(rs.id) + " (GPU " + std::to_string(rs.rank->gpu) + ") stream '" +
                     set_.streams[s] + "' at op " + std::to_string(i) + " (" +
                     program::op_kind_name(rs.program->ops[i].kind()) + ")";
      }
    throw program::ProgramDeadlock(rank, program, op,
                                   "the programs deadlock at t = " + std::to_string(at) + " s" + blocked);
  }

 private:

  // The activity an op leaves in the trace (docs/programs.md, "Traces").
  void trace(const RankState& rs, const Op& op, const OpTiming& t, const Context& ctx) {
    output::ActivityRecord a;
    a.start = t.start, a.end = t.end;
    a.kind = op.role;
    switch (op.kind()) {
      case OpKind::Compute:
        a.flops = op.as<program::Compute>().flops;
        break;
      case OpKind::Recv:
        a.start = t.posted, a.end = t.ready, a.bytes = op.as<program::Recv>().bytes, a.peer = t.peer_gpu;
        break;
      case OpKind::Collective:
        if (op.as<program::Collective>().kind == CollectiveKind::Barrier) {
          if (!(t.end > t.start)) return;
          a.kind = output::ActivityKind::Wait;
        }
        a.bytes = op.as<program::Collective>().bytes;
        break;
      case OpKind::Wait:
        if (!(t.end > t.start)) return;
        a.kind = output::ActivityKind::Wait;
        break;
      default:
        return;
    }
    a.gpu = rs.rank->gpu;
    a.stage = rs.rank->info.stage;
    a.micro_batch = ctx[program::MarkerKind::MicroBatch];
    const int chunk = ctx[program::MarkerKind::Chunk];
    a.chunk = chunk >= 0 ? chunk : ctx[program::MarkerKind::Fragment];
    a.step = ctx[program::MarkerKind::Iteration];
    a.label = op.label >= 0 ? labels_[op.label] : -1;
    recorder_->activity(a);
  }
};

}  // namespace

std::vector<int> gpus_of(const program::ProgramSet& set) {
  std::vector<int> gpus;
  gpus.reserve(set.ranks.size());
  for (const auto& r : set.ranks) gpus.push_back(r.gpu);
  std::sort(gpus.begin(), gpus.end());
  return gpus;
}

double play(Simulation& sim, const program::ProgramSet& set, const PlayOptions& options) {
  Player player(sim, set, options);
  player.spawn();
  double makespan = 0;
  try {
    makespan = sim.run();
  } catch (const SimulationDeadlock&) {
    player.report_deadlock(Simulation::now());
  }
  // SimGrid ends actors blocked on messages that can never come (its own deadlock detection):
  // every stream must have played its last op.
  if (!player.all_done()) player.report_deadlock(Simulation::now());
  return makespan;
}

}  // namespace trainsim
