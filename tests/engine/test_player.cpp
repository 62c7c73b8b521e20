// The SimGrid player against the reference executor (the programs' semantics), on every shipped
// scenario's programs, and on hand-written programs checked by hand: streams and events,
// messages, collectives on their own stream overlapping compute, all-to-all with per-peer
// byte counts, closed-form collectives charged to their links.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

#include "collective/network_costs.hpp"
#include "engine/isolated.hpp"
#include "engine/player.hpp"
#include "engine/recorder.hpp"
#include "engine/simulation.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"
#include "network/network.hpp"
#include "program/format.hpp"
#include "program/validate.hpp"
#include "support/platforms.hpp"
#include "support/programs.hpp"

using namespace trainsim;
using namespace trainsim::program;
namespace fs = std::filesystem;

namespace {

// End time of every op of every rank, as a player reports it.
class EndTimes final : public Observer {
 public:
  explicit EndTimes(const ProgramSet& set) : set_(set), ends_(set.ranks.size()) {
    for (size_t r = 0; r < set.ranks.size(); ++r) ends_[r].assign(set.programs[set.ranks[r].program].ops.size(), -1);
  }
  void op_done(int rank, const Op& op, const OpTiming& t, const Context&) override {
    const auto& ops = set_.programs[set_.ranks[rank].program].ops;
    ends_[rank][&op - ops.data()] = t.end;
  }
  const std::vector<std::vector<double>>& ends() const { return ends_; }

