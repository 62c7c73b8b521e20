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

// Megatron's looped layout of p stages, v chunks, m micro-batches.
Placement looped(int p, int v, int m = 1) { return {ChunkLayout::Looped, p, v, m}; }

ExecutorParams unit_times(int chunks, ChunkLayout layout = ChunkLayout::Looped) {
  ExecutorParams ep;
  ep.chunks = chunks;
  ep.layout = layout;
  ep.durations = {{1, 2, 1, 1}};
  ep.p2p_delay = 0.1;
  return ep;
}

}  // namespace

TEST_CASE("dependencies over global virtual stages", "[schedule][dependencies]") {
  // p = 4, v = 2: virtual stages 0..7; vs 4 is chunk 1 of rank 0, fed by vs 3 on rank 3.
  auto f = dependencies({OpType::Forward, 3, 5}, looped(4, 2));
  REQUIRE(f.size() == 1);
  CHECK(has(f, {OpType::Forward, 3, 4}, true));
  CHECK(has(dependencies({OpType::Forward, 0, 4}, looped(4, 2)), {OpType::Forward, 0, 3}, true));
  CHECK(dependencies({OpType::Forward, 0, 0}, looped(4, 2)).empty());

  auto b = dependencies({OpType::Backward, 2, 3}, looped(4, 2));
  REQUIRE(b.size() == 2);
  CHECK(has(b, {OpType::Forward, 2, 3}, false));   // its own forward
  CHECK(has(b, {OpType::Backward, 2, 4}, true));   // gradient from rank 0's chunk 1
  auto last = dependencies({OpType::Backward, 2, 7}, looped(4, 2));
  REQUIRE(last.size() == 1);                       // the loss: only its own forward
  CHECK(has(last, {OpType::Forward, 2, 7}, false));

  auto bi = dependencies({OpType::BackwardInput, 1, 1}, looped(4, 1));
  CHECK(has(bi, {OpType::BackwardInput, 1, 2}, true));
  auto w = dependencies({OpType::BackwardWeight, 1, 1}, looped(4, 1));
  REQUIRE(w.size() == 1);
  CHECK(has(w, {OpType::BackwardInput, 1, 1}, false));

  // One GPU holding every chunk: nothing crosses GPUs.
  CHECK(has(dependencies({OpType::Forward, 0, 1}, looped(1, 3)), {OpType::Forward, 0, 0}, false));
}

TEST_CASE("every generated schedule is complete and runs without deadlock", "[schedule][dependencies]") {
  for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::ZeroBubbleH1})
    for (int p = 1; p <= 9; ++p)
      for (int m = 1; m <= 20; ++m) {
        INFO(to_string(kind) << " p=" << p << " m=" << m);
        const Schedule s = make_schedule({kind, p, m, 1});
        CHECK_NOTHROW(check_structure(s, looped(static_cast<int>(s.size()), 1, m)));
        const ExecutionResult r = execute(s, unit_times(1));
        for (const auto& stage : r.timeline) CHECK(stage.size() == (kind == ScheduleKind::ZeroBubbleH1 ? 3u : 2u) * m);
      }
  for (int p = 1; p <= 8; ++p)
    for (int groups = 1; groups <= 4; ++groups)
      for (int v = 2; v <= 5; ++v) {
        const int m = groups * p;
        INFO("interleaved p=" << p << " m=" << m << " v=" << v);
        const Schedule s = make_schedule({ScheduleKind::Interleaved1F1B, p, m, v});
        CHECK_NOTHROW(check_structure(s, looped(static_cast<int>(s.size()), v, m)));
        CHECK_NOTHROW(execute(s, unit_times(v)));
      }
}

TEST_CASE("V and bidirectional placements: where chunks sit and what crosses GPUs", "[schedule][dependencies]") {
  // ZB-V, p = 4: chunk 0 of rank r is vs r, chunk 1 is vs 7-r; vs 3 -> 4 stays on rank 3.
  const Placement v{ChunkLayout::V, 4, 2, 8};
  CHECK(v.virtual_stages() == 8);
  CHECK(v.virtual_stage(0, 1) == 7);
  CHECK(v.virtual_stage(3, 1) == 4);
  CHECK(v.rank_of(5) == 2);
  CHECK(v.chunk_of(5) == 1);
  CHECK(has(dependencies({OpType::Forward, 0, 4}, v), {OpType::Forward, 0, 3}, false));
  CHECK(has(dependencies({OpType::Forward, 0, 5}, v), {OpType::Forward, 0, 4}, true));
  CHECK(has(dependencies({OpType::BackwardInput, 0, 3}, v), {OpType::BackwardInput, 0, 4}, false));
  // DualPipe, p = 4, m = 8: micro-batches 0-3 go down chunk 0 of ranks 0..3, 4-7 up chunk 1 of
  // ranks 3..0; each of the 4 virtual stages sits twice (stage 1 on rank 1 and rank 2).
  const Placement d{ChunkLayout::Bidirectional, 4, 2, 8};
  CHECK(d.virtual_stages() == 4);
  CHECK(d.virtual_stage(1, 0) == 1);
  CHECK(d.virtual_stage(2, 1) == 1);
  CHECK(d.direction(3) == 0);
  CHECK(d.direction(4) == 1);
  CHECK(d.rank_of(0, 2) == 0);
  CHECK(d.rank_of(0, 5) == 3);
  CHECK(d.chunk_of(0, 5) == 1);
  CHECK(has(dependencies({OpType::Forward, 5, 1}, d), {OpType::Forward, 5, 0}, true));
  CHECK(dependencies({OpType::Backward, 5, 3}, d).size() == 1);  // the loss, on rank 0
  CHECK(Placement::of({ScheduleKind::DualPipe, 4, 8, 2}).layout == ChunkLayout::Bidirectional);
  CHECK(Placement::of({ScheduleKind::ZeroBubbleV, 4, 8, 2}).layout == ChunkLayout::V);
  CHECK(Placement::of({ScheduleKind::Interleaved1F1B, 4, 8, 2}).layout == ChunkLayout::Looped);
}

