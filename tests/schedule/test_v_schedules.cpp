// ZB-V and DualPipe (docs/schedules.md): their orders pinned verbatim, their bubbles against the
// papers' formulas and their in-flight activations against the papers' memory figures, through
// the schedule executor.
#include <catch2/catch.hpp>

#include <algorithm>

#include "schedule/executor.hpp"
#include "schedule/in_flight.hpp"
#include "schedule/schedule.hpp"
#include "helpers.hpp"

using namespace trainsim::schedule;
using trainsim::schedule::testing::order_string;

namespace {

// "F3.0& B5.1" marks an op overlapped with the next one (DualPipe's F&B).
std::string pairs_string(const std::vector<PipelineOp>& ops) {
  std::string s;
  for (const PipelineOp& op : ops) {
    if (!s.empty()) s += ' ';
    s += describe(op, true);
    if (op.overlapped_with_next) s += '&';
  }
  return s;
}

ExecutionResult run(ScheduleKind kind, int p, int m, OpDurations d) {
  ExecutorParams ep;
  ep.chunks = 2;
  ep.layout = chunk_layout(kind);
  ep.durations = {d};
  return execute(make_schedule({kind, p, m, 2}), ep);
}

}  // namespace

TEST_CASE("ZB-V order, p = 4, m = 8", "[schedule][zb-v]") {
  const Schedule s = make_schedule({ScheduleKind::ZeroBubbleV, 4, 8, 2});
  CHECK(order_string(s[0], true) ==
        "F0.0 F1.0 F2.0 F3.0 F4.0 F5.0 F6.0 F0.1 BI0.1 W0.1 F1.1 BI1.1 W1.1 F2.1 BI2.1 W2.1 F3.1 BI3.1 W3.1 "
        "F7.0 BI0.0 W0.0 F4.1 BI4.1 W4.1 BI1.0 W1.0 F5.1 BI5.1 W5.1 BI2.0 W2.0 F6.1 BI6.1 W6.1 BI3.0 W3.0 "
        "F7.1 BI7.1 W7.1 BI4.0 W4.0 BI5.0 W5.0 BI6.0 W6.0 BI7.0 W7.0");
  CHECK(order_string(s[3], true) ==
        "F0.0 F0.1 F1.0 F1.1 F2.0 F2.1 F3.0 F3.1 BI0.1 W0.1 F4.0 BI0.0 W0.0 F4.1 BI1.1 W1.1 F5.0 BI1.0 W1.0 "
        "F5.1 BI2.1 W2.1 F6.0 BI2.0 W2.0 F6.1 BI3.1 W3.1 F7.0 BI3.0 W3.0 F7.1 BI4.1 W4.1 BI4.0 BI5.1 BI5.0 "
        "BI6.1 BI6.0 BI7.1 BI7.0 W4.0 W5.1 W6.1 W7.1 W5.0 W6.0 W7.0");
}

TEST_CASE("ZB-V: bubble (p-1) t with T_F = T_B = T_W = t per chunk, and 1F1B's activation memory",
          "[schedule][zb-v][bubble]") {
  for (int p : {2, 3, 4, 8, 16})
    for (int m : {2 * p - 1, 2 * p, 3 * p + 1, 4 * p}) {
      INFO("p=" << p << " m=" << m);
      const double t = 1.0;
      const ExecutionResult r = run(ScheduleKind::ZeroBubbleV, p, m, {t, 0, t, t});
      // Work per GPU: 2 chunks x m micro-batches x (F + BI + W).
      const double work = 2.0 * m * 3 * t;
      CHECK(r.makespan == Approx(work + (p - 1) * t).epsilon(1e-12));
      for (double idle : r.idle) CHECK(idle == Approx((p - 1) * t).epsilon(1e-12));
      // Against ZB-H1 and 1F1B on the same model (a stage = two chunks: 2t per op): the V halves
      // ZB-H1's (p-1)(T_F+T_B-T_W) = 2(p-1)t and is a sixth of 1F1B's 6(p-1)t.
      const ExecutionResult h1 = execute(make_schedule({ScheduleKind::ZeroBubbleH1, p, m, 1}),
                                         ExecutorParams{1, ChunkLayout::Looped, {{2 * t, 0, 2 * t, 2 * t}}, 0});
      CHECK(h1.makespan - work == Approx(2.0 * (p - 1) * t).epsilon(1e-12));
      // Memory: 2p (micro-batch, chunk) pairs alive on every GPU, each half a stage's layers:
      // p stages' worth, 1F1B's peak (stage 0), on every GPU.
      const Schedule s = make_schedule({ScheduleKind::ZeroBubbleV, p, m, 2});
      for (int r0 = 0; r0 < p; ++r0) CHECK(peak_in_flight(s, r0).total == std::min(2 * p, 2 * m));
    }
}