 private:
  const ProgramSet& set_;
  std::vector<std::vector<double>> ends_;
};

// The shipped scenario at a small size: one iteration (two DiLoCo rounds, one method), at most
// two data-parallel replicas, collective sizes up to 1 MiB.
Scenario small(Scenario s) {
  auto shrink = [](TrainingSpec& t, int iterations) {
    auto& p = t.plan;
    p.iterations = iterations;
    // (MoE: as few replicas as hold one expert-parallel group.)
    const int min_dp = std::max(2, p.experts.ep * p.expert_tp() / p.tp);
    if (p.order == RankOrder::Megatron && p.dp > min_dp) {
      const int m = p.micro_batches();
      p.dp = min_dp;
      p.global_batch = m * p.micro_batch * p.dp;
    }
    // (HSDP: shard groups that still divide the replicas, two of them when there are two.)
    if (p.fsdp.shard_group > 0 && p.dp % p.fsdp.shard_group != 0) p.fsdp.shard_group = std::max(1, p.dp / 2);
  };
  if (s.job.is<TrainingSpec>()) {
    TrainingSpec t = s.job.as<TrainingSpec>();
    shrink(t, 1);
    s.job = t;
  }
  if (const auto* spec = s.job.get_if<DilocoSpec>(); spec && spec->training) {
    DilocoSpec d = *spec;
    d.rounds = 2;
    d.methods.resize(1);
    shrink(*d.training, 1);
    s.job = d;
  }
  if (s.job.is<CollectiveBenchSpec>()) {
    CollectiveBenchSpec c = s.job.as<CollectiveBenchSpec>();
    c.max_bytes = std::min(c.max_bytes, 1024.0 * 1024);
    s.job = c;
  }
  return s;
}

// The programs with no bytes on their flows (one byte each on the network), so that the network
// adds only latencies and no contention: what the executor's costs describe exactly.
void latency_only(ProgramSet& set) {
  for (auto& p : set.programs) {
    std::fill(p.values.begin(), p.values.end(), 0.0);  // per-peer byte counts
    for (auto& op : p.ops) {
      if (auto* s = std::get_if<Send>(&op.what)) s->bytes = 0;
      if (auto* r = std::get_if<Recv>(&op.what)) r->bytes = 0;
      if (auto* c = std::get_if<Collective>(&op.what); c && c->granularity != Granularity::ClosedForm) {
        c->bytes = 0;
      }
    }
  }
}

// Plays the scenario's (small, latency-only) programs with both players and returns the largest
// difference of any op's end time (seconds), the op count compared and the makespan.
std::string compare_players(const fs::path& file) {
  const Scenario s = small(load_scenario_file(file.string()));
  auto sets = job_programs(s);
  ProgramSet set = std::move(sets.front().set);
  latency_only(set);
  Simulation sim(s.platform, s.seed);
  EndTimes played(set), executed(set);
  const double makespan = play(sim, set, {nullptr, &played});
  const double reference = execute(set, NetworkCosts(sim.network(), set), &executed);
  double worst = std::abs(makespan - reference);
  size_t ops = 0;
  for (size_t r = 0; r < set.ranks.size(); ++r)
    for (size_t i = 0; i < played.ends()[r].size(); ++i, ++ops)
      worst = std::max(worst, std::abs(played.ends()[r][i] - executed.ends()[r][i]));
  std::ostringstream os;
  os.precision(17);
  os << worst << " " << ops << " " << reference;
  return os.str();
}

std::vector<fs::path> scenarios_with_programs() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(TRAINSIM_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() != ".yaml" || e.path().string().find("/platforms/") != std::string::npos) continue;
    // 16,384 GPUs at 131,072 tokens: too big to play twice here (docs/validation.md).
    if (e.path().string().find("/scenarios/long-context/") != std::string::npos) continue;
    const Scenario s = load_scenario_file(e.path().string());
    if (const auto* d = s.job.get_if<DilocoSpec>(); d && d->worker != WorkerMode::Full) continue;
    out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the player and the reference executor agree on every shipped scenario's programs", "[engine]") {
  const auto files = scenarios_with_programs();
  REQUIRE(files.size() >= 15);
  std::vector<std::function<std::string()>> jobs;
  for (const auto& f : files) jobs.push_back([f] { return compare_players(f); });
  std::vector<ChildFailure> failures;
  const auto out = run_isolated_all(jobs, 2, &failures);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(files[i].filename().string() << ": " << failures[i].message);
    REQUIRE_FALSE(failures[i].failed);
    double worst = 1, makespan = 0;
    size_t ops = 0;
    std::istringstream(out[i]) >> worst >> ops >> makespan;
    INFO("worst end-time difference " << worst << " s, makespan " << makespan << " s, " << ops << " ops");
    CHECK(ops > 10);
    CHECK(makespan > 0);
    // Each message still carries one byte (1/bandwidth: 1e-11 s here) and SimGrid resolves event
    // times to 1e-9 s; any difference in semantics would be at least one latency (microseconds).
    CHECK(worst < std::max(1e-9, 1e-8 * makespan));
  }
}

namespace {

// Two GPUs on one node: 100 GB/s ports, 1 us latency everywhere.
constexpr double kPort = 100e9;

struct OneNode {
  Simulation sim{testing::uniform_cluster(1, 4, kPort, 25e9, 1e-6), 0};
  double latency(int a, int b) { return sim.network().route_latency(a, b); }
  // Index of GPU g's NVSwitch port among the network's links.
  int port(int g) {
    const auto* link = sim.network().find_link("c.n0.gpu" + std::to_string(g) + ".nvlink");
    REQUIRE(link);
    return static_cast<int>(link - sim.network().links().data());
  }
};

}  // namespace

