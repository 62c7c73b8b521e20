// Bubble fractions from the executor against the closed forms of the papers, and small
// timelines computed by hand.
#include <catch2/catch.hpp>

#include <algorithm>

#include "schedule/executor.hpp"
#include "schedule/schedule.hpp"
#include "helpers.hpp"

using namespace trainsim::schedule;
using trainsim::schedule::testing::run_uniform;

TEST_CASE("GPipe and 1F1B bubble = (p-1)/(m+p-1) with uniform stages and free communication",
          "[schedule][bubble]") {
  for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB})
    for (int p : {1, 2, 3, 4, 8})
      for (int m : {1, 2, 3, 4, 7, 8, 16, 33})
        for (double tb : {1.0, 2.0, 2.5}) {
          INFO(to_string(kind) << " p=" << p << " m=" << m << " t_b=" << tb);
          const double tf = 1.0;
          const ExecutionResult r = run_uniform({kind, p, m, 1}, {tf, tb, 0, 0});
          // Makespan (m+p-1)(t_f+t_b): m micro-batches plus p-1 fill and p-1 drain steps.
          CHECK(r.makespan == Approx((m + p - 1) * (tf + tb)).epsilon(1e-12));
          CHECK(r.bubble_fraction == Approx(double(p - 1) / (m + p - 1)).margin(1e-12));
        }
}

TEST_CASE("interleaved bubble = (p-1)/(v*m+p-1) with per-chunk times t/v (Megatron SC21)",
          "[schedule][bubble]") {
  for (int p : {1, 2, 3, 4, 8})
    for (int groups : {1, 2, 3})
      for (int v : {2, 3, 4})
        for (double tb : {1.0, 2.0}) {
          const int m = groups * p;
          INFO("p=" << p << " m=" << m << " v=" << v << " t_b=" << tb);
          const ExecutionResult r = run_uniform({ScheduleKind::Interleaved1F1B, p, m, v}, {1.0 / v, tb / v, 0, 0});
          // Bubble time (p-1)(t_f+t_b)/v on top of m(t_f+t_b) of work.
          CHECK(r.makespan == Approx(m * (1 + tb) + (p - 1) * (1 + tb) / v).epsilon(1e-12));
          CHECK(r.bubble_fraction == Approx(double(p - 1) / (v * m + p - 1)).margin(1e-12));
        }
}

TEST_CASE("ZB-H1 bubble is a third of 1F1B's with t_f = t_b = t_w", "[schedule][bubble][zb]") {
  for (int p : {2, 3, 4, 8, 16})
    for (int m : {p, p + 1, 2 * p, 4 * p + 3}) {
      INFO("p=" << p << " m=" << m);
      const double t = 1.0;
      const ExecutionResult zb = run_uniform({ScheduleKind::ZeroBubbleH1, p, m, 1}, {t, 0, t, t});
      const ExecutionResult fb = run_uniform({ScheduleKind::OneFOneB, p, m, 1}, {t, 2 * t, 0, 0});
      const double work = m * 3 * t;
      // 1F1B: (p-1)(T_F+T_B+T_W) = 3(p-1)t; ZB-H1: (p-1)(T_F+T_B-T_W) = (p-1)t (Qi et al.).
      CHECK(fb.makespan - work == Approx(3.0 * (p - 1) * t).epsilon(1e-12));
      CHECK(zb.makespan - work == Approx(1.0 * (p - 1) * t).epsilon(1e-12));
      CHECK(zb.bubble_fraction == Approx(double(p - 1) / (3 * m + p - 1)).margin(1e-12));
      CHECK(zb.bubble_fraction < fb.bubble_fraction);
    }
}

TEST_CASE("ZB-H1 bubble time = (p-1) max(T_F+T_B-T_W, T_F, T_B) for m >= p", "[schedule][bubble][zb]") {
  // Equals the paper's (p-1)(T_F+T_B-T_W) when T_W <= min(T_F, T_B); otherwise stage 0 still
  // waits (p-1)T_B for its first B, and the last stage (p-1)T_F for forwards, which no order
  // with 1F1B's memory can hide.
  const double values[] = {0.5, 1.0, 1.5, 3.0};
  for (int p : {2, 3, 5, 8})
    for (int m : {p, 2 * p + 1})
      for (double tf : values)
        for (double tb : values)
          for (double tw : values) {
            INFO("p=" << p << " m=" << m << " T_F=" << tf << " T_B=" << tb << " T_W=" << tw);
            const ExecutionResult r = run_uniform({ScheduleKind::ZeroBubbleH1, p, m, 1}, {tf, 0, tb, tw});
            const double bubble = r.makespan - m * (tf + tb + tw);
            CHECK(bubble == Approx((p - 1) * std::max({tf + tb - tw, tf, tb})).epsilon(1e-12));
            if (tw <= std::min(tf, tb)) CHECK(bubble == Approx((p - 1) * (tf + tb - tw)).epsilon(1e-12));
          }
}

