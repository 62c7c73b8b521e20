// Rank programs as values: the builder, the rules of validate(), and the reference executor's
// semantics on hand-written programs (streams, events, messages, collectives, markers).
#include <catch2/catch.hpp>

#include "program/index.hpp"
#include "program/validate.hpp"
#include "support/programs.hpp"

using namespace trainsim;
using namespace trainsim::program;
using testing::TimingLog;

namespace {

// Two ranks on GPUs 0 and 1 sharing group "g" in slot "g"; streams "compute" and "comm".
struct Pair {
  Builder b;
  int cs = b.stream("compute"), ms = b.stream("comm"), slot = b.slot("g");
  int group = b.group("g", {0, 1});
  Program p0, p1;
  ProgramWriter w0{p0}, w1{p1};
  ProgramSet finish() {
    b.add_rank(0, p0, {group});
    b.add_rank(1, p1, {group});
    return b.finish();
  }
};

InvalidPrograms::Where fault(const ProgramSet& set, int gpus = 8) {
  try {
    validate(set, gpus);
  } catch (const InvalidPrograms& e) {
    INFO(e.what());
    return e.where();
  }
  FAIL("expected the programs to be refused");
  return {};
}

}  // namespace

TEST_CASE("identical ranks share one program: different ones do not", "[program]") {
  Builder b;
  const int s = b.stream("compute");
  Program a, c;
  ProgramWriter(a).compute(s, 1.0, Role::Forward);
  ProgramWriter(c).compute(s, 2.0, Role::Forward);
  b.add_rank(0, a, {});
  b.add_rank(1, a, {});
  b.add_rank(2, c, {});
  const auto set = b.finish();
  REQUIRE(set.programs.size() == 2);
  CHECK(set.ranks[0].program == set.ranks[1].program);
  CHECK(set.ranks[2].program != set.ranks[0].program);
  CHECK(program_hash(set.programs[0]) != program_hash(set.programs[1]));
}

TEST_CASE("events order the streams of a rank", "[program]") {
  // compute: 1 s, record e, 2 s, wait f; comm: wait e, 0.5 s, record f, 4 s.
  Pair x;
  const int e = x.w0.event(), f = x.w0.event();
  x.w0.compute(x.cs, 1.0, Role::Forward);   // 0
  x.w0.record(x.cs, e);                     // 1
  x.w0.wait(x.ms, e);                       // 2
  x.w0.compute(x.ms, 0.5, Role::Compute);   // 3
  x.w0.record(x.ms, f);                     // 4
  x.w0.compute(x.ms, 4.0, Role::Compute);   // 5
  x.w0.compute(x.cs, 2.0, Role::Forward);   // 6
  x.w0.wait(x.cs, f);                       // 7
  x.w1.compute(x.cs, 1.0, Role::Forward);
  const auto set = x.finish();
  validate(set, 2);
  TimingLog log(set);
  const double makespan = execute(set, ZeroCosts(), &log);
  CHECK(log.at(0, 3).start == Approx(1.0));
  CHECK(log.at(0, 3).end == Approx(1.5));
  CHECK(log.at(0, 6).end == Approx(3.0));
  CHECK(log.at(0, 7).end == Approx(3.0));  // f (1.5) was recorded long before
  CHECK(log.at(0, 7).source_stream == x.ms);
  CHECK(makespan == Approx(5.5));          // the comm stream's 4 s after f
}

TEST_CASE("a message is usable its transfer time after the send, not before the receiver asks", "[program]") {
  Pair x;
  x.w0.compute(x.cs, 1.0, Role::Forward);
  x.w0.send(x.cs, x.slot, 1, 1e6, 7);
  x.w1.compute(x.cs, 0.2, Role::Forward);
  x.w1.recv(x.cs, x.slot, 0, 1e6, 7);  // op 1
  x.w1.compute(x.cs, 1.0, Role::Forward);
  x.w1.recv(x.cs, x.slot, 0, 1e6, 8);  // op 3: sent at 1.0, asked at 2.25
  x.w0.send(x.cs, x.slot, 1, 1e6, 8);
  const auto set = x.finish();
  validate(set, 2);
  TimingLog log(set);
  const double makespan = execute(set, testing::FixedCosts(0.25, 0), &log);
  CHECK(log.at(1, 1).start == Approx(0.2));
  CHECK(log.at(1, 1).posted == Approx(1.0));
  CHECK(log.at(1, 1).ready == Approx(1.25));
  CHECK(log.at(1, 1).end == Approx(1.25));
  CHECK(log.at(1, 3).ready == Approx(1.25));  // arrived before it was asked for
  CHECK(log.at(1, 3).end == Approx(2.25));
  CHECK(makespan == Approx(2.25));
}