TEST_CASE("player: a message is usable after its flow and its route latency: compute does not wait for it", "[engine]") {
  OneNode n;
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("g"), g = b.group("g", {0, 1});
  Program p0, p1;
  ProgramWriter w0(p0), w1(p1);
  w0.compute(cs, 0.5, Role::Forward);
  w0.send(cs, slot, 1, 1e9, 1);  // 10 ms on a 100 GB/s port
  w0.compute(cs, 0.25, Role::Forward);
  w1.recv(cs, slot, 0, 1e9, 1);
  w1.compute(cs, 0.125, Role::Forward);
  b.add_rank(0, p0, {g});
  b.add_rank(1, p1, {g});
  const auto set = b.finish();
  validate(set, 4);
  testing::TimingLog log(set);
  const double makespan = play(n.sim, set, {nullptr, &log});
  const double ready = 0.5 + 1e9 / kPort + n.latency(0, 1);
  CHECK(log.at(1, 0).posted == Approx(0.5).epsilon(1e-12));
  CHECK(log.at(1, 0).ready == Approx(ready).epsilon(1e-9));
  CHECK(log.at(1, 1).end == Approx(ready + 0.125).epsilon(1e-9));
  CHECK(log.at(0, 2).end == Approx(0.75).epsilon(1e-12));
  CHECK(makespan == Approx(std::max(0.75, ready + 0.125)).epsilon(1e-9));
}

TEST_CASE("player: sends posted by a stream that ends at once still arrive, back to back on the port", "[engine]") {
  // The player keeps its posted sends until they complete (engine/transport.hpp, PostedSends):
  // a stream that ends while they are in flight must not cancel them.
  OneNode n;
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("g"), g = b.group("g", {0, 1});
  Program p0, p1;
  ProgramWriter w0(p0), w1(p1);
  constexpr int kSends = 40;
  for (int i = 0; i < kSends; ++i) w0.send(cs, slot, 1, 1e9, i);  // 10 ms each on a 100 GB/s port
  for (int i = kSends - 1; i >= 0; --i) w1.recv(cs, slot, 0, 1e9, i);
  b.add_rank(0, p0, {g});
  b.add_rank(1, p1, {g});
  const auto set = b.finish();
  validate(set, 4);
  testing::TimingLog log(set);
  const double makespan = play(n.sim, set, {nullptr, &log});
  // All flows start at 0 and share the port: each arrives after kSends * 10 ms.
  const double ready = kSends * 1e9 / kPort + n.latency(0, 1);
  for (int i = 0; i < kSends; ++i) CHECK(log.at(1, i).ready == Approx(ready).epsilon(1e-9));
  CHECK(log.at(0, kSends - 1).end == 0);
  CHECK(makespan == Approx(ready).epsilon(1e-9));
}

TEST_CASE("player: a collective on its own stream overlaps compute until an event joins them", "[engine]") {
  // What tensor-parallel overlap needs: compute on "compute" while an all-reduce runs as flows on
  // "tp-comm"; the compute stream then waits for the all-reduce's event.
  OneNode n;
  Builder b;
  const int cs = b.stream("compute"), ts = b.stream("tp-comm"), slot = b.slot("tp");
  const int g = b.group("tp", {0, 1, 2, 3});
  const double S = 4e9;  // ring all-reduce: 2(n-1)/n S / B = 60 ms
  Program p;
  ProgramWriter w(p);
  const int start = w.record(cs);
  w.wait(ts, start);
  w.collective(ts, slot, testing::all_reduce(S), Role::TpComm);
  const int done = w.record(ts);
  w.compute(cs, 0.04, Role::Forward);  // 40 ms of compute under the all-reduce
  w.wait(cs, done);
  w.compute(cs, 0.01, Role::Forward);
  for (int gpu = 0; gpu < 4; ++gpu) b.add_rank(gpu, p, {g});
  const auto set = b.finish();
  validate(set, 4);
  testing::TimingLog log(set);
  play(n.sim, set, {nullptr, &log});
  const double ar = 2.0 * 3 / 4 * S / kPort + 6 * n.latency(0, 1);
  CHECK(log.at(0, 2).end == Approx(ar).epsilon(1e-6));
  CHECK(log.at(0, 4).end == Approx(0.04).epsilon(1e-12));  // the compute did not wait
  CHECK(log.at(0, 5).start == Approx(0.04).epsilon(1e-12));
  CHECK(log.at(0, 5).end == Approx(ar).epsilon(1e-6));      // joined at the all-reduce's end
  CHECK(log.at(0, 6).end == Approx(ar + 0.01).epsilon(1e-6));
}

