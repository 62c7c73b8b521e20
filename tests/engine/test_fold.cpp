// Folding symmetric tensor-parallel ranks (engine/fold.hpp): folded and unfolded runs give the
// same summary, per-stage tables and per-link totals (1e-9 relative) on small cases of each
// kind folding covers (1F1B, interleaved, ZeRO-1 and ZeRO-3, bucket overlap, a fat tree with one
// NIC per node, a rail-optimized fabric, two datacenters), and every case it must not fold is
// detected with its reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <unistd.h>

#include "engine/fold.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "jobs/load.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {

// An inline platform: `nodes` nodes of `per_node` A100, `nics` NICs each, the given fabric.
std::string platform(int nodes, int nics, const std::string& fabric, const std::string& extra = "", int per_node = 8) {
  return "platform:\n  name: p\n  clusters:\n    - name: c\n      gpu: A100-80GB\n      nodes: " +
         std::to_string(nodes) + "\n      gpus_per_node: " + std::to_string(per_node) + "\n      intra_node: {kind: nvswitch, bandwidth: 240GB/s, latency: 1us}\n"
         "      nic: {count: " +
         std::to_string(nics) + ", bandwidth: 200Gbps, latency: 600ns}\n      fabric: " + fabric + "\n" + extra;
}

const std::string kFatTree = "{kind: fat_tree, nodes_per_leaf: 2, oversubscription: 2, switch_latency: 130ns}";
const std::string kRail = "{kind: rail_optimized, nodes_per_leaf: 2, oversubscription: 1, switch_latency: 130ns}";

std::string scenario(const std::string& name, const std::string& platform_text, const std::string& job) {
  return "name: " + name + "\nseed: 3\n" + platform_text + "job:\n  kind: training\n  model: gpt-1.7b\n" + job;
}

fs::path write(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("trainsim-fold-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / (name + ".yaml");
  std::ofstream(file) << text;
  return file;
}

// Every number a run reports: summary values, its tables' columns, each link's bytes and busy
// time; and whether it folded.
std::string numbers(const fs::path& file, bool fold) {
  const Scenario s = load_scenario_file(file.string());
  JobOptions options;
  options.quiet = true;
  options.fold = fold;
  const JobOutcome out = run_job(s, options);
  std::ostringstream os;
  os.precision(17);
  os << (out.report().find("\nsimulated: tensor-parallel ranks folded") != std::string::npos) << "\n";
  for (const auto& v : out.trace.summary) os << v.name << " " << v.value << "\n";
  for (const auto& t : out.trace.tables)
    for (size_t c = 0; c < t.numeric_columns.size(); ++c)
      for (double x : t.numeric_columns[c]) os << t.name << "." << c << " " << x << "\n";
  for (const auto& l : out.trace.links) os << l.name << ".bytes " << l.bytes << "\n" << l.name << ".busy " << l.busy_time << "\n";
  return os.str();
}

// What folding says of the scenario's programs (after `edit`).
std::string fold_note(const fs::path& file, bool keep_activities,
                      const std::function<void(program::ProgramSet&)>& edit) {
  const Scenario s = load_scenario_file(file.string());
  auto sets = job_programs(s);
  if (edit) edit(sets.front().set);
  Simulation sim(s.platform, s.seed);
  return fold_tensor_parallel(sets.front().set, sim.network(), keep_activities).note;
}

}  // namespace

