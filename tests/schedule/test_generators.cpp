// Hand-written golden orders, warm-up counts and parameter validation of the generators.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "schedule/generators.hpp"
#include "schedule/schedule.hpp"
#include "helpers.hpp"

using namespace trainsim::schedule;
using trainsim::schedule::testing::order_string;

TEST_CASE("1F1B golden order p=4 m=8 (Megatron without interleaving)", "[schedule][golden]") {
  const Schedule s = make_schedule({ScheduleKind::OneFOneB, 4, 8, 1});
  REQUIRE(s.size() == 4);
  // Stage 0: p-1 = 3 warm-up forwards, 5 F/B pairs, 3 cool-down backwards.
  CHECK(order_string(s[0]) == "F0 F1 F2 F3 B0 F4 B1 F5 B2 F6 B3 F7 B4 B5 B6 B7");
  // Stage 1: 2 warm-up forwards.
  CHECK(order_string(s[1]) == "F0 F1 F2 B0 F3 B1 F4 B2 F5 B3 F6 B4 F7 B5 B6 B7");
  // Last stage: no warm-up, strict alternation.
  CHECK(order_string(s[3]) == "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5 F6 B6 F7 B7");
}

TEST_CASE("1F1B with fewer micro-batches than stages degenerates to all-F-then-all-B", "[schedule][golden]") {
  const Schedule s = make_schedule({ScheduleKind::OneFOneB, 4, 2, 1});
  CHECK(order_string(s[0]) == "F0 F1 B0 B1");  // warm-up capped at m = 2
  CHECK(order_string(s[2]) == "F0 F1 B0 B1");  // warm-up 1, one F/B pair, one cool-down B
  CHECK(order_string(s[3]) == "F0 B0 F1 B1");
}

TEST_CASE("GPipe golden order: all forwards, then backwards in reverse", "[schedule][golden]") {
  const Schedule s = make_schedule({ScheduleKind::GPipe, 2, 3, 1});
  CHECK(order_string(s[0]) == "F0 F1 F2 B2 B1 B0");
  CHECK(order_string(s[1]) == "F0 F1 F2 B2 B1 B0");
}

TEST_CASE("Interleaved 1F1B golden order p=2 m=4 v=2 (Megatron get_model_chunk_id)", "[schedule][golden]") {
  // Worked by hand from Megatron's rules: forward iteration k runs chunk (k mod 4)/2 on
  // micro-batch 2*(k/4) + k mod 2; backward iteration k runs chunk 1 - (k mod 4)/2.
  // Warm-up: rank 0 (2-0-1)*2 + (2-1)*2 = 4, rank 1 (2-1-1)*2 + 2 = 2.
  const Schedule s = make_schedule({ScheduleKind::Interleaved1F1B, 2, 4, 2});
  CHECK(order_string(s[0], true) ==
        "F0.0 F1.0 F0.1 F1.1 "
        "F2.0 B0.1 F3.0 B1.1 F2.1 B0.0 F3.1 B1.0 "
        "B2.1 B3.1 B2.0 B3.0");
  CHECK(order_string(s[1], true) ==
        "F0.0 F1.0 "
        "F0.1 B0.1 F1.1 B1.1 F2.0 B0.0 F3.0 B1.0 F2.1 B2.1 F3.1 B3.1 "
        "B2.0 B3.0");
}

TEST_CASE("ZB-H1 golden order p=4 m=8", "[schedule][golden]") {
  const Schedule s = make_schedule({ScheduleKind::ZeroBubbleH1, 4, 8, 1});
  // Stage 0: 1F1B's warm-up, no deferred W, F/BI/W steady state, BI/W cool-down.
  CHECK(order_string(s[0]) ==
        "F0 F1 F2 "
        "F3 BI0 W0 F4 BI1 W1 F5 BI2 W2 F6 BI3 W3 F7 BI4 W4 "
        "BI5 W5 BI6 W6 BI7 W7");
  // Stage 1: warm-up 2, one deferred W.
  CHECK(order_string(s[1]) ==
        "F0 F1 "
        "F2 BI0 "
        "F3 BI1 W0 F4 BI2 W1 F5 BI3 W2 F6 BI4 W3 F7 BI5 W4 "
        "BI6 W5 BI7 W6 "
        "W7");
  // Last stage: no warm-up, three deferred W that fill the tail.
  CHECK(order_string(s[3]) ==
        "F0 BI0 F1 BI1 F2 BI2 "
        "F3 BI3 W0 F4 BI4 W1 F5 BI5 W2 F6 BI6 W3 F7 BI7 W4 "
        "W5 W6 W7");
}