TEST_CASE("player: all-to-all with per-peer byte counts loads each port with its row and column", "[engine]") {
  OneNode n;
  Recorder rec(n.sim.network(), false);
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("ep");
  const int g = b.group("ep", {0, 1, 2, 3});
  // bytes[i][j]: what rank i sends to rank j (an unbalanced expert-parallel dispatch).
  const double bytes[4][4] = {{0, 1e9, 2e9, 3e9}, {1e9, 0, 1e9, 1e9}, {0, 0, 0, 4e9}, {2e9, 2e9, 2e9, 0}};
  for (int i = 0; i < 4; ++i) {
    Program p;
    p.values.assign(bytes[i], bytes[i] + 4);
    Collective c;
    c.kind = CollectiveKind::AllToAll, c.algorithm = CollectiveAlgorithm::Direct, c.per_peer = 0;
    ProgramWriter(p).collective(cs, slot, c, Role::Collective);
    b.add_rank(i, p, {g});
  }
  const auto set = b.finish();
  validate(set, 4);
  testing::TimingLog log(set);
  play(n.sim, set, {&rec, &log});
  double busiest = 0;
  for (int i = 0; i < 4; ++i) {
    double out = 0, in = 0;
    for (int j = 0; j < 4; ++j) out += bytes[i][j], in += bytes[j][i];
    // Both directions of the port: what the rank sent and what it received (zero-byte messages
    // still move one byte).
    double zero = 0;
    for (int j = 0; j < 4; ++j) zero += (j != i && bytes[i][j] == 0) + (j != i && bytes[j][i] == 0);
    CHECK(rec.bytes_on_link(n.port(i)) == Approx(out + in + zero));
    busiest = std::max({busiest, out, in});
  }
  // The whole exchange is bound by the busiest port direction (rank 3 sends 6 GB): max-min
  // shares give it the port alone once the others are done.
  double last = 0;
  for (int i = 0; i < 4; ++i) last = std::max(last, log.at(i, 0).end);
  CHECK(last == Approx(busiest / kPort + n.latency(0, 1)).epsilon(1e-3));
}

TEST_CASE("player: closed-form collectives take the closed form and charge their ring's links", "[engine]") {
  OneNode n;
  Recorder rec(n.sim.network(), true);
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("tp");
  const int g = b.group("tp", {0, 1, 2, 3});
  const double S = 1e9;
  Program p;
  ProgramWriter w(p);
  w.compute(cs, 0.5, Role::Forward);
  w.collective(cs, slot, testing::all_reduce(S, Granularity::ClosedForm, 4), Role::TpComm);
  for (int gpu = 0; gpu < 4; ++gpu) b.add_rank(gpu, p, {g});
  const auto set = b.finish();
  testing::TimingLog log(set);
  const double makespan = play(n.sim, set, {&rec, &log});
  // 2(n-1)/n S / B + count x 2(n-1) L, with no flow simulated.
  const double cf = 2.0 * 3 / 4 * S / kPort + 4 * 6 * n.latency(0, 1);
  CHECK(log.at(0, 1).end == Approx(0.5 + cf).epsilon(1e-12));
  CHECK(makespan == Approx(0.5 + cf).epsilon(1e-12));
  const auto& t = rec.finish(makespan);
  for (int i = 0; i < 4; ++i) {
    const int index = n.port(i);
    // Each rank sends 2(n-1)/n S to its ring successor and receives as much from its predecessor.
    CHECK(rec.bytes_on_link(index) == Approx(2 * (2.0 * 3 / 4 * S)));
    CHECK(t.links[index].busy_time == Approx(cf).epsilon(1e-9));
  }
  // The load series holds the same bytes (busier direction) while the collective ran.
  double series = 0;
  for (double x : t.link_series.bytes) series += x;
  CHECK(series == Approx(4 * (2.0 * 3 / 4 * S)));
}