TEST_CASE("fold: folded and unfolded runs agree on every number they report", "[engine][fold]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // Fat tree, one NIC per node shared by two tensor-parallel groups of 4 (NIC divided by 4),
      // oversubscribed leaf uplinks; 1F1B; data-parallel neighbours inside a node (NVLink).
      {"1f1b-fat-tree-one-nic",
       scenario("a", platform(8, 1, kFatTree),
                "  parallelism: {tp: 4, pp: 2, dp: 8}\n  micro_batch: 1\n  global_batch: 32\n  schedule: 1f1b\n")},
      // Rail-optimized fabric, a NIC per GPU, interleaved schedule, ZeRO-1 with bucket overlap.
      {"interleaved-rail-zero1",
       scenario("b", platform(8, 8, kRail),
                "  parallelism: {tp: 8, pp: 4, dp: 2}\n  micro_batch: 1\n  global_batch: 16\n"
                "  schedule: interleaved-1f1b\n  chunks: 2\n  sequence_parallel: true\n  recompute: selective\n"
                "  zero_stage: 1\n  overlap_grad_reduce: true\n")},
      // ZeRO-3 (per-unit gathers and reduce-scatters on dp-comm), four NICs per node.
      {"zero3-fat-tree",
       scenario("c", platform(4, 4, kFatTree),
                "  parallelism: {tp: 2, pp: 1, dp: 16}\n  micro_batch: 1\n  global_batch: 32\n  zero_stage: 3\n")},
      // Two NICs per node, each shared by four tensor-parallel ranks (divided by 4); stragglers (a
      // tensor-parallel group runs at its slowest member's pace: its ranks stay copies).
      {"two-nics-stragglers",
       scenario("s", platform(4, 2, kRail),
                "  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 1\n  global_batch: 8\n"
                "  stragglers: {sigma: 0.05, gpus: {9: 1.3}}\n")},
      // Two datacenters joined by a WAN link: the pipeline crosses it.
      {"two-datacenters",
       scenario("d",
                "platform:\n  name: p\n  clusters:\n"
                "    - {name: a, gpu: H100-SXM, nodes: 2, gpus_per_node: 8, intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us}, nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: rail_optimized, nodes_per_leaf: 2, switch_latency: 130ns}}\n"
                "    - {name: b, gpu: H100-SXM, nodes: 2, gpus_per_node: 8, intra_node: {kind: nvswitch, bandwidth: 370.8GB/s, latency: 1us}, nic: {count: 8, bandwidth: 400Gbps, latency: 600ns}, fabric: {kind: rail_optimized, nodes_per_leaf: 2, switch_latency: 130ns}}\n"
                "  wan:\n    - {between: [a, b], bandwidth: 100Gbps, latency: 2ms}\n",
                "  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 1\n  global_batch: 8\n  overlap_grad_reduce: true\n")},
  };
  std::vector<std::function<std::string()>> jobs;
  for (const auto& [name, text] : cases) {
    const fs::path file = write(name, text);
    jobs.push_back([file] { return numbers(file, true); });
    jobs.push_back([file] { return numbers(file, false); });
  }
  std::vector<ChildFailure> failures;
  const auto out = run_isolated_all(jobs, 2, &failures);
  for (size_t c = 0; c < cases.size(); ++c) {
    INFO(cases[c].first << ": " << failures[2 * c].message << failures[2 * c + 1].message);
    REQUIRE_FALSE(failures[2 * c].failed);
    REQUIRE_FALSE(failures[2 * c + 1].failed);
    std::istringstream folded(out[2 * c]), full(out[2 * c + 1]);
    int was_folded = 0, was_full = 1;
    folded >> was_folded, full >> was_full;
    CHECK(was_folded == 1);
    CHECK(was_full == 0);
    std::string a, b;
    double x = 0, y = 0;
    size_t values = 0, nonzero_links = 0;
    while (folded >> a >> x) {
      REQUIRE(full >> b >> y);
      REQUIRE(a == b);
      INFO(a << ": folded " << x << ", unfolded " << y);
      CHECK(std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y)) + 1e-15);
      ++values;
      if (a.size() > 6 && a.compare(a.size() - 6, 6, ".bytes") == 0 && y > 0) ++nonzero_links;
    }
    CHECK_FALSE(full >> b);
    CHECK(values > 20);
    CHECK(nonzero_links > 4);
  }
}

TEST_CASE("fold: every case it must not fold is detected, with its reason", "[engine][fold]") {
  const std::string job = "  parallelism: {tp: 8, pp: 2, dp: 2}\n  micro_batch: 1\n  global_batch: 8\n";
  struct Case {
    std::string name, text, reason;
    bool trace = false;
    std::function<void(program::ProgramSet&)> edit = {};
  };
  const std::string rail = platform(4, 8, kRail);
  // Rank 1 (tp rank 1 of the first group) made slower, or given a program of its own.
  auto slower = [](program::ProgramSet& set) { set.ranks.at(1).compute_scale = 1.3; };
  auto own_program = [](program::ProgramSet& set) {
    set.programs.push_back(set.programs.at(set.ranks.at(1).program));
    set.ranks.at(1).program = static_cast<int32_t>(set.programs.size() - 1);
  };
  const std::vector<Case> cases = {
      {"foldable", scenario("e", rail, job), ""},
      {"foldable-two-nics", scenario("e2", platform(4, 2, kRail), job), ""},
      {"trace", scenario("f", rail, job), "a trace of every GPU's activities", true},
      {"slower-rank", scenario("g", rail, job), "different compute speeds", false, slower},
      {"own-program", scenario("g2", rail, job), "different programs", false, own_program},
      {"no-tp", scenario("h", rail, "  parallelism: {tp: 1, pp: 2, dp: 16}\n  micro_batch: 1\n  global_batch: 32\n"),
       "no tensor parallelism"},
      {"three-nics", scenario("i", platform(4, 3, kRail), job), "shared unevenly"},
      {"degraded-link",
       scenario("j", platform(4, 8, kRail, "  heterogeneity:\n    overrides:\n      - {links: c.n1.nic3, factor: 0.5}\n"), job),
       "measured or degraded bandwidth"},
      {"spread",
       scenario("k", platform(4, 8, kRail, "  heterogeneity:\n    spread:\n      - {links: \"c.n*.gpu*.nvlink\", distribution: lognormal, sigma: 0.03}\n"), job),
       "measured or degraded bandwidth"},
      {"tp-spans-nodes", scenario("l", platform(8, 4, kRail, "", 4), job), "spans nodes"},
  };
  std::vector<std::function<std::string()>> jobs;
  for (const auto& c : cases) {
    const fs::path file = write(c.name, c.text);
    const bool trace = c.trace;
    const auto edit = c.edit;
    jobs.push_back([file, trace, edit] { return fold_note(file, trace, edit); });
  }
  std::vector<ChildFailure> failures;
  const auto out = run_isolated_all(jobs, 2, &failures);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].name << ": " << failures[i].message << " note: " << out[i]);
    REQUIRE_FALSE(failures[i].failed);
    if (cases[i].reason.empty()) {
      CHECK(out[i].rfind("tensor-parallel ranks folded: 1 of every 8", 0) == 0);
    } else {
      CHECK(out[i].rfind("every GPU simulated", 0) == 0);
      CHECK(out[i].find(cases[i].reason) != std::string::npos);
    }
  }
}
