// DiLoCo results and the abstract WAN in the one serialized result form (output/result_json.hpp):
// what children return and sweep journals and parts keep reads back bit for bit.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "diloco/abstract_wan.hpp"
#include "diloco/result.hpp"
#include "output/result_json.hpp"

using namespace trainsim;

namespace {
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

TEST_CASE("DiLoCo results: serialized as results JSON, read back exactly", "[diloco][results]") {
  AbstractResult r;
  r.utilization = 0.1 + 0.2;
  r.round_time = 2.0 / 3.0;
  r.wan_bytes = 1.7976931348623157e308;
  r.wan_bytes_per_round = 5e-324;
  r.peak_wan_bandwidth = 12.5e9;
  r.extra_memory_per_gpu = -0.0;
  r.rounds = 24, r.steady_round = 3, r.period = 2, r.cycle = false;
  r.workers = {{1.5, 2.0, 0.5}, {1.25, 2.0, 0.75}};
  r.wan_link_names = {"wan-a-b", "wan-b-c"};
  r.wan_link_bytes = {1e9 / 3, 7.0};
  const std::string text = r.serialize();
  CHECK(output::results_from_json(text).summary.size() == 10);  // a results document
  const AbstractResult back = AbstractResult::parse(text);
  for (auto [a, b] : {std::pair{back.utilization, r.utilization}, {back.round_time, r.round_time},
                      {back.wan_bytes, r.wan_bytes}, {back.wan_bytes_per_round, r.wan_bytes_per_round},
                      {back.peak_wan_bandwidth, r.peak_wan_bandwidth}, {back.extra_memory_per_gpu, r.extra_memory_per_gpu}})
    CHECK(same_bits(a, b));
  CHECK(back.rounds == 24);
  CHECK(back.steady_round == 3);
  CHECK(back.period == 2);
  CHECK_FALSE(back.cycle);
  REQUIRE(back.workers.size() == 2);
  CHECK(back.workers[1].wait == 0.75);
  CHECK(back.wan_link_names == r.wan_link_names);
  CHECK(same_bits(back.wan_link_bytes[0], r.wan_link_bytes[0]));
  CHECK(back.serialize() == text);
  // Another document, or another format, is refused naming what is missing.
  CHECK_THROWS_WITH(AbstractResult::parse(output::results_to_json({})), Catch::Contains("no metric 'utilization'"));
  CHECK_THROWS_AS(AbstractResult::parse("0.5 1.2 3"), InternalError);
}

TEST_CASE("abstract WAN: its routes as results, read back exactly", "[diloco][results]") {
  AbstractWan w;
  w.link_names = {"wan-a-b", "wan-b-c"};
  w.bandwidth = {12.5e9 / 3, 1e9};
  w.ring_route = {{{0, false}, {1, true}}, {}, {{1, false}}};
  w.ring_latency = {0.01, 0.0, 1.0 / 7};
  const AbstractWan back = AbstractWan::from_results(output::results_from_json(output::results_to_json(w.to_results())));
  CHECK(back.link_names == w.link_names);
  CHECK(back.bandwidth == w.bandwidth);
  CHECK(back.ring_route == w.ring_route);
  CHECK(back.ring_latency == w.ring_latency);
}