TEST_CASE("a collective completes when its last member entered: a closed-form one does not wait", "[program]") {
  Pair x;
  x.w0.compute(x.cs, 1.0, Role::Forward);
  x.w0.collective(x.cs, x.slot, testing::all_reduce(1e6), Role::DpComm);  // op 1
  x.w0.collective(x.cs, x.slot, testing::all_reduce(1e6, Granularity::ClosedForm, 2), Role::TpComm);  // op 2
  x.w1.compute(x.cs, 3.0, Role::Forward);
  x.w1.collective(x.cs, x.slot, testing::all_reduce(1e6), Role::DpComm);
  x.w1.collective(x.cs, x.slot, testing::all_reduce(1e6, Granularity::ClosedForm, 2), Role::TpComm);
  const auto set = x.finish();
  validate(set, 2);
  TimingLog log(set);
  execute(set, testing::FixedCosts(0, 0.5), &log);
  CHECK(log.at(0, 1).start == Approx(1.0));
  CHECK(log.at(0, 1).end == Approx(3.5));
  CHECK(log.at(1, 1).end == Approx(3.5));
  CHECK(log.at(0, 2).end == Approx(4.5));  // count 2: two collectives' time, no synchronisation
}

TEST_CASE("markers set the context of the ops that follow on their stream", "[program]") {
  Pair x;
  x.w0.marker(x.cs, MarkerKind::Iteration, 3);
  x.w0.marker(x.cs, MarkerKind::MicroBatch, 5);
  x.w0.compute(x.cs, 1.0, Role::Forward);  // op 2
  x.w0.marker(x.cs, MarkerKind::MicroBatch, 5, true);
  x.w0.compute(x.cs, 1.0, Role::Optimizer);  // op 4
  x.w0.compute(x.ms, 1.0, Role::Compute);    // op 5: another stream, its own context
  const auto set = x.finish();
  TimingLog log(set);
  execute(set, ZeroCosts(), &log);
  CHECK(log.contexts.at({0, 2})[MarkerKind::Iteration] == 3);
  CHECK(log.contexts.at({0, 2})[MarkerKind::MicroBatch] == 5);
  CHECK(log.contexts.at({0, 4})[MarkerKind::MicroBatch] == -1);
  CHECK(log.contexts.at({0, 4})[MarkerKind::Iteration] == 3);
  CHECK(log.contexts.at({0, 5})[MarkerKind::Iteration] == -1);
}

TEST_CASE("programs that wait for each other forever are reported as a deadlock", "[program]") {
  Pair x;
  x.w0.recv(x.cs, x.slot, 1, 1, 1);
  x.w0.send(x.cs, x.slot, 1, 1, 2);
  x.w1.recv(x.cs, x.slot, 0, 1, 2);
  x.w1.send(x.cs, x.slot, 0, 1, 1);
  const auto set = x.finish();
  validate(set, 2);  // well-formed: every send has its receive
  try {
    execute(set, ZeroCosts());
    FAIL("expected a deadlock");
  } catch (const ProgramDeadlock& e) {
    CHECK_THAT(e.what(), Catch::Contains("rank 0 (GPU 0) stream 'compute' at op 0 (recv)"));
    CHECK_THAT(e.what(), Catch::Contains("rank 1 (GPU 1)"));
    CHECK(e.op() == 0);
  }
}