TEST_CASE("executor timeline by hand: 1F1B p=2 m=2 with a point-to-point delay", "[schedule][executor]") {
  // t_f = 1, t_b = 2, delay 0.5. Stage 0 runs F0 F1 B0 B1, stage 1 runs F0 B0 F1 B1:
  //   s0 F0 [0,1]  F1 [1,2]                     s1 F0 [1.5,2.5] B0 [2.5,4.5]
  //   s0 B0 waits for s1's B0 + 0.5: [5,7]      s1 F1 (input at 2.5, stage free 4.5) [4.5,5.5]
  //   s0 B1 waits for s1's B1 + 0.5: [8,10]     s1 B1 [5.5,7.5]
  const ExecutionResult r = run_uniform({ScheduleKind::OneFOneB, 2, 2, 1}, {1, 2, 0, 0}, 0.5);
  REQUIRE(r.timeline[0].size() == 4);
  REQUIRE(r.timeline[1].size() == 4);
  const double s0[][2] = {{0, 1}, {1, 2}, {5, 7}, {8, 10}};
  const double s1[][2] = {{1.5, 2.5}, {2.5, 4.5}, {4.5, 5.5}, {5.5, 7.5}};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(r.timeline[0][i].start == Approx(s0[i][0]));
    CHECK(r.timeline[0][i].end == Approx(s0[i][1]));
    CHECK(r.timeline[1][i].start == Approx(s1[i][0]));
    CHECK(r.timeline[1][i].end == Approx(s1[i][1]));
  }
  CHECK(r.makespan == Approx(10));
  CHECK(r.busy[0] == Approx(6));
  CHECK(r.idle[1] == Approx(4));
  CHECK(r.bubble_fraction == Approx(8.0 / 20.0));
}

TEST_CASE("executor by hand: GPipe with a slow second stage (per-virtual-stage durations)",
          "[schedule][executor]") {
  // Stage 0: t_f 1, t_b 2; stage 1: t_f 2, t_b 4; m = 2, free communication.
  //   s0 F0 [0,1] F1 [1,2]; s1 F0 [1,3] F1 [3,5] B1 [5,9] B0 [9,13]; s0 B1 [9,11] B0 [13,15].
  ExecutorParams ep;
  ep.durations = {{1, 2, 0, 0}, {2, 4, 0, 0}};
  const ExecutionResult r = execute(make_schedule({ScheduleKind::GPipe, 2, 2, 1}), ep);
  CHECK(r.makespan == Approx(15));
  CHECK(r.timeline[0][2].start == Approx(9));
  CHECK(r.timeline[0][3].start == Approx(13));
  CHECK(r.busy[0] == Approx(6));
  CHECK(r.busy[1] == Approx(12));
  CHECK(r.bubble_fraction == Approx((9.0 + 3.0) / 30.0));
}

TEST_CASE("a point-to-point delay costs 2(p-1) transfers in GPipe", "[schedule][executor]") {
  // The last forward crosses p-1 links on the way down and the first backward of the drain
  // p-1 on the way back; everything else overlaps.
  for (int p : {2, 4, 8}) {
    const double d = 0.25;
    const ExecutionResult r = run_uniform({ScheduleKind::GPipe, p, 6, 1}, {1, 2, 0, 0}, d);
    CHECK(r.makespan == Approx((6 + p - 1) * 3.0 + 2 * (p - 1) * d));
  }
}

TEST_CASE("interleaving over one GPU pays no point-to-point delay", "[schedule][executor]") {
  // p = 1: all chunks on the same GPU, so the delay never applies and there is no bubble.
  const ExecutionResult r = run_uniform({ScheduleKind::Interleaved1F1B, 1, 3, 2}, {0.5, 1, 0, 0}, 10.0);
  CHECK(r.makespan == Approx(3 * 2 * 1.5));
  CHECK(r.bubble_fraction == Approx(0).margin(1e-15));
}

TEST_CASE("the executor is deterministic", "[schedule][executor]") {
  ExecutorParams ep;
  ep.chunks = 2;
  for (int vs = 0; vs < 8; ++vs) ep.durations.push_back({0.1 + 0.01 * vs, 0.2 + 0.03 * (vs % 3), 0, 0});
  ep.p2p_delay = 0.013;
  const Schedule s = make_schedule({ScheduleKind::Interleaved1F1B, 4, 8, 2});
  const ExecutionResult a = execute(s, ep), b = execute(s, ep);
  CHECK(a.makespan == b.makespan);
  for (size_t r = 0; r < 4; ++r)
    for (size_t i = 0; i < a.timeline[r].size(); ++i) {
      CHECK(a.timeline[r][i].start == b.timeline[r][i].start);
      CHECK(a.timeline[r][i].op == b.timeline[r][i].op);
    }
}

TEST_CASE("executor parameter errors", "[schedule][executor]") {
  const Schedule s = make_schedule({ScheduleKind::OneFOneB, 2, 2, 1});
  ExecutorParams ep;
  CHECK_THROWS_WITH(execute(s, ep), Catch::Contains("durations must have 1 or one per virtual stage (2) entries, got 0"));
  ep.durations = {{-1, 1, 0, 0}};
  CHECK_THROWS_WITH(execute(s, ep), Catch::Contains(">= 0"));
  ep.durations = {{1, 1, 0, 0}};
  ep.p2p_delay = -1;
  CHECK_THROWS_WITH(execute(s, ep), Catch::Contains("p2p delay"));
}
