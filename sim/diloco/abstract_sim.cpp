#include "diloco/abstract_sim.hpp"

#include <deque>
#include <memory>
#include <simgrid/s4u/ConditionVariable.hpp>
#include <simgrid/s4u/Mutex.hpp>

#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "engine/transport.hpp"
#include "network/heterogeneity.hpp"
#include "network/network.hpp"
#include "platform/link_names.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {

PlatformSpec abstract_platform(const PlatformSpec& platform, double wan_gbps, uint64_t seed) {
  PlatformSpec tiny;
  tiny.name = platform.name + "-abstract";
  tiny.file = platform.file;
  // Inside a datacenter nothing is modelled (the paper's simulation models only the WAN):
  // the GPU's NIC and port are made so fast that they never limit a WAN flow.
  constexpr double kUnlimited = 1e15;
  for (const auto& c : platform.clusters) {
    ClusterSpec one = c;
    one.nodes = 1;
    one.gpus_per_node = 1;
    one.intra = {IntraNodeKind::NvSwitch, kUnlimited, 0};
    one.nic = {1, kUnlimited, 0};
    one.fabric = FabricSpec{};
    tiny.clusters.push_back(one);
  }
  tiny.wan = platform.wan;
  // The heterogeneity rules of network/heterogeneity.hpp on a table of the WAN links alone, part
  // of the platform (a rule about other links is no typo there: it changes nothing here).
  std::vector<LinkInfo> links;
  LinkNameIndex index;
  for (const auto& w : platform.wan) {
    index.emplace(link_names::wan(w.a, w.b), links.size());
    links.push_back({link_names::wan(w.a, w.b), LinkTier::Wan, w.bandwidth, w.bandwidth, w.latency, nullptr});
  }
  apply_spreads(platform.spreads, seed, links, index, &platform);
  apply_overrides(platform.overrides, links, index, &platform);
  for (size_t i = 0; i < links.size(); ++i) tiny.wan[i].bandwidth = links[i].bandwidth, tiny.wan[i].latency = links[i].latency;
  if (wan_gbps > 0 && !tiny.wan.empty()) {
    // Heterogeneous WAN links keep their ratios to the first one, which gets the swept value.
    const double scale = wan_gbps * 1e9 / 8 / tiny.wan.front().bandwidth;
    for (auto& w : tiny.wan) w.bandwidth *= scale;
  }
  return tiny;
}

namespace {

// A message's tag: its slot and ring step (at most 254 steps: 128 workers).
uint64_t tag_of(int64_t slot, int step) { return (static_cast<uint64_t>(slot) << 8) | static_cast<uint64_t>(step); }

struct Worker {
  int gpu = 0;
  double unit = 0;  // seconds of one compute node
  sg4::MutexPtr mutex;
  sg4::ConditionVariablePtr cv;
  std::deque<int64_t> requests;  // slots requested, not started
  int64_t done = 0;              // slots below are done
  std::unique_ptr<Inbox> inbox;
  std::vector<double> round_start;
  std::vector<TimelineFlow> received;
};

struct Labels {
  int step, sync;
};

// Compute actor of one worker: the program's ops, consecutive compute merged into one sleep.
void play_compute(Worker& w, const AbstractProgram& prog, const SlotNumbering& slots, int rounds, Labels labels,
                  Recorder& rec) {
  int round = 0;
  int64_t pending = 0;
  auto flush = [&] {
    if (pending <= 0) return;
    const double t0 = sg4::Engine::get_clock(), d = static_cast<double>(pending) * w.unit;
    sg4::this_actor::sleep_for(d);
    output::ActivityRecord r;
    r.start = t0, r.end = t0 + d, r.gpu = w.gpu, r.step = round, r.label = labels.step;
    r.kind = output::ActivityKind::Compute;
    rec.activity(r);
    pending = 0;
  };
  for (size_t pc = 0;; pc = pc + 1 == prog.round.size() ? (++round, 0) : pc + 1) {
    const RoundOp& op = prog.round[pc];
    switch (op.kind) {
      case RoundOp::Kind::Compute:
        pending += op.count;
        break;
      case RoundOp::Kind::Wait: {
        const int r = round + op.round_offset;
        if (r < 0) break;  // nothing before round 0
        flush();
        const int64_t slot = slots.slot(r, op.reduce);
        const double t0 = sg4::Engine::get_clock();
        std::unique_lock lock(*w.mutex);
        while (w.done <= slot) w.cv->wait(lock);
        output::ActivityRecord a;
        a.start = t0, a.end = sg4::Engine::get_clock(), a.gpu = w.gpu, a.step = round;
        a.kind = output::ActivityKind::Wait;
        if (a.end > a.start) rec.activity(a);
        break;
      }
      case RoundOp::Kind::Request: {
        flush();
        std::unique_lock lock(*w.mutex);
        w.requests.push_back(slots.slot(round, op.reduce));
        w.cv->notify_all();
        break;
      }
      case RoundOp::Kind::RoundStart:
        w.round_start.push_back(sg4::Engine::get_clock() + static_cast<double>(pending) * w.unit);
        if (round >= rounds) return;
        break;
    }
  }
}

// Communication actor of one worker: reduces in request order, each a ring over the workers.
void play_comm(std::vector<Worker>& workers, int index, const AbstractProgram& prog, const SlotNumbering& slots,
               int64_t total, Network& net, Recorder& rec, int sync_label) {
  Worker& w = workers[static_cast<size_t>(index)];
  const int m = static_cast<int>(workers.size());
  Worker& next = workers[static_cast<size_t>((index + 1) % m)];
  const int prev_gpu = workers[static_cast<size_t>((index + m - 1) % m)].gpu;
  const double latency = net.route_latency(prev_gpu, w.gpu);
  for (int64_t i = 0; i < total; ++i) {
    int64_t slot = 0;
    {
      std::unique_lock lock(*w.mutex);
      while (w.requests.empty()) w.cv->wait(lock);
      slot = w.requests.front();
      w.requests.pop_front();
    }
    const double t0 = sg4::Engine::get_clock();
    for (int s = 0; s < prog.ring_steps; ++s) {
      next.inbox->post(w.gpu, tag_of(slot, s), prog.ring_chunk);
      Message msg = w.inbox->receive(tag_of(slot, s));
      w.received.push_back({msg.src_gpu, slot, s, msg.bytes, msg.posted_at, msg.arrived_at});
      if (latency > 0) sg4::this_actor::sleep_for(latency);
    }
    output::ActivityRecord r;
    r.start = t0, r.end = sg4::Engine::get_clock(), r.gpu = w.gpu, r.peer = next.gpu;
    r.bytes = prog.ring_steps * prog.ring_chunk, r.label = sync_label, r.kind = output::ActivityKind::OuterSync;
    r.chunk = prog.reduce_layer[static_cast<size_t>(slots.reduce_of(slot))];
    rec.activity(r);
    std::unique_lock lock(*w.mutex);
    w.done = slot + 1;
    w.cv->notify_all();
  }
}

}  // namespace

