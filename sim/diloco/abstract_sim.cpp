#include "diloco/abstract_sim.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <simgrid/s4u/ConditionVariable.hpp>
#include <simgrid/s4u/Mutex.hpp>
#include <sstream>

#include "diloco/sync_plan.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "engine/transport.hpp"
#include "network/network.hpp"
#include "output/table_printer.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {

PlatformSpec abstract_platform(const PlatformSpec& platform, double wan_gbps) {
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
  if (wan_gbps > 0 && !tiny.wan.empty()) {
    // Heterogeneous WAN links keep their ratios to the first one, which gets the swept value.
    const double scale = wan_gbps * 1e9 / 8 / tiny.wan.front().bandwidth;
    for (auto& w : tiny.wan) w.bandwidth *= scale;
  }
  return tiny;
}

namespace {

struct Flow {
  int src, dst;
  double bytes, start, end;
};

struct Worker {
  int gpu = 0;
  double unit = 0;  // seconds of one per-layer node (forward, backward-input or backward-weight)
  sg4::MutexPtr mutex;
  sg4::ConditionVariablePtr cv;
  std::deque<std::pair<int, uint64_t>> requests;  // (layer, reduce sequence number)
  std::vector<char> done;                         // by reduce sequence number
  std::vector<double> begin;                      // start of each step's compute
  std::unique_ptr<Inbox> inbox;
  std::vector<Flow> received;
};

// Compute actor of one worker: the per-step DAG played in order, with consecutive work
// merged into one sleep between the points where it waits for, or starts, a reduce.
void play_compute(Worker& w, const SyncPlan& plan, int total_steps, const std::vector<std::vector<char>>& synced,
                  int step_label, Recorder& rec) {
  const int layers = plan.layers();
  std::vector<std::deque<std::pair<int, uint64_t>>> needs(layers);  // (step needing it, seq)
  uint64_t seq = 0;
  double pending = 0;
  auto flush = [&](int step) {
    if (pending <= 0) return;
    const double t0 = sg4::Engine::get_clock();
    sg4::this_actor::sleep_for(pending);
    output::ActivityRecord r;
    r.start = t0, r.end = t0 + pending, r.gpu = w.gpu, r.step = step, r.label = step_label;
    r.kind = output::ActivityKind::Compute;
    rec.activity(r);
    pending = 0;
  };
  w.begin.assign(total_steps + 1, 0);
  for (int k = 0; k <= total_steps; ++k) {
    for (int l = 0; l < layers; ++l) {
      while (!needs[l].empty() && needs[l].front().first <= k) {
        flush(k);
        const uint64_t s = needs[l].front().second;
        needs[l].pop_front();
        const double t0 = sg4::Engine::get_clock();
        std::unique_lock lock(*w.mutex);
        while (!w.done[s]) w.cv->wait(lock);
        output::ActivityRecord r;
        r.start = t0, r.end = sg4::Engine::get_clock(), r.gpu = w.gpu, r.step = k;
        r.kind = output::ActivityKind::Wait;
        if (r.end > r.start) rec.activity(r);
      }
      if (l == 0) w.begin[k] = sg4::Engine::get_clock() + pending;
      pending += w.unit;  // forward
    }
    if (k == total_steps) break;  // the closing step only waits for what it needs
    const auto& sync = synced[k % plan.inner_steps()];
    for (int l = layers - 1; l >= 0; --l) {
      pending += w.unit;  // backward-weight: the layer's gradient is complete after it
      if (sync[l]) {
        flush(k);
        std::unique_lock lock(*w.mutex);
        w.requests.emplace_back(l, seq);
        needs[l].emplace_back(k + 1 + plan.result_lag(), seq);
        ++seq;
        w.cv->notify_all();
      }
      if (l > 0) pending += w.unit;  // backward-input (the first layer has none)
    }
  }
  flush(total_steps);
}

// Communication actor of one worker: reduces in request order, each a ring over the workers.
void play_comm(std::vector<Worker>& workers, int index, const SyncPlan& plan, size_t reduces, Network& net,
               Recorder& rec, int sync_label) {
  Worker& w = workers[index];
  const int m = static_cast<int>(workers.size());
  Worker& next = workers[(index + 1) % m];
  const int prev_gpu = workers[(index + m - 1) % m].gpu;
  const double latency = net.route_latency(prev_gpu, w.gpu);
  for (size_t i = 0; i < reduces; ++i) {
    std::pair<int, uint64_t> req;
    {
      std::unique_lock lock(*w.mutex);
      while (w.requests.empty()) w.cv->wait(lock);
      req = w.requests.front();
      w.requests.pop_front();
    }
    const double t0 = sg4::Engine::get_clock();
    for (int s = 0; s < plan.ring_steps(); ++s) {
      const uint64_t tag = (req.second << 8) | static_cast<uint64_t>(s);
      next.inbox->post(w.gpu, tag, plan.ring_chunk());
      Message msg = w.inbox->receive(tag);
      w.received.push_back({msg.src_gpu, msg.dst_gpu, msg.bytes, msg.posted_at, msg.arrived_at});
      if (latency > 0) sg4::this_actor::sleep_for(latency);
    }
    output::ActivityRecord r;
    r.start = t0, r.end = sg4::Engine::get_clock(), r.gpu = w.gpu, r.peer = next.gpu;
    r.bytes = plan.bytes_sent_per_worker_per_layer(), r.chunk = req.first, r.label = sync_label;
    r.kind = output::ActivityKind::OuterSync;
    rec.activity(r);
    std::unique_lock lock(*w.mutex);
    w.done[req.second] = 1;
    w.cv->notify_all();
  }
}

// Most bytes carried in any window of length `window` by flows that each move their bytes at
// a constant rate over [start, end]. The bytes in a window starting at s, F(s + window) - F(s),
// are piecewise linear in s, so their maximum lies where s or s + window is a breakpoint.
double max_window_bytes(const std::vector<Flow>& flows, double window) {
  std::vector<std::pair<double, double>> changes;  // (time, rate change)
  double instant = 0;                              // zero-duration flows count at once
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
  for (double t : times)
    for (double s : {t, t - window}) best = std::max(best, at(s + window) - at(s));
  return best;
}

}  // namespace

