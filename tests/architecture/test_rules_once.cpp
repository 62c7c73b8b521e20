// Rules written once (issue 11): the names of schedules, collective algorithms and job kinds,
// the link-naming scheme and the suggestion rule each live in one table that every reader and
// writer goes through. These tests pin the places that used to keep their own copies.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/job_kinds.hpp"
#include "config/link_names.hpp"
#include "core/suggest.hpp"
#include "jobs/load.hpp"
#include "jobs/registry.hpp"
#include "program/collective_kind.hpp"
#include "schedule/schedule.hpp"
#include "support/input_error.hpp"
#include "support/platforms.hpp"
#include "support/files.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {

using trainsim::testing::read_file;

// scenarios/default.yaml with `schedule:` and `chunks:` replaced.
std::string default_with(const std::string& schedule, int chunks) {
  std::string text = read_file(fs::path(TRAINSIM_SOURCE_DIR) / "scenarios/default.yaml");
  text.replace(text.find("schedule: interleaved-1f1b"), std::string("schedule: interleaved-1f1b").size(),
               "schedule: " + schedule);
  text.replace(text.find("chunks: 2"), std::string("chunks: 2").size(), "chunks: " + std::to_string(chunks));
  return text;
}

}  // namespace

TEST_CASE("rules once: every schedule name a scenario accepts is the schedule table's", "[architecture]") {
  for (const auto& [name, kind] : schedule::schedule_names()) {
    CHECK(schedule::to_string(kind) == name);
    if (kind == schedule::ScheduleKind::Interleaved1F1B) continue;  // needs chunks
    // zb-v and dualpipe run two chunks (dualpipe with the default scenario's overlap_grad_reduce).
    const int chunks = schedule::chunk_layout(kind) == schedule::ChunkLayout::Looped ? 1 : 2;
    const std::string text = default_with(name, chunks);
    const std::string path = (fs::path(TRAINSIM_SOURCE_DIR) / "scenarios/x.yaml").string();
    const Scenario s = load_scenario_text(text, path);
    CHECK(s.job.as<TrainingSpec>().plan.schedule == kind);
  }
  // The message names the schedule as files write it (it used to say "interleaved_1f1b").
  const std::string m = testing::message_of([] {
    const Scenario s =
        load_scenario_text(default_with("1f1b", 2), (fs::path(TRAINSIM_SOURCE_DIR) / "scenarios/x.yaml").string());
    const auto& t = s.job.as<TrainingSpec>();
    validate_plan(t.plan, t.model, s.platform.total_gpus());
  });
  CHECK_THAT(m, Catch::Contains("chunks > 1 needs schedule interleaved-1f1b"));
}

TEST_CASE("rules once: algorithm and collective names come from one table each", "[architecture]") {
  CHECK(names_of(algorithm_names()) == std::vector<std::string>{"ring", "tree", "hierarchical", "direct"});
  CHECK(names_of(collective_names()).back() == "barrier");
  for (const auto& [name, a] : algorithm_names()) CHECK(algorithm_from_name(name) == a);
  for (const auto& [name, k] : collective_names()) CHECK(collective_from_name(name) == k);
  for (const auto& [name, g] : granularity_names()) CHECK(granularity_from_name(name) == g);
  const auto ring_only = names_among(algorithm_names(), [](CollectiveAlgorithm a) { return a == CollectiveAlgorithm::Ring; });
  REQUIRE(ring_only.size() == 1);
  CHECK(ring_only.front().first == "ring");
}

TEST_CASE("rules once: job kinds are one table, whose names the loader lists and the jobs report", "[architecture]") {
  const JobKinds& kinds = job_kinds();
  std::vector<std::string> names;
  for (const auto& k : kinds.all()) names.emplace_back(k.name);
  CHECK(names == std::vector<std::string>{"collective_benchmark", "training", "diloco", "programs"});
  // The loader's parsers are the registry's, in its order.
  REQUIRE(kinds.parsers().size() == names.size());
  for (size_t i = 0; i < names.size(); ++i) CHECK(kinds.parsers()[i].name == names[i]);
  // An unknown kind is refused with the registry's names (and a suggestion).
  const std::string bad = "platform: h100-400g\njob:\n  kind: trainig\n";
  try {
    load_scenario_text(bad, "s.yaml");
    FAIL("an unknown kind loaded");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("did you mean 'training'") &&
                             Catch::Contains("expected one of: collective_benchmark, training, diloco, programs"));
  }
  // Each shipped scenario's kind name is the one its parsed job reports, and finds its entry.
  const fs::path root = TRAINSIM_SOURCE_DIR;
  std::set<std::string> seen;
  for (const char* file : {"scenarios/default.yaml", "scenarios/nccl/dgx-a100-allreduce-1node.yaml", "scenarios/diloco/table4.yaml"}) {
    REQUIRE(fs::exists(root / file));
    const Scenario s = load_scenario_file((root / file).string());
    const std::string text = read_file(root / file);
    const std::string name(s.job.kind());
    CHECK(kinds.of(s.job).name == name);
    CHECK(text.find("kind: " + name) != std::string::npos);
    seen.insert(name);
  }
  CHECK(seen.size() >= 2);
  // Two kinds of one name cannot register.
  CHECK_THROWS_AS(kinds.with({kinds.all().front()}), InternalError);
}

TEST_CASE("rules once: link-name examples are names the platform really has", "[architecture]") {
  PlatformSpec p = testing::uniform_cluster(2, 4, 300e9, 50e9, 1e-6);
  p.clusters[0].fabric.kind = FabricKind::FatTree;
  p.clusters[0].fabric.nodes_per_leaf = 1;
  std::set<std::string> names;
  link_names::for_each_link_name(p, [&](const std::string& n) {
    names.insert(n);
    return false;
  });
  std::stringstream examples(link_name_examples(p));
  std::string e;
  int count = 0;
  while (std::getline(examples, e, ',')) {
    if (e.front() == ' ') e.erase(0, 1);
    INFO(e);
    CHECK(names.count(e) == 1);
    CHECK(any_link_matches(p, e));
    ++count;
  }
  CHECK(count == 3);  // NVSwitch port, NIC, leaf uplink
}

TEST_CASE("rules once: one suggestion rule for files and the command line", "[architecture]") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(did_you_mean("tarce", {"trace", "seed"}) == "did you mean 'trace'?");
  CHECK(did_you_mean("SEED", {"trace", "seed"}) == "did you mean 'seed'?");
  CHECK(did_you_mean("x", {"y"}).empty());             // never all of the word
  CHECK(did_you_mean(std::string(65, 'a'), {"a"}).empty());  // no quadratic work on pasted text
  const std::vector<std::string> commands = {"run", "sweep", "merge"};
  const std::string* best = closest_name("swep", commands);
  REQUIRE(best);
  CHECK(*best == "sweep");
}