TEST_CASE("ZB-V and DualPipe schedules are complete and run without deadlock", "[schedule][dependencies]") {
  for (int p = 1; p <= 9; ++p)
    for (int m = 1; m <= 24; ++m) {
      INFO("zb-v p=" << p << " m=" << m);
      const Schedule s = make_schedule({ScheduleKind::ZeroBubbleV, p, m, 2});
      CHECK_NOTHROW(check_structure(s, {ChunkLayout::V, p, 2, m}));
      const ExecutionResult r = execute(s, unit_times(2, ChunkLayout::V));
      for (const auto& stage : r.timeline) CHECK(stage.size() == 6u * m);
    }
  for (int p = 2; p <= 12; p += 2)
    for (int m = 2 * p; m <= 2 * p + 12; m += 2) {
      INFO("dualpipe p=" << p << " m=" << m);
      const Schedule s = make_schedule({ScheduleKind::DualPipe, p, m, 2});
      CHECK_NOTHROW(check_structure(s, {ChunkLayout::Bidirectional, p, 2, m}));
      CHECK_NOTHROW(execute(s, unit_times(2, ChunkLayout::Bidirectional)));
    }
  // A micro-batch on the chunk of the other direction is a structural fault.
  Schedule s = make_schedule({ScheduleKind::DualPipe, 2, 4, 2});
  s[0].push_back({OpType::Forward, 0, 1});
  CHECK_THROWS_WITH(check_structure(s, {ChunkLayout::Bidirectional, 2, 2, 4}),
                    Catch::Contains("micro-batch 0 chunk 1 has 1 F") && Catch::Contains("the other direction"));
}

TEST_CASE("every op starts after its dependencies end (plus the delay across GPUs)", "[schedule][dependencies]") {
  const int p = 4, m = 8, v = 2;
  for (ScheduleParams params : {ScheduleParams{ScheduleKind::Interleaved1F1B, p, m, v},
                                ScheduleParams{ScheduleKind::ZeroBubbleH1, p, m, 1},
                                ScheduleParams{ScheduleKind::ZeroBubbleV, p, m, 2},
                                ScheduleParams{ScheduleKind::DualPipe, p, m, 2}}) {
    INFO(to_string(params.kind));
    const Placement placement = Placement::of(params);
    const ExecutorParams ep = unit_times(params.chunks, placement.layout);
    const ExecutionResult r = execute(make_schedule(params), ep);
    // End time of every op by its global identity.
    std::vector<std::pair<OpRef, double>> ends;
    for (int rank = 0; rank < p; ++rank)
      for (const TimedOp& t : r.timeline[static_cast<size_t>(rank)]) ends.push_back({global_op(t.op, rank, placement), t.end});
    // B and BI stand for each other: a neighbour waits for whichever its stage runs.
    auto same = [](const OpRef& a, const OpRef& b) {
      return a.micro_batch == b.micro_batch && a.virtual_stage == b.virtual_stage &&
             (a.type == b.type || (is_input_backward(a.type) && is_input_backward(b.type)));
    };
    auto end_of = [&](const OpRef& op) {
      for (const auto& [ref, end] : ends)
        if (same(ref, op)) return end;
      FAIL("missing op");
      return 0.0;
    };
    for (int rank = 0; rank < p; ++rank) {
      double prev_end = 0;
      for (const TimedOp& t : r.timeline[static_cast<size_t>(rank)]) {
        CHECK(t.start >= prev_end - 1e-12);  // in order, one op (or overlapped pair) at a time
        if (!t.op.overlapped_with_next) prev_end = t.end;
        for (const Dependency& d : dependencies(global_op(t.op, rank, placement), placement))
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
  CHECK_NOTHROW(check_structure(s, looped(static_cast<int>(s.size()), 1, 3)));
  Schedule missing = s;
  missing[1].pop_back();  // B2 of stage 1
  CHECK_THROWS_WITH(check_structure(missing, looped(static_cast<int>(missing.size()), 1, 3)),
                    Catch::Contains("schedule stage 1: micro-batch 2 chunk 0 has 1 F, 0 B, 0 BI, 0 W"));
  Schedule twice = s;
  twice[0].push_back({OpType::Forward, 0, 0});
  CHECK_THROWS_AS(check_structure(twice, looped(static_cast<int>(twice.size()), 1, 3)), trainsim::InternalError);
  Schedule mixed = s;
  mixed[0].push_back({OpType::BackwardWeight, 1, 0});
  CHECK_THROWS_AS(check_structure(mixed, looped(static_cast<int>(mixed.size()), 1, 3)), trainsim::InternalError);
  Schedule out = s;
  out[0][0].chunk = 1;
  CHECK_THROWS_WITH(check_structure(out, looped(static_cast<int>(out.size()), 1, 3)), Catch::Contains("out of range"));
  // The executor refuses malformed schedules before running them.
  CHECK_THROWS_AS(execute(missing, unit_times(1)), trainsim::InternalError);
}