AbstractResult simulate_abstract(const PlatformSpec& platform, const DilocoSpec& spec, const DilocoModel& model,
                                 const DilocoMethod& method, uint64_t seed, const AbstractRunOptions& options) {
  const int m = static_cast<int>(platform.clusters.size());
  if (m > 128) throw InputError(spec.where, "job", "at most 128 workers (datacenters) are supported");
  const SyncPlan plan(model, method, m);
  const int h = plan.inner_steps();
  const int rounds = spec.rounds;
  const int total_steps = rounds * h;

  // Which layers synchronise after a step (by step mod H), and how many reduces a run has.
  std::vector<std::vector<char>> synced(h, std::vector<char>(plan.layers(), 0));
  for (int s = 0; s < h; ++s)
    for (int f : plan.fragments_after(s))
      for (int l : plan.fragment_layers(f)) synced[s][l] = 1;
  size_t reduces = 0;
  for (int k = 0; k < total_steps; ++k)
    for (char c : synced[k % h]) reduces += c;

  Simulation sim(abstract_platform(platform, options.wan_gbps), seed);
  Network& net = sim.network();
  Recorder rec(net, options.keep_activities);
  const int step_label = rec.label("inner step " + model.name);
  const int sync_label = rec.label("outer sync " + method.name);

  std::vector<Worker> workers(m);
  for (int i = 0; i < m; ++i) {
    Worker& w = workers[i];
    w.gpu = i;  // one GPU per cluster, clusters in file order
    const double factor = i < static_cast<int>(spec.workers.size()) ? spec.workers[i].step_time_factor : 1.0;
    w.unit = model.step_time * factor / (3.0 * plan.layers() - 1.0);
    w.mutex = sg4::Mutex::create();
    w.cv = sg4::ConditionVariable::create();
    w.done.assign(reduces, 0);
    w.inbox = std::make_unique<Inbox>("diloco.inbox." + std::to_string(i), i, &rec);
  }
  for (int i = 0; i < m; ++i) {
    sim.spawn("compute." + std::to_string(i), workers[i].gpu,
              [&, i] { play_compute(workers[i], plan, total_steps, synced, step_label, rec); });
    auto comm = sim.spawn("comm." + std::to_string(i), workers[i].gpu,
                          [&, i] { play_comm(workers, i, plan, reduces, net, rec, sync_label); });
    workers[i].inbox->bind(comm);
  }
  const double makespan = sim.run();

  // The job's wall time over the measured rounds is the slowest worker's; a faster worker that
  // ran ahead (possible with eager updates within a few rounds) is idle for the difference.
  AbstractResult res;
  double compute_sum = 0, slowest = 0;
  for (const Worker& w : workers) slowest = std::max(slowest, w.begin[total_steps] - w.begin[h]);
  for (const Worker& w : workers) {
    WorkerOutcome o;
    o.window = slowest;
    o.compute = (total_steps - h) * w.unit * (3.0 * plan.layers() - 1.0);
    o.wait = o.window - o.compute;
    compute_sum += o.compute;
    res.workers.push_back(o);
  }
  res.utilization = slowest > 0 ? compute_sum / (m * slowest) : 0;
  res.round_time = slowest / (rounds - 1);
  {
    double worst = 0;
    for (const auto& c : platform.clusters)
      worst = std::max(worst, plan.extra_memory_per_gpu(model.parameters, c.nodes * c.gpus_per_node));
    res.extra_memory_per_gpu = worst;
  }

  // WAN traffic: per link, per direction rate events for the peak, bytes per link.
  // Peak: bytes per link direction in windows of one inner step (the reference step time),
  // over the window length: the rate the link must sustain during the busiest step.
  std::map<std::pair<int, bool>, std::vector<Flow>> per_direction;
  std::map<int, double> link_bytes;
  const auto& links = net.links();
  const double window_start = workers[0].begin[h], window_end = workers[0].begin[total_steps];
  for (const auto& w : workers)
    for (const auto& f : w.received) {
      bool counted = false;
      for (const LinkInfo* li : net.route(f.src, f.dst)) {
        if (li->tier != LinkTier::Wan) continue;
        const int idx = static_cast<int>(li - links.data());
        link_bytes[idx] += f.bytes;
        res.wan_bytes += f.bytes;
        if (!counted && f.start >= window_start && f.start < window_end) res.wan_bytes_per_round += f.bytes;
        counted = true;
        per_direction[{idx, f.src < f.dst}].push_back(f);
      }
    }
  res.wan_bytes_per_round /= (rounds - 1);
  for (const auto& [key, flows] : per_direction)
    res.peak_wan_bandwidth =
        std::max(res.peak_wan_bandwidth, max_window_bytes(flows, model.step_time) / model.step_time);
  for (const auto& [idx, bytes] : link_bytes) {
    res.wan_link_names.push_back(links[idx].name);
    res.wan_link_bytes.push_back(bytes);
  }

  if (options.trace) {
    output::TraceData& t = *options.trace;
    t = std::move(rec.finish(makespan));
    for (int i = 0; i < m; ++i) {
      output::GpuInfo g;
      g.name = "worker" + std::to_string(i);
      g.model = platform.clusters[i].gpu.name;
      g.cluster = platform.clusters[i].name;
      g.replica = i;
      t.gpus.push_back(g);
    }
    // Link load over time: the Recorder's series (every link that carried traffic, the WAN
    // among them), built from the flows it was charged with.
  }
  return res;
}

