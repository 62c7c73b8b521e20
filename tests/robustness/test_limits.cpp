// Limits: absurd inputs are refused before any simulation with the reason and the limit, and the
// memory estimate (core/limits.hpp) matches a hand computation of its documented model.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/units.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;

namespace {

std::string platform(long long nodes, const std::string& bandwidth = "400Gbps") {
  return "platform:\n  clusters:\n    - name: a\n      gpu: H100-SXM\n      nodes: " + std::to_string(nodes) +
         "\n      intra_node: {kind: nvswitch, bandwidth: 450GB/s, latency: 1us}\n      nic: {count: 8, bandwidth: " +
         bandwidth + ", latency: 1us}\n";
}

std::string training(const std::string& extra) {
  return "name: t\n" + platform(4) +
         "job:\n  kind: training\n  model: {family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 1024, vocab: 50304}\n" +
         extra;
}

std::string refusal(const std::string& text) {
  try {
    load_scenario_text(text, "scenarios/t.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "<accepted>";
}

}  // namespace

TEST_CASE("limits: the shipped check catalogue refuses absurd inputs with reason and limit") {
  // Baseline: the template itself loads (so the refusals below come from the defect).
  CHECK(refusal(training("  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 1\n  global_batch: 8\n")) ==
        "<accepted>");
  CHECK_THAT(refusal(training("  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 3\n  global_batch: 8\n")),
             Catch::Contains("global batch 8 is not divisible by micro_batch x dp = 6"));
  CHECK_THAT(refusal(training("  parallelism: {tp: 2, pp: 16, dp: 1}\n  micro_batch: 1\n  global_batch: 8\n")),
             Catch::Contains("pp x chunks = 16 virtual stages but the model has only 8 layers"));
  CHECK_THAT(refusal(training("  parallelism: {tp: 8, pp: 2, dp: 4}\n  micro_batch: 1\n  global_batch: 8\n")),
             Catch::Contains("tp x pp x dp = 64 GPUs but the platform has 32"));
  const std::string coll = "job: {kind: collective_benchmark, collectives: [all_reduce]}\n";
  CHECK_THAT(refusal("name: c\n" + platform(4, "0Gbps") + coll), Catch::Contains("bandwidth"));
  CHECK_THAT(refusal("name: c\n" + platform(4, "-5Gbps") + coll), Catch::Contains("bandwidth"));
  // A million GPUs and more: the platform ceiling names itself.
  CHECK_THAT(refusal("name: c\n" + platform(131073) + coll),
             Catch::Contains("at most " + std::to_string(kMaxPlatformGpus) + " are supported"));
}

TEST_CASE("limits: memory estimate follows its documented linear model") {
  limits::RunSize size{1000, 100, 10000};
  const double expected = limits::kBaseBytes + 1000 * limits::kBytesPerPlatformGpu + 100 * limits::kBytesPerActor +
                          10000 * limits::kBytesPerActivity;
  CHECK(limits::estimate_memory(size).bytes == Approx(expected));
  // Hand computation with the constants' documented values: 64 MiB + 1000 x 12 KiB +
  // 100 x 192 KiB + 10000 x 512 B = 67108864 + 12288000 + 19660800 + 5120000 = 104177664 B.
  CHECK(limits::estimate_memory(size).bytes == Approx(104177664.0));
}

TEST_CASE("limits: run sizes of a collective benchmark and a training job, by hand") {
  // Collective: 16 GPUs, sizes 1 MiB..8 MiB by 2 (4 sizes), 2 collectives x 1 algorithm:
  // 16 x 4 x 2 = 128 rows.
  Scenario c = load_scenario_text("name: c\n" + platform(2) +
                                      "job:\n  kind: collective_benchmark\n  collectives: [all_reduce, all_gather]\n"
                                      "  sizes: {min: 1MiB, max: 8MiB}\n",
                                  "scenarios/c.yaml");
  auto rc = limits::run_size(c, true);
  CHECK(rc.platform_gpus == 16);
  CHECK(rc.actors == 16);
  CHECK(rc.activities == 128);
  CHECK(limits::run_size(c, false).activities == 0);
  // Training: 32 GPUs, m = 8 / (1 x 2) = 4 micro-batches, 1 chunk, 1 iteration:
  // 32 x 1 x (8 x 4 x 1 + 32) = 2048 rows.
  Scenario t = load_scenario_text(training("  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 1\n  global_batch: 8\n"),
                                  "scenarios/t.yaml");
  auto rt = limits::run_size(t, true);
  CHECK(rt.actors == 32);
  CHECK(rt.activities == 2048);
}

TEST_CASE("limits: a million-GPU run is refused up front with the estimate and the ceiling") {
  // 131072 nodes x 8 = 1048576 GPUs, the loader's maximum: accepted by the loader, refused by
  // the memory ceiling before any SimGrid object exists.
  Scenario s = load_scenario_text("name: huge\n" + platform(131072) +
                                      "job: {kind: collective_benchmark, collectives: [all_reduce], sizes: {min: 1MiB, max: 1MiB}}\n",
                                  "scenarios/huge.yaml");
  auto e = limits::estimate_memory(limits::run_size(s, false));
  CHECK(e.size.actors == 1048576);
  const double ceiling = 64 * units::GiB;
  std::string msg;
  try {
    limits::check_memory(e, ceiling, s.job_at);
  } catch (const InputError& err) {
    msg = err.what();
  }
  // At the job's line (regression, issue 10: the refusal named no line).
  CHECK_THAT(msg, Catch::StartsWith("scenarios/huge.yaml:9:6: error: key 'job': the run needs an estimated"));
  CHECK_THAT(msg, Catch::Contains("1048576 simulated GPUs"));
  CHECK_THAT(msg, Catch::Contains("above the limit of 64"));
  CHECK_THAT(msg, Catch::Contains("--host-memory-limit or TRAINSIM_HOST_MEMORY_LIMIT"));
  CHECK_NOTHROW(limits::check_memory(e, e.bytes, s.job_at));
}

TEST_CASE("limits: the ceiling comes from the option, then the environment, then physical memory") {
  ::unsetenv(limits::kCeilingEnv);
  const double physical = limits::physical_memory_bytes();
  REQUIRE(physical > 0);
  CHECK(limits::memory_ceiling(std::nullopt) == Approx(limits::kDefaultCeilingFraction * physical));
  ::setenv(limits::kCeilingEnv, "2GiB", 1);
  CHECK(limits::memory_ceiling(std::nullopt) == 2 * units::GiB);
  CHECK(limits::memory_ceiling(std::string("512MiB")) == 512 * units::MiB);
  CHECK_THROWS_WITH(limits::memory_ceiling(std::string("lots")), Catch::Contains("key '--host-memory-limit'"));
  ::setenv(limits::kCeilingEnv, "0GiB", 1);
  CHECK_THROWS_WITH(limits::memory_ceiling(std::nullopt), Catch::Contains(limits::kCeilingEnv));
  ::unsetenv(limits::kCeilingEnv);
}

TEST_CASE("limits: the retired TRAINSIM_MEMORY_LIMIT is refused, not silently ignored") {
  // Regression (issue 10, GUIDE decision 1): one name per meaning; the host ceiling is
  // TRAINSIM_HOST_MEMORY_LIMIT, and a limit set under the old name must not be dropped quietly.
  ::unsetenv(limits::kCeilingEnv);
  ::setenv(limits::kRetiredCeilingEnv, "8GiB", 1);
  CHECK_THROWS_WITH(limits::memory_ceiling(std::nullopt),
                    Catch::Contains("key 'TRAINSIM_MEMORY_LIMIT'") && Catch::Contains("TRAINSIM_HOST_MEMORY_LIMIT"));
  ::setenv(limits::kCeilingEnv, "2GiB", 1);  // both set: the new name wins
  CHECK(limits::memory_ceiling(std::nullopt) == 2 * units::GiB);
  ::unsetenv(limits::kRetiredCeilingEnv);
  ::unsetenv(limits::kCeilingEnv);
}

TEST_CASE("limits: a full-worker diloco job counts its training and outer actors, by hand") {
  // scenarios/diloco/two-dc-full-10b.yaml: 2 datacenters, each running tp 8 x pp 2 x dp 16 = 256
  // GPUs; m = 512 / (1 x 16) = 32 micro-batches, 1 chunk; 3 rounds of H = 4 (the largest H of
  // its methods) = 12 iterations; 48 layers.
  Scenario s = load_scenario_file(std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/diloco/two-dc-full-10b.yaml");
  REQUIRE(s.platform.clusters.size() == 2);
  auto r = limits::run_size(s, true);
  // Actors: per datacenter a compute and a communication actor per GPU plus an outer actor per
  // GPU: 2 x 3 x 256 = 1536 (the abstract count would be 2).
  CHECK(r.actors == 1536);
  // Rows: 2 x 256 GPUs x (12 x (8 x 32 x 1 + 32) + 12 waits + 3 rounds x 48 fragments)
  //     = 512 x (3456 + 12 + 144) = 512 x 3612 = 1849344.
  CHECK(r.activities == 1849344);
  CHECK(limits::run_size(s, false).activities == 0);
}