AbstractTimeline play_simgrid(const PlatformSpec& platform, double wan_gbps, const AbstractProgram& program,
                              const std::vector<double>& unit, const AbstractRun& run, uint64_t seed,
                              const SimgridPlayOptions& options) {
  const int m = static_cast<int>(platform.clusters.size());
  const SlotNumbering slots(program);
  Simulation sim(abstract_platform(platform, wan_gbps, seed), seed);
  Network& net = sim.network();
  Recorder rec(net, options.trace != nullptr);
  const Labels labels{rec.label(options.step_label), rec.label(options.sync_label)};

  std::vector<Worker> workers(static_cast<size_t>(m));
  for (int i = 0; i < m; ++i) {
    Worker& w = workers[static_cast<size_t>(i)];
    w.gpu = i;  // one GPU per cluster, clusters in file order
    w.unit = unit[static_cast<size_t>(i)];
    w.mutex = sg4::Mutex::create();
    w.cv = sg4::ConditionVariable::create();
    w.inbox = std::make_unique<Inbox>("diloco.inbox." + std::to_string(i), i, &rec);
  }
  const int64_t total = slots.total(run.rounds);
  for (int i = 0; i < m; ++i) {
    sim.spawn("compute." + std::to_string(i), i,
              [&, i] { play_compute(workers[static_cast<size_t>(i)], program, slots, run.rounds, labels, rec); });
    auto comm = sim.spawn("comm." + std::to_string(i), i,
                          [&, i] { play_comm(workers, i, program, slots, total, net, rec, labels.sync); });
    workers[static_cast<size_t>(i)].inbox->bind(comm);
  }
  const double makespan = sim.run();

  AbstractTimeline tl;
  for (auto& w : workers) {
    tl.round_start.push_back(std::move(w.round_start));
    tl.flows.insert(tl.flows.end(), w.received.begin(), w.received.end());
  }
  if (options.trace) {
    output::TraceData& t = *options.trace;
    t = std::move(rec.finish(makespan));
    for (int i = 0; i < m; ++i) {
      output::GpuInfo g;
      g.name = "worker" + std::to_string(i);
      g.model = platform.clusters[static_cast<size_t>(i)].gpu.name;
      g.cluster = platform.clusters[static_cast<size_t>(i)].name;
      g.replica = i;
      t.gpus.push_back(g);
    }
  }
  return tl;
}

}  // namespace trainsim
