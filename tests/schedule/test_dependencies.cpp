// The cross-stage rules, structural checks, and deadlock detection; every generated schedule
// completes under its dependencies.
#include <catch2/catch.hpp>

#include "schedule/dependencies.hpp"
#include "schedule/executor.hpp"
#include "schedule/schedule.hpp"

using namespace trainsim::schedule;

namespace {

bool has(const std::vector<Dependency>& deps, OpRef producer, bool cross) {
  for (const Dependency& d : deps)
    if (d.producer == producer && d.cross_stage == cross) return true;
  return false;
}

ExecutorParams unit_times(int chunks) {
  ExecutorParams ep;
  ep.chunks = chunks;
  ep.durations = {{1, 2, 1, 1}};
  ep.p2p_delay = 0.1;
  return ep;
}

}  // namespace

TEST_CASE("dependencies over global virtual stages", "[schedule][dependencies]") {
  // p = 4, v = 2: virtual stages 0..7; vs 4 is chunk 1 of rank 0, fed by vs 3 on rank 3.
  auto f = dependencies({OpType::Forward, 3, 5}, 4, 2);
  REQUIRE(f.size() == 1);
  CHECK(has(f, {OpType::Forward, 3, 4}, true));
  CHECK(has(dependencies({OpType::Forward, 0, 4}, 4, 2), {OpType::Forward, 0, 3}, true));
  CHECK(dependencies({OpType::Forward, 0, 0}, 4, 2).empty());

  auto b = dependencies({OpType::Backward, 2, 3}, 4, 2);
  REQUIRE(b.size() == 2);
  CHECK(has(b, {OpType::Forward, 2, 3}, false));   // its own forward
  CHECK(has(b, {OpType::Backward, 2, 4}, true));   // gradient from rank 0's chunk 1
  auto last = dependencies({OpType::Backward, 2, 7}, 4, 2);
  REQUIRE(last.size() == 1);                       // the loss: only its own forward
  CHECK(has(last, {OpType::Forward, 2, 7}, false));

  auto bi = dependencies({OpType::BackwardInput, 1, 1}, 4, 1);
  CHECK(has(bi, {OpType::BackwardInput, 1, 2}, true));
  auto w = dependencies({OpType::BackwardWeight, 1, 1}, 4, 1);
  REQUIRE(w.size() == 1);
  CHECK(has(w, {OpType::BackwardInput, 1, 1}, false));

  // One GPU holding every chunk: nothing crosses GPUs.
  CHECK(has(dependencies({OpType::Forward, 0, 1}, 1, 3), {OpType::Forward, 0, 0}, false));
}

TEST_CASE("every generated schedule is complete and runs without deadlock", "[schedule][dependencies]") {
  for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::ZeroBubbleH1})
    for (int p = 1; p <= 9; ++p)
      for (int m = 1; m <= 20; ++m) {
        INFO(to_string(kind) << " p=" << p << " m=" << m);
        const Schedule s = make_schedule({kind, p, m, 1});
        CHECK_NOTHROW(check_structure(s, m, 1));
        const ExecutionResult r = execute(s, unit_times(1));
        for (const auto& stage : r.timeline) CHECK(stage.size() == (kind == ScheduleKind::ZeroBubbleH1 ? 3u : 2u) * m);
      }
  for (int p = 1; p <= 8; ++p)
    for (int groups = 1; groups <= 4; ++groups)
      for (int v = 2; v <= 5; ++v) {
        const int m = groups * p;
        INFO("interleaved p=" << p << " m=" << m << " v=" << v);
        const Schedule s = make_schedule({ScheduleKind::Interleaved1F1B, p, m, v});
        CHECK_NOTHROW(check_structure(s, m, v));
        CHECK_NOTHROW(execute(s, unit_times(v)));
      }
}