TEST_CASE("DualPipe order, p = 4, m = 8", "[schedule][dualpipe]") {
  const Schedule s = make_schedule({ScheduleKind::DualPipe, 4, 8, 2});
  // Micro-batches 0-3 travel rank 0 -> 3 on chunk 0, 4-7 rank 3 -> 0 on chunk 1; rank 3 mirrors rank 0.
  CHECK(pairs_string(s[0]) ==
        "F0.0 F1.0 F2.0 F4.1 BI4.1 W4.1 F5.1 F3.0& B5.1 F6.1& B0.0 B6.1 F7.1& B1.0 B7.1 BI2.0 W2.0 BI3.0 W3.0");
  CHECK(pairs_string(s[1]) ==
        "F0.0 F4.1 F1.0 F5.1 F2.0 B4.1 F6.1& B0.0 F3.0& B5.1 F7.1& B1.0 B6.1 B2.0 BI7.1 BI3.0 W7.1 W3.0");
  CHECK(pairs_string(s[3]) ==
        "F4.1 F5.1 F6.1 F0.0 BI0.0 W0.0 F1.0 F7.1& B1.0 F2.0& B4.1 B2.0 F3.0& B5.1 B3.0 BI6.1 W6.1 BI7.1 W7.1");
  // Parameters the schedule checks (deepseek-ai/DualPipe asserts the same).
  CHECK_THROWS_WITH(make_schedule({ScheduleKind::DualPipe, 3, 8, 2}), Catch::Contains("even number of pipeline stages"));
  CHECK_THROWS_WITH(make_schedule({ScheduleKind::DualPipe, 4, 6, 2}), Catch::Contains("at least twice the pipeline stages (8)"));
  CHECK_THROWS_WITH(make_schedule({ScheduleKind::DualPipe, 4, 9, 2}), Catch::Contains("even number of micro-batches"));
  CHECK_THROWS_WITH(make_schedule({ScheduleKind::DualPipe, 4, 8, 1}), Catch::Contains("runs 2 model chunks per stage"));
  CHECK_THROWS_WITH(make_schedule({ScheduleKind::ZeroBubbleV, 4, 8, 3}), Catch::Contains("runs 2 model chunks per stage"));
}

TEST_CASE("DualPipe: bubble (PP/2-1)(F&B + B - 3W) and PP+1 activations (DeepSeek-V3 Table 2)",
          "[schedule][dualpipe][bubble]") {
  // The report's regime: F = W = B/2 (B the full backward); F&B = F + B - overlap, any overlap.
  for (int p : {2, 4, 6, 8, 16})
    for (int m : {2 * p, 2 * p + 2, 3 * p, 4 * p})
      for (double overlap : {0.0, 0.5, 1.0}) {
        if (m % 2) continue;
        INFO("p=" << p << " m=" << m << " overlap=" << overlap);
        const double F = 1, B = 2, W = 1, FB = F + B - overlap;
        const ExecutionResult r = run(ScheduleKind::DualPipe, p, m, {F, B, B - W, W, overlap});
        // The largest idle time, the middle ranks', is the report's bubble. The middle ranks
        // run p/2-2 more overlapped pairs than the end ranks (m-p-1 against m-3p/2+1), so they
        // are busy (p/2-2) x overlap less and the end ranks idle that much less.
        const double bubble = (p / 2 - 1) * (FB + B - 3 * W);
        CHECK(*std::max_element(r.idle.begin(), r.idle.end()) == Approx(bubble).margin(1e-9));
        CHECK(r.idle.front() == Approx(bubble - std::max(p / 2 - 2, 0) * overlap).margin(1e-9));
        // Activations: PP + 1 micro-batches (of one stage) alive at the peak on every GPU.
        const Schedule s = make_schedule({ScheduleKind::DualPipe, p, m, 2});
        for (int r0 = 0; r0 < p; ++r0) CHECK(peak_in_flight(s, r0).total == p + 1);
      }
  // Hand check, p = 4, m = 8, F = 1, B = 2, W = 1, no overlap: 8 F + 8 B = 24 s of work per GPU,
  // bubble (4/2-1)(3 + 2 - 3) = 2 s: makespan 26 s; 1F1B on the same stages: (8+3)(1+2) = 33 s.
  const ExecutionResult r = run(ScheduleKind::DualPipe, 4, 8, {1, 2, 1, 1, 0});
  CHECK(r.makespan == Approx(26).epsilon(1e-12));
  const ExecutionResult one = execute(make_schedule({ScheduleKind::OneFOneB, 4, 8, 1}),
                                      ExecutorParams{1, ChunkLayout::Looped, {{1, 2, 0, 0}}, 0});
  CHECK(one.makespan == Approx(33).epsilon(1e-12));
}

TEST_CASE("DualPipe outside the report's regime: the executor is the reference", "[schedule][dualpipe][bubble]") {
  // Table 2's formula is the report's estimate; our order (the released one) idles differently
  // when F, B, W are not in the ratio 1 : 2 : 1. Measured (p = 8, m = 16, no overlap):
  struct Case { double F, B, W, idle; };
  for (const Case c : {Case{1, 2, 0.5, 9.5}, Case{1, 1, 0.3, 7.2}, Case{2, 1, 0.3, 13.2}, Case{1, 3, 1, 11}}) {
    INFO("F=" << c.F << " B=" << c.B << " W=" << c.W);
    const ExecutionResult r = run(ScheduleKind::DualPipe, 8, 16, {c.F, c.B, c.B - c.W, c.W, 0});
    CHECK(*std::max_element(r.idle.begin(), r.idle.end()) == Approx(c.idle).margin(1e-9));
  }
}