std::string AbstractResult::serialize() const {
  std::ostringstream out;
  auto num = [&](double v) { out << output::format_roundtrip(v) << ' '; };
  num(utilization), num(round_time), num(wan_bytes), num(wan_bytes_per_round), num(peak_wan_bandwidth),
      num(extra_memory_per_gpu);
  out << workers.size() << ' ';
  for (const auto& w : workers) num(w.compute), num(w.window), num(w.wait);
  out << wan_link_names.size() << ' ';
  for (size_t i = 0; i < wan_link_names.size(); ++i) out << wan_link_names[i] << ' ', num(wan_link_bytes[i]);
  return out.str();
}

AbstractResult AbstractResult::parse(const std::string& text) {
  std::istringstream in(text);
  AbstractResult r;
  size_t n = 0;
  in >> r.utilization >> r.round_time >> r.wan_bytes >> r.wan_bytes_per_round >> r.peak_wan_bandwidth >>
      r.extra_memory_per_gpu >> n;
  r.workers.resize(n);
  for (auto& w : r.workers) in >> w.compute >> w.window >> w.wait;
  in >> n;
  r.wan_link_names.resize(n);
  r.wan_link_bytes.resize(n);
  for (size_t i = 0; i < n; ++i) in >> r.wan_link_names[i] >> r.wan_link_bytes[i];
  if (!in) throw InternalError("malformed abstract DiLoCo result: " + text);
  return r;
}

}  // namespace trainsim