TEST_CASE("warm-up counts follow Megatron's formulas", "[schedule][warmup]") {
  using namespace trainsim::schedule::detail;
  CHECK(one_f_one_b_warmup(8, 32, 0) == 7);
  CHECK(one_f_one_b_warmup(8, 32, 7) == 0);
  CHECK(one_f_one_b_warmup(8, 3, 0) == 3);  // capped at m
  // (p - r - 1) * 2 + (v - 1) * p, capped at m * v.
  CHECK(interleaved_warmup(4, 8, 2, 0) == 3 * 2 + 1 * 4);
  CHECK(interleaved_warmup(4, 8, 2, 3) == 0 + 4);
  CHECK(interleaved_warmup(4, 8, 3, 1) == 2 * 2 + 2 * 4);
  CHECK(interleaved_warmup(8, 8, 2, 0) == 16);  // 7*2 + 8 = 22 capped at m*v = 16
  // The generated orders start with exactly that many forwards.
  for (int r = 0; r < 4; ++r) {
    const auto ops = make_schedule({ScheduleKind::Interleaved1F1B, 4, 8, 3})[static_cast<size_t>(r)];
    const int warmup = interleaved_warmup(4, 8, 3, r);
    for (int i = 0; i < warmup; ++i) CHECK(ops[static_cast<size_t>(i)].type == OpType::Forward);
    CHECK(ops[static_cast<size_t>(warmup) + 1].type == OpType::Backward);
  }
}

TEST_CASE("invalid schedule parameters are refused with clear messages", "[schedule][validation]") {
  auto message = [](const ScheduleParams& p) {
    try {
      make_schedule(p);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message({ScheduleKind::OneFOneB, 0, 4, 1}), Catch::Contains("stages must be >= 1"));
  CHECK_THAT(message({ScheduleKind::OneFOneB, 4, 0, 1}), Catch::Contains("micro-batches must be >= 1"));
  CHECK_THAT(message({ScheduleKind::Interleaved1F1B, 4, 8, 0}), Catch::Contains("chunks per stage must be >= 1"));
  CHECK_THAT(message({ScheduleKind::Interleaved1F1B, 4, 8, 1}), Catch::Contains("at least 2 model chunks"));
  CHECK_THAT(message({ScheduleKind::Interleaved1F1B, 4, 6, 2}),
             Catch::Contains("micro-batches (6) to be a multiple of pipeline stages (4)"));
  CHECK_THAT(message({ScheduleKind::GPipe, 4, 8, 2}), Catch::Contains("one model chunk per stage"));
  CHECK_THAT(message({ScheduleKind::ZeroBubbleH1, 4, 8, 2}), Catch::Contains("one model chunk per stage"));
  CHECK_THAT(message({ScheduleKind::OneFOneB, 1 << 16, 1 << 16, 1}), Catch::Contains("too large"));
  CHECK(message({ScheduleKind::Interleaved1F1B, 4, 8, 2}) == "no error");
}

TEST_CASE("schedule names round-trip", "[schedule][names]") {
  for (ScheduleKind k : {ScheduleKind::GPipe, ScheduleKind::OneFOneB, ScheduleKind::Interleaved1F1B,
                         ScheduleKind::ZeroBubbleH1, ScheduleKind::ZeroBubbleV, ScheduleKind::DualPipe})
    CHECK(schedule_kind_from_string(to_string(k)) == k);
  CHECK(schedule_kind_from_string("interleaved-1f1b") == ScheduleKind::Interleaved1F1B);
  CHECK_THROWS_WITH(schedule_kind_from_string("pipedream"), Catch::Contains("expected one of: gpipe, 1f1b"));
}

TEST_CASE("chunk layouts: Megatron's looped one, the V and the bidirectional", "[schedule][layout]") {
  // Looped: virtual stage = chunk * p + rank.
  const Placement looped{ChunkLayout::Looped, 4, 4, 8};
  CHECK(looped.virtual_stage(0, 0) == 0);
  CHECK(looped.virtual_stage(3, 0) == 3);
  CHECK(looped.virtual_stage(0, 1) == 4);
  CHECK(looped.virtual_stage(2, 3) == 14);
  // V (zb-v): down the ranks with chunk 0, back up with chunk 1.
  const Placement v{ChunkLayout::V, 4, 2, 8};
  const int v_stages[4][2] = {{0, 7}, {1, 6}, {2, 5}, {3, 4}};
  // Bidirectional (dualpipe): rank r holds stages r and p-1-r.
  const Placement bi{ChunkLayout::Bidirectional, 4, 2, 8};
  const int bi_stages[4][2] = {{0, 3}, {1, 2}, {2, 1}, {3, 0}};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 2; ++c) {
      CHECK(v.virtual_stage(r, c) == v_stages[r][c]);
      CHECK(bi.virtual_stage(r, c) == bi_stages[r][c]);
    }
  // rank_of/chunk_of invert virtual_stage (for the bidirectional layout, per direction).
  for (const Placement& pl : {looped, v})
    for (int vs = 0; vs < pl.virtual_stages(); ++vs)
      CHECK(pl.virtual_stage(pl.rank_of(vs), pl.chunk_of(vs)) == vs);
  for (int mb = 0; mb < 8; ++mb)
    for (int vs = 0; vs < 4; ++vs) {
      CHECK(bi.chunk_of(vs, mb) == (mb < 4 ? 0 : 1));
      CHECK(bi.virtual_stage(bi.rank_of(vs, mb), bi.chunk_of(vs, mb)) == vs);
    }
}