TEST_CASE("validate refuses each kind of malformed program and says where", "[program]") {
  SECTION("an event awaited before it is recorded") {
    Pair x;
    const int e = x.w0.event();
    x.w0.wait(x.cs, e);
    x.w0.record(x.ms, e);
    const auto w = fault(x.finish());
    CHECK(w.program == 0);
    CHECK(w.op == 0);
    CHECK(w.field == "event");
  }
  SECTION("an event recorded twice") {
    Pair x;
    const int e = x.w0.event();
    x.w0.record(x.cs, e);
    x.w0.record(x.ms, e);
    CHECK(fault(x.finish()).op == 1);
  }
  SECTION("a group's messages on two streams of a rank") {
    Pair x;
    x.w0.send(x.cs, x.slot, 1, 1, 1);
    x.w0.send(x.ms, x.slot, 1, 1, 2);
    x.w1.recv(x.cs, x.slot, 0, 1, 1);
    x.w1.recv(x.cs, x.slot, 0, 1, 2);
    const auto w = fault(x.finish());
    CHECK(w.op == 1);
    CHECK(w.field == "stream");
  }
  SECTION("a peer outside the group") {
    Pair x;
    x.w0.send(x.cs, x.slot, 2, 1, 1);
    const auto w = fault(x.finish());
    CHECK(w.rank == 0);
    CHECK(w.field == "peer");
  }
  SECTION("a send nobody receives") {
    Pair x;
    x.w0.send(x.cs, x.slot, 1, 1, 1);
    CHECK(fault(x.finish()).field == "tag");
  }
  SECTION("a tag used twice between the same ranks") {
    Pair x;
    x.w0.send(x.cs, x.slot, 1, 1, 1);
    x.w0.send(x.cs, x.slot, 1, 1, 1);
    x.w1.recv(x.cs, x.slot, 0, 1, 1);
    x.w1.recv(x.cs, x.slot, 0, 1, 1);
    CHECK(fault(x.finish()).field == "tag");
  }
  SECTION("members of a group issuing different collectives") {
    Pair x;
    x.w0.collective(x.cs, x.slot, testing::all_reduce(1e6), Role::DpComm);
    x.w1.collective(x.cs, x.slot, testing::all_reduce(2e6), Role::DpComm);
    const auto w = fault(x.finish());
    CHECK(w.group == 0);
    CHECK(w.field == "collective");
  }
  SECTION("an algorithm that does not implement the collective") {
    Pair x;
    Collective c = testing::all_reduce(1);
    c.algorithm = CollectiveAlgorithm::Direct;
    x.w0.collective(x.cs, x.slot, c, Role::DpComm);
    x.w1.collective(x.cs, x.slot, c, Role::DpComm);
    CHECK(fault(x.finish()).field == "algorithm");
  }
  SECTION("a GPU outside the platform, or two ranks on one GPU") {
    Pair x;
    CHECK(fault(x.finish(), 1).group == 0);
    Builder b;
    const int s = b.stream("compute");
    Program p;
    ProgramWriter(p).compute(s, 1, Role::Forward);
    b.add_rank(0, p, {});
    b.add_rank(0, p, {});
    CHECK(fault(b.finish()).field == "gpu");
  }
  SECTION("freeing memory that was not allocated") {
    Pair x;
    x.w0.alloc(x.cs, MemoryCategory::Activations, 10);
    x.w0.free(x.cs, MemoryCategory::Activations, 20);
    CHECK(fault(x.finish()).op == 1);
  }
}

TEST_CASE("the index finds each stream's ops, who records each event, who owns each endpoint", "[program]") {
  Pair x;
  const int e = x.w0.record(x.cs);
  x.w0.wait(x.ms, e);
  x.w0.collective(x.ms, x.slot, testing::all_reduce(1), Role::DpComm);
  x.w1.collective(x.ms, x.slot, testing::all_reduce(1), Role::DpComm);
  const auto set = x.finish();
  const auto ix = index_programs(set);
  CHECK(ix[0].stream_ops[x.cs] == std::vector<uint32_t>{0});
  CHECK(ix[0].stream_ops[x.ms] == std::vector<uint32_t>{1, 2});
  CHECK(ix[0].event_stream[e] == x.cs);
  CHECK(ix[0].endpoint_stream[x.slot] == x.ms);
  CHECK(ix[0].stream_waits[x.ms]);
  CHECK_FALSE(ix[0].stream_waits[x.cs]);
  CHECK(group_positions(set)[1][x.slot] == 1);
}
