// A new job kind is one folder plus one registration line (docs/howto/job-kind.md): the test-only
// `sleep` kind (tests/jobs/sleep/) registers below, then loads from a scenario file, estimates its
// size, gives its programs, runs on the player and prints, all through the registry's API.
#include <catch2/catch.hpp>

#include <iostream>
#include <string>

#include "jobs/load.hpp"
#include "jobs/registry.hpp"
#include "jobs/run_job.hpp"
#include "sleep/sleep_job.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using testing::SleepSpec;

namespace {

// The shipped kinds and `sleep`: its one registration line.
const JobKinds& kinds() {
  static const JobKinds k = job_kinds().with({
      make_kind(testing::parse_sleep, testing::sleep_run_size, testing::sleep_job_programs, testing::run_sleep_job),
  });
  return k;
}

const std::string kFile = std::string(TRAINSIM_SOURCE_DIR) + "/tests/jobs/sleep/sleep.yaml";

std::string sleep_scenario(const std::string& job, const std::string& kind = "sleep") {
  return "platform: h100-400g\njob:\n  kind: " + kind + "\n" + job;
}

}  // namespace

TEST_CASE("job kinds: a kind from its own folder loads from a scenario file, runs and prints", "[jobs]") {
  const Scenario s = load_scenario_file(kFile, kinds());
  REQUIRE(s.job.is<SleepSpec>());
  CHECK(s.job.kind() == "sleep");
  CHECK(s.job.as<SleepSpec>().gpus == 4);
  CHECK(s.job.as<SleepSpec>().duration == Approx(2.5e-3).epsilon(1e-12));
  CHECK(s.job.as<SleepSpec>().where.line == 6);  // the job map (its first key), for its refusals

  // Its size estimate and its programs, through the table.
  CHECK(limits::run_size(s, false, kinds()).actors == 4);
  CHECK(limits::run_size(s, true, kinds()).activities == 4);
  const auto programs = job_programs(s, kinds());
  REQUIRE(programs.size() == 1);
  CHECK(programs[0].set.ranks.size() == 4);
  CHECK(programs[0].set.programs.size() == 1);  // one program shared by the four ranks
  CHECK(programs[0].set.job.kind == "sleep");

  // Run on the player: each GPU computes 2.5 ms, so the makespan is exactly that.
  const JobOutcome out = run_job(s, {}, kinds());
  std::cout << out.report();
  CHECK(out.report() == "# sleep: 4 GPUs on platform 'h100-400g'\nmakespan: 2.500 ms\n");
  REQUIRE(out.trace.summary.size() == 1);
  CHECK(out.trace.summary[0].name == "makespan");
  CHECK(out.trace.summary[0].value == Approx(2.5e-3).epsilon(1e-12));
}

TEST_CASE("job kinds: a registered kind's name is listed and suggested, its parser's refusals locate the key", "[jobs]") {
  using testing::message_of;
  CHECK(message_of([] { load_scenario_text(sleep_scenario("  gpus: 1\n  duration: 1 s\n", "slep"), "s.yaml", kinds()); }) ==
        "s.yaml:3:9: error: key 'job.kind': unknown job kind \"slep\" (did you mean 'sleep'?); expected one of: "
        "collective_benchmark, training, diloco, programs, sleep");
  CHECK(message_of([] { load_scenario_text(sleep_scenario("  gpus: 4\n  duration: -1 s\n"), "s.yaml", kinds()); })
            .find("s.yaml:5:13: error: key 'job.duration'") == 0);
  CHECK(message_of([] { load_scenario_text(sleep_scenario("  gpus: 4\n  duration: 1 s\n  nap: 1\n"), "s.yaml", kinds()); })
            .find("s.yaml:6:3: error: key 'job.nap': unknown key") == 0);
  // Not registered in the shipped table: `trainsim run` and every command refuse it.
  CHECK(message_of([] { load_scenario_file(kFile); }).find("unknown job kind \"sleep\"; expected one of: "
                                                           "collective_benchmark, training, diloco, programs") !=
        std::string::npos);
}

TEST_CASE("job kinds: JobSpec holds any kind, read back with a type check", "[jobs]") {
  SleepSpec spec;
  spec.gpus = 2;
  JobSpec job = spec;
  CHECK(job.kind() == "sleep");
  CHECK(job.is<SleepSpec>());
  CHECK_FALSE(job.is<TrainingSpec>());
  CHECK(job.get_if<TrainingSpec>() == nullptr);
  CHECK(job.get_if<SleepSpec>()->gpus == 2);
  try {
    (void)job.as<TrainingSpec>();
    FAIL("as<TrainingSpec> of a sleep job");
  } catch (const InternalError& e) {
    CHECK(std::string(e.what()) == "the job is a 'sleep' job, not a 'training' job");
  }
  // Copies share the immutable spec; editing means assigning a changed copy.
  const JobSpec copy = job;
  CHECK(&copy.as<SleepSpec>() == &job.as<SleepSpec>());
  spec.gpus = 3;
  job = spec;
  CHECK(copy.as<SleepSpec>().gpus == 2);
  CHECK(job.as<SleepSpec>().gpus == 3);
  CHECK(JobSpec().empty());
  CHECK(JobSpec().kind().empty());
  // A job of a kind the table does not have is a bug, not bad input.
  Scenario s;
  s.job = spec;
  try {
    (void)run_job(s, {});
    FAIL("ran an unregistered kind");
  } catch (const InternalError& e) {
    CHECK(std::string(e.what()) == "the job kind 'sleep' is not registered");
  }
  CHECK_THROWS_AS(kinds().with({kinds().all().back()}), InternalError);  // registered twice
}
