// Peak in-flight micro-batches per stage (activation memory), and generation speed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "schedule/executor.hpp"
#include "schedule/generators.hpp"
#include "schedule/in_flight.hpp"
#include "schedule/schedule.hpp"

using namespace trainsim::schedule;

TEST_CASE("1F1B stage r holds at most p - r micro-batches: GPipe holds m", "[schedule][in-flight]") {
  for (int p : {1, 2, 4, 8})
    for (int m : {1, 3, 8, 32})
      for (int r = 0; r < p; ++r) {
        INFO("p=" << p << " m=" << m << " r=" << r);
        const InFlight fb = peak_in_flight(make_schedule({ScheduleKind::OneFOneB, p, m, 1}), r);
        CHECK(fb.total == std::min(p - r, m));
        CHECK(fb.per_chunk == std::vector<int>{fb.total});
        CHECK(fb.awaiting_weight_grad == 0);
        CHECK(peak_in_flight(make_schedule({ScheduleKind::GPipe, p, m, 1}), r).total == m);
      }
}

TEST_CASE("ZB-H1 holds what 1F1B holds until B, and p micro-batches on every stage until W",
          "[schedule][in-flight][zb]") {
  for (int p : {1, 2, 4, 8})
    for (int m : {1, 3, 8, 32})
      for (int r = 0; r < p; ++r) {
        INFO("p=" << p << " m=" << m << " r=" << r);
        const Schedule s = make_schedule({ScheduleKind::ZeroBubbleH1, p, m, 1});
        const InFlight zb = peak_in_flight(s, r);
        CHECK(zb.total == std::min(p - r, m));
        if (m >= p) CHECK(zb.awaiting_weight_grad == r + 1);
        // Micro-batches whose F ran and W did not: the paper's "same number of in-flight
        // micro-batches on all workers", p (= 1F1B's stage 0) once m >= p.
        int now = 0, peak = 0;
        for (const PipelineOp& op : s[static_cast<size_t>(r)]) {
          now += op.type == OpType::Forward ? 1 : op.type == OpType::BackwardWeight ? -1 : 0;
          peak = std::max(peak, now);
        }
        CHECK(peak == std::min(p, m));
      }
}

TEST_CASE("interleaved in-flight follows Megatron's warm-up", "[schedule][in-flight]") {
  for (int p : {1, 2, 4, 8})
    for (int groups : {1, 2, 4})
      for (int v : {2, 3, 4})
        for (int r = 0; r < p; ++r) {
          const int m = groups * p;
          INFO("p=" << p << " m=" << m << " v=" << v << " r=" << r);
          const InFlight f = peak_in_flight(make_schedule({ScheduleKind::Interleaved1F1B, p, m, v}), r);
          // Warm-up forwards plus the first steady-state forward, capped at all m*v.
          CHECK(f.total == std::min(detail::interleaved_warmup(p, m, v, r) + 1, m * v));
          REQUIRE(f.per_chunk.size() == static_cast<size_t>(v));
          for (int c : f.per_chunk) CHECK((c >= 1 && c <= m));
          CHECK(*std::max_element(f.per_chunk.begin(), f.per_chunk.end()) <= f.total);
        }
  // By hand for p=2 m=4 v=2, rank 0 (order in test_generators):
  //   F0.0 F1.0 F0.1 F1.1 F2.0 B0.1 F3.0 B1.1 F2.1 B0.0 F3.1 B1.0 B2.1 B3.1 B2.0 B3.0
  // the sum peaks at 5 = warm-up 4 + 1 (after F2.0 and again after F3.0); chunk 0 runs
  // F0..F3 before its first backward B0.0, so it peaks at 4; chunk 1 peaks at 2.
  const InFlight f = peak_in_flight(make_schedule({ScheduleKind::Interleaved1F1B, 2, 4, 2}), 0);
  CHECK(f.total == 5);
  CHECK(f.per_chunk == std::vector<int>{4, 2});
  CHECK_THROWS_AS(peak_in_flight(make_schedule({ScheduleKind::OneFOneB, 2, 4, 1}), 2), std::out_of_range);
}

TEST_CASE("generation and execution are fast for p=64, m=3072", "[schedule][performance]") {
  using clock = std::chrono::steady_clock;
  for (ScheduleKind kind : {ScheduleKind::OneFOneB, ScheduleKind::Interleaved1F1B, ScheduleKind::ZeroBubbleH1}) {
    const int v = kind == ScheduleKind::Interleaved1F1B ? 2 : 1;
    const auto t0 = clock::now();
    const Schedule s = make_schedule({kind, 64, 3072, v});
    const auto t1 = clock::now();
    ExecutorParams ep;
    ep.chunks = v;
    ep.durations = {{1, 2, 1, 1}};
    const ExecutionResult r = execute(s, ep);
    const auto t2 = clock::now();
    const double gen = std::chrono::duration<double>(t1 - t0).count();
    const double exe = std::chrono::duration<double>(t2 - t1).count();
    WARN(to_string(kind) << ": generate " << gen * 1e3 << " ms, execute " << exe * 1e3 << " ms");
    // Linear work: ~0.4-1.2 M ops take milliseconds; a quadratic algorithm would take minutes.
    CHECK(gen < 2.0);
    CHECK(exe < 5.0);
    CHECK(r.timeline[0].size() == s[0].size());
  }
}