TEST_CASE("player: a barrier releases every member when the last arrives", "[engine]") {
  OneNode n;
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("g"), g = b.group("g", {0, 1, 2});
  Collective barrier;
  barrier.kind = CollectiveKind::Barrier;
  for (int i = 0; i < 3; ++i) {
    Program p;
    ProgramWriter w(p);
    w.compute(cs, 0.1 * (i + 1), Role::Forward);
    w.collective(cs, slot, barrier, Role::Wait);
    b.add_rank(i, p, {g});
  }
  const auto set = b.finish();
  testing::TimingLog log(set);
  play(n.sim, set, {nullptr, &log});
  for (int i = 0; i < 3; ++i) CHECK(log.at(i, 1).end == Approx(0.3).epsilon(1e-12));
}

TEST_CASE("player: a ring all-reduce starts when its last member enters, as the executor says", "[engine]") {
  // Members entering at 0.1, 0.2, 0.3 and 0.4 s: every one completes the ring's closed form after
  // the last entry (docs/programs.md, "When a collective starts"). Before that rule the early
  // members' first ring steps went out eagerly, and they finished before the executor's time
  // (DualPipe's mirrored stages reduce gradients that way).
  OneNode n;
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("dp"), g = b.group("dp", {0, 1, 2, 3});
  const double S = 4e9;
  for (int i = 0; i < 4; ++i) {
    Program p;
    ProgramWriter w(p);
    w.compute(cs, 0.1 * (i + 1), Role::Forward);
    w.collective(cs, slot, testing::all_reduce(S), Role::DpComm);
    b.add_rank(i, p, {g});
  }
  const auto set = b.finish();
  validate(set, 4);
  testing::TimingLog log(set);
  play(n.sim, set, {nullptr, &log});
  const double ar = 2.0 * 3 / 4 * S / kPort + 6 * n.latency(0, 1);
  for (int i = 0; i < 4; ++i) {
    CHECK(log.at(i, 1).start == Approx(0.1 * (i + 1)).epsilon(1e-12));
    CHECK(log.at(i, 1).end == Approx(0.4 + ar).epsilon(1e-9));
  }
}

TEST_CASE("programs from a file that deadlock are refused at an op that waits for ever", "[engine]") {
  Builder b;
  const int cs = b.stream("compute"), slot = b.slot("g"), g = b.group("g", {0, 1});
  Program p0, p1;
  ProgramWriter(p0).recv(cs, slot, 1, 1, 1);
  ProgramWriter(p0).send(cs, slot, 1, 1, 2);
  ProgramWriter(p1).recv(cs, slot, 0, 1, 2);
  ProgramWriter(p1).send(cs, slot, 0, 1, 1);
  b.add_rank(0, p0, {g});
  b.add_rank(1, p1, {g});
  const fs::path file = fs::temp_directory_path() / ("trainsim-deadlock-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream os(file);
    write_programs(b.finish(), os);
  }
  Scenario s;
  s.file = "deadlock.yaml";
  s.platform = testing::uniform_cluster(1, 2, kPort, 25e9, 1e-6);
  ProgramsSpec spec;
  spec.file = file.string();
  s.job = spec;
  try {
    run_job(s, {false, true});
    FAIL("expected the programs to be refused");
  } catch (const InputError& e) {
    // Line 4: header, group, program 0's line, its first op (the receive that never comes).
    CHECK_THAT(e.what(), Catch::StartsWith(file.string() + ":4: error: the programs deadlock at t = 0.000000 s; rank 0 "
                                                           "(GPU 0) stream 'compute' at op 0 (recv); rank 1 (GPU 1) stream "
                                                           "'compute' at op 0 (recv)"));
  }
  fs::remove(file);
}