TEST_CASE("every op starts after its dependencies end (plus the delay across GPUs)", "[schedule][dependencies]") {
  const int p = 4, m = 8, v = 2;
  for (ScheduleParams params : {ScheduleParams{ScheduleKind::Interleaved1F1B, p, m, v},
                                ScheduleParams{ScheduleKind::ZeroBubbleH1, p, m, 1}}) {
    const ExecutorParams ep = unit_times(params.chunks);
    const ExecutionResult r = execute(make_schedule(params), ep);
    // End time of every op by its global identity.
    std::vector<std::pair<OpRef, double>> ends;
    for (int rank = 0; rank < p; ++rank)
      for (const TimedOp& t : r.timeline[static_cast<size_t>(rank)]) ends.push_back({global_op(t.op, rank, p), t.end});
    auto end_of = [&](const OpRef& op) {
      for (const auto& [ref, end] : ends)
        if (ref == op) return end;
      FAIL("missing op");
      return 0.0;
    };
    for (int rank = 0; rank < p; ++rank) {
      double prev_end = 0;
      for (const TimedOp& t : r.timeline[static_cast<size_t>(rank)]) {
        CHECK(t.start >= prev_end);  // in order, one op at a time
        prev_end = t.end;
        for (const Dependency& d : dependencies(global_op(t.op, rank, p), p, params.chunks))
          CHECK(t.start >= end_of(d.producer) + (d.cross_stage ? ep.p2p_delay : 0.0) - 1e-12);
      }
    }
  }
}

TEST_CASE("the executor detects a deadlocking order", "[schedule][deadlock]") {
  // Stage 0 wants B0 before sending F1; stage 1 wants F1 before running B0.
  const Schedule bad = {
      {{OpType::Forward, 0, 0}, {OpType::Backward, 0, 0}, {OpType::Forward, 1, 0}, {OpType::Backward, 1, 0}},
      {{OpType::Forward, 0, 0}, {OpType::Forward, 1, 0}, {OpType::Backward, 0, 0}, {OpType::Backward, 1, 0}}};
  CHECK_THROWS_AS(execute(bad, unit_times(1)), ScheduleDeadlock);
  CHECK_THROWS_WITH(execute(bad, unit_times(1)),
                    Catch::Contains("stage 0 at op 1 (B0) waits for B0 on virtual stage 1") &&
                        Catch::Contains("stage 1 at op 1 (F1) waits for F1 on virtual stage 0"));
  // A weight gradient before its input gradient can never run.
  const Schedule w_first = {{{OpType::Forward, 0, 0}, {OpType::BackwardWeight, 0, 0}, {OpType::BackwardInput, 0, 0}}};
  CHECK_THROWS_WITH(execute(w_first, unit_times(1)), Catch::Contains("waits for BI0 on virtual stage 0"));
  // A backward before its own forward, on a single stage.
  const Schedule b_first = {{{OpType::Backward, 0, 0}, {OpType::Forward, 0, 0}}};
  CHECK_THROWS_AS(execute(b_first, unit_times(1)), ScheduleDeadlock);
}

TEST_CASE("structural faults are reported", "[schedule][structure]") {
  Schedule s = make_schedule({ScheduleKind::OneFOneB, 2, 3, 1});
  CHECK_NOTHROW(check_structure(s, 3, 1));
  Schedule missing = s;
  missing[1].pop_back();  // B2 of stage 1
  CHECK_THROWS_WITH(check_structure(missing, 3, 1),
                    Catch::Contains("schedule stage 1: micro-batch 2 chunk 0 has 1 F, 0 B, 0 BI, 0 W"));
  Schedule twice = s;
  twice[0].push_back({OpType::Forward, 0, 0});
  CHECK_THROWS_AS(check_structure(twice, 3, 1), trainsim::InternalError);
  Schedule mixed = s;
  mixed[0].push_back({OpType::BackwardWeight, 1, 0});
  CHECK_THROWS_AS(check_structure(mixed, 3, 1), trainsim::InternalError);
  Schedule out = s;
  out[0][0].chunk = 1;
  CHECK_THROWS_WITH(check_structure(out, 3, 1), Catch::Contains("out of range"));
  // The executor refuses malformed schedules before running them.
  CHECK_THROWS_AS(execute(missing, unit_times(1)), trainsim::InternalError);
}
