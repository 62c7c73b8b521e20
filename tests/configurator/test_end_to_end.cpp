// profile-bandwidth, configure and compare end to end on tiny clusters (seconds).
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "config/bandwidth_matrix.hpp"
#include "configurator/training_bridge.hpp"
#include "engine/isolated.hpp"
#include "engine/simulation.hpp"
#include "jobs/load.hpp"
#include "output/table_printer.hpp"
#include "support/input_error.hpp"
#include "tiny_cluster.hpp"
#include "training/simulator.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using namespace trainsim;

namespace {

using trainsim::testing::read_file;

using testing::fresh_dir;
using testing::write;

// 4 nodes x 4 GPUs, zero latencies (round numbers); `degraded`: node 1's NIC at a quarter.
std::string platform_yaml(bool degraded) { return testing::tiny_platform(4, degraded); }

const std::string kScenario = testing::tiny_job("tiny-job", 4, 2, 2);

std::vector<std::map<std::string, std::string>> read_csv(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  auto split = [](const std::string& l) {
    std::vector<std::string> out;
    std::stringstream ss(l);
    for (std::string f; std::getline(ss, f, ',');) out.push_back(f);
    return out;
  };
  const auto head = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const auto f = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < head.size() && i < f.size(); ++i) row[head[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("profile-bandwidth measures NIC and NVLink rates and writes Pipette's JSON") {
  const auto dir = fresh_dir("profile");
  write(dir / "tiny.yaml", platform_yaml(true));
  const auto json = dir / "m.json";
  REQUIRE(cli::profile_bandwidth_command({(dir / "tiny.yaml").string(), "--output", json.string()}) == 0);
  const auto m = load_bandwidth_matrix(json.string(), "t");
  REQUIRE(m.bandwidth.size() == 4);
  // Zero latency: a sendrecv pair attains the slower NIC; node 1's NIC is at a quarter.
  CHECK(m.bandwidth[0][2] == Approx(12.5e9).epsilon(3e-3));  // JSON keeps 2 decimals of GB/s
  CHECK(m.bandwidth[0][1] == Approx(12.5e9 / 4).epsilon(3e-3));  // JSON keeps 2 decimals of GB/s
  CHECK(m.bandwidth[3][1] == Approx(12.5e9 / 4).epsilon(3e-3));  // JSON keeps 2 decimals of GB/s
  CHECK(m.bandwidth[2][2] == Approx(100e9).epsilon(3e-3));  // JSON keeps 2 decimals of GB/s
  // The rounds cover every pair once (odd counts rest one node per round).
  for (int n : {2, 3, 4, 5, 8}) {
    std::map<std::pair<int, int>, int> seen;
    for (const auto& round : configurator::profile_rounds(n)) {
      std::vector<int> busy(n, 0);
      for (auto p : round) {
        ++seen[p];
        CHECK(++busy[p.first] == 1);
        CHECK(++busy[p.second] == 1);
      }
    }
    CHECK(static_cast<int>(seen.size()) == n * (n - 1) / 2);
  }
}

TEST_CASE("configure writes scenarios that load and place stages where the grid says") {
  const auto dir = fresh_dir("configure");
  write(dir / "tiny.yaml", platform_yaml(true));
  write(dir / "job.yaml", kScenario);
  const auto out = dir / "out";
  REQUIRE(cli::configure_command({(dir / "job.yaml").string(), "--method", "pipette", "--top", "3", "--output-dir",
                                  out.string(), "--iterations", "2000"}) == 0);
  for (int i = 1; i <= 3; ++i) {
    const auto file = out / ("tiny-job-pipette-" + std::to_string(i) + ".yaml");
    REQUIRE(fs::exists(file));
    const Scenario s = load_scenario_file(file.string());
    const auto& spec = s.job.as<TrainingSpec>();
    CHECK(spec.plan.gpus() == 16);
    CHECK(spec.plan.global_batch == 16);
    CHECK(spec.model.layers == 8);
    CHECK(s.platform.clusters[0].nodes == 4);
    if (spec.plan.order == RankOrder::Explicit) {
      // Each tensor-parallel group stays inside one node.
      const int tp = spec.plan.tp;
      for (size_t r = 0; r < spec.plan.mapping.size(); r += tp)
        CHECK(spec.plan.mapping[r] / 4 == spec.plan.mapping[r + tp - 1] / 4);
    }
  }
  // Existing files are refused without --force.
  CHECK_THROWS(cli::configure_command({(dir / "job.yaml").string(), "--output-dir", out.string()}));
}

TEST_CASE("configure names a platform given by its bare name by that name in the scenarios it writes") {
  // Issue 10 audit: `platform: dgx-a100-16node` came out as a relative path to the shipped file
  // ("../../../work/main/platforms/..."), which breaks when either folder moves.
  const auto dir = fresh_dir("configure-bare");
  const auto platforms = dir / "platforms";
  fs::create_directories(platforms);
  write(platforms / "tiny.yaml", platform_yaml(false));
  std::string job = kScenario;
  job.replace(job.find("platform: tiny.yaml"), 19, "platform: tiny");
  write(dir / "job.yaml", job);
  REQUIRE(::setenv("TRAINSIM_PLATFORM_PATH", platforms.c_str(), 1) == 0);
  const auto out = dir / "out";
  REQUIRE(cli::configure_command({(dir / "job.yaml").string(), "--method", "megatron", "--top", "1", "--output-dir",
                                  out.string(), "--quiet"}) == 0);
  const auto file = out / "tiny-job-megatron-1.yaml";
  REQUIRE(fs::exists(file));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("\nplatform: tiny\n") != std::string::npos);
  CHECK(load_scenario_file(file.string()).platform.clusters[0].nodes == 4);
}

namespace {

// Runs `f` with std::cout and std::cerr captured; returns {stdout, stderr}.
std::pair<std::string, std::string> captured(const std::function<void()>& f) {
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  try {
    f();
  } catch (...) {
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    throw;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {out.str(), err.str()};
}

}  // namespace

TEST_CASE("compare end to end on a 4-node cluster: the oracle is never beaten") {
  const auto dir = fresh_dir("compare");
  write(dir / "tiny.yaml", platform_yaml(true));
  write(dir / "job.yaml", kScenario);
  const auto prefix = (dir / "cmp").string();
  const std::vector<std::string> cmd{(dir / "job.yaml").string(), "--top", "3", "--iterations", "2000", "--output", prefix};
  const auto [out, err] = captured([&] { REQUIRE(cli::compare_command(cmd) == 0); });
  // Progress goes to a terminal only: none on a captured (non-terminal) stderr.
  CHECK(err.empty());
  REQUIRE(fs::exists(prefix + ".h5"));
  const auto methods = read_csv(prefix + "-methods.csv");
  const auto cands = read_csv(prefix + "-candidates.csv");
  const auto space = read_csv(prefix + "-space.csv");
  REQUIRE(methods.size() == configurator::method_names().size());
  std::map<std::string, std::map<std::string, std::string>> by;
  for (const auto& m : methods) by[m.at("method")] = m;
  for (const auto& [name, m] : configurator::method_names()) REQUIRE(by.count(name));
  auto num = [](const std::string& s) { return std::stod(s); };
  // The oracle's prediction is its simulation, and no method's pick that fits in memory
  // simulates faster than the oracle's.
  CHECK(num(by["oracle"].at("error")) == Approx(0).margin(1e-12));
  for (const auto& m : methods) {
    INFO(m.at("method"));
    if (m.at("oom") == "0") CHECK(num(by["oracle"].at("simulated_s")) <= num(m.at("simulated_s")));
  }
  CHECK(num(by["megatron"].at("speedup_vs_megatron")) == Approx(1));
  for (const auto& m : methods) {
    CHECK(num(m.at("simulated_s")) > 0);
    if (m.at("method").rfind("megatron", 0) != 0) {
      const double err_v = (num(m.at("predicted_s")) - num(m.at("simulated_s"))) / num(m.at("simulated_s"));
      CHECK(num(m.at("error")) == Approx(err_v));
    }
  }
  // Rank statistics over the whole feasible space: as many configurations as fit, with intervals.
  CHECK(num(by["pipette"].at("space_configs")) > 3);
  CHECK(num(by["pipette"].at("spearman_lo")) <= num(by["pipette"].at("spearman")));
  CHECK(num(by["pipette"].at("spearman")) <= num(by["pipette"].at("spearman_hi")));
  // Stages smaller than a node (pp 8 on 4 nodes of 4 GPUs: two stages per node) are simulated by
  // the oracle and ranked by AMP, never proposed by Pipette's released placement.
  int sub_node_oracle = 0, sub_node_amp = 0, sub_node_pipette = 0;
  for (const auto& r : space) {
    if (r.at("config").rfind("pp8 ", 0) != 0) continue;
    sub_node_oracle += r.at("method") == "oracle" && r.at("search") != "out of memory" && num(r.at("simulated_s")) > 0;
    sub_node_amp += r.at("method") == "amp";
    sub_node_pipette += r.at("method") == "pipette";
  }
  CHECK(sub_node_oracle >= 2);
  CHECK(sub_node_amp >= 2);
  CHECK(sub_node_pipette == 0);
  int pipette_rows = 0;
  for (const auto& r : space) pipette_rows += r.at("method") == "pipette";
  CHECK(pipette_rows == static_cast<int>(num(by["pipette"].at("space_configs"))));
  int picks = 0;
  for (const auto& c : cands) picks += c.at("is_pick") == "1";
  CHECK(picks == static_cast<int>(methods.size()));
  // Ranks print as integers ("2", or "2.5" for a tie), never "2.0".
  const std::string table = out.substr(out.find("candidates:"));
  std::istringstream lines(table);
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.size() < 4 || (w.back() != "yes" && w.back() != "no")) continue;
    ++rows;
    const std::string rank = w[w.size() - 2];
    CHECK((rank.find('.') == std::string::npos || rank.substr(rank.find('.')) == ".5"));
  }
  CHECK(rows == static_cast<int>(cands.size()));
  // The header's simulated time of Megatron's rule has at least 4 significant digits. (This
  // job's time is above 0.1 s, where 4 decimals were enough; the sub-0.1 s case of issue 10,
  // "0.0464 s", is pinned by test_number_printing.py, which refuses unexplained fixed decimals.)
  {
    const size_t at = out.find(") simulated ");
    REQUIRE(at != std::string::npos);
    std::string value = out.substr(at + 12, out.find(" s\n", at) - at - 12);
    value.erase(0, value.find_first_not_of("0."));
    value.erase(std::remove(value.begin(), value.end(), '.'), value.end());
    CHECK(value.size() >= 4);
  }
  // Same inputs, same seed: same answer.
  const auto prefix2 = (dir / "cmp2").string();
  captured([&] {
    REQUIRE(cli::compare_command({(dir / "job.yaml").string(), "--top", "3", "--iterations", "2000", "--output", prefix2}) == 0);
  });
  for (const char* t : {"-candidates.csv", "-methods.csv", "-space.csv"}) CHECK(read_file(prefix + t) == read_file(prefix2 + t));
}

TEST_CASE("configure and compare refuse --memory-limit and name both replacements") {
  const auto dir = fresh_dir("memlimit");
  write(dir / "tiny.yaml", platform_yaml(false));
  write(dir / "job.yaml", kScenario);
  const std::string job = (dir / "job.yaml").string();
  for (auto* cmd : {&cli::configure_command, &cli::compare_command})
    for (const auto& opt : {std::vector<std::string>{"--memory-limit", "30GiB"}, std::vector<std::string>{"--memory-limit=30GiB"}}) {
      std::vector<std::string> words{job};
      words.insert(words.end(), opt.begin(), opt.end());
      CHECK_THROWS_WITH((*cmd)(words), Catch::Contains("--gpu-memory-limit") && Catch::Contains("--host-memory-limit"));
    }
  // --gpu-memory-limit below every estimate: nothing fits, nothing is written.
  const auto out = dir / "out";
  const auto [text, err] = captured([&] {
    REQUIRE(cli::configure_command({job, "--gpu-memory-limit", "1MiB", "--output-dir", out.string()}) == 0);
  });
  CHECK_THAT(text, Catch::Contains("no configuration of the search space fits in memory"));
  CHECK(!fs::exists(out));
  // --host-memory-limit below what one simulation needs is refused before anything runs.
  CHECK_THROWS_WITH(cli::configure_command({job, "--host-memory-limit", "1MiB", "--output-dir", out.string()}),
                    Catch::Contains("memory"));
}

TEST_CASE("configure's and compare's help examples name files that exist, and configure's runs") {
  for (auto* cmd : {&cli::configure_command, &cli::compare_command}) {
    const auto [help, err] = captured([&] { REQUIRE((*cmd)({"--help"}) == 0); });
    const auto at = help.find("trainsim ", help.find("example"));
    REQUIRE(at != std::string::npos);
    std::istringstream words(help.substr(at, help.find('\n', at) - at));
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    REQUIRE(w.size() >= 3);
    const fs::path scenario = fs::path(TRAINSIM_SOURCE_DIR) / w[2];
    INFO(w[2]);
    REQUIRE(fs::exists(scenario));
    if (cmd == &cli::configure_command) {
      std::vector<std::string> args{scenario.string()};
      args.insert(args.end(), w.begin() + 3, w.end());
      const auto out = fresh_dir("help-example") / "out";
      args.insert(args.end(), {"--output-dir", out.string()});
      captured([&] { CHECK(cli::configure_command(args) == 0); });
      CHECK(fs::exists(out));
    }
  }
}

TEST_CASE("configure keeps every key of the job: a written scenario simulates the time it reports") {
  const auto dir = fresh_dir("keys");
  write(dir / "tiny.yaml", platform_yaml(true));
  write(dir / "job.yaml", R"(name: tiny-keys
seed: 5
platform: tiny.yaml
job:
  kind: training
  model: {family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 512, vocab: 32000, tied_embeddings: false}
  parallelism: {tp: 4, pp: 2, dp: 2}
  micro_batch: 1
  global_batch: 16
  schedule: interleaved-1f1b
  chunks: 2
  attention: unfused
  bias_dropout_fusion: true
  recompute: selective
  zero_stage: 1
  overlap_grad_reduce: true
  bucket_size: 10MB
  dp_algorithm: hierarchical
  iterations: 3
  stragglers: {sigma: 0.1, gpus: {3: 1.5}}
)");
  const auto out = dir / "out";
  captured([&] {
    REQUIRE(cli::configure_command({(dir / "job.yaml").string(), "--method", "oracle", "--top", "3", "--output-dir",
                                    out.string(), "--iterations", "2000", "--oracle-budget", "4"}) == 0);
  });
  const Scenario input = load_scenario_file((dir / "job.yaml").string());
  const auto& in = input.job.as<TrainingSpec>();
  for (int i = 1; i <= 3; ++i) {
    const auto file = out / ("tiny-keys-oracle-" + std::to_string(i) + ".yaml");
    INFO(file.string());
    REQUIRE(fs::exists(file));
    const Scenario s = load_scenario_file(file.string());
    const auto& spec = s.job.as<TrainingSpec>();
    CHECK(s.seed == 5);
    CHECK(spec.model.tied_embeddings == false);
    CHECK(spec.plan.flash_attention == false);
    CHECK(spec.plan.fused_bias_dropout_add == true);
    CHECK(spec.plan.recompute == in.plan.recompute);
    CHECK(spec.plan.zero_stage == 1);
    CHECK(spec.plan.overlap_grad_reduce == true);
    CHECK(spec.plan.bucket_bytes == 10e6);
    CHECK(spec.plan.dp_algorithm == CollectiveAlgorithm::Hierarchical);
    CHECK(spec.stragglers.sigma == 0.1);
    CHECK(spec.stragglers.gpus == in.stragglers.gpus);
    CHECK(spec.plan.schedule == schedule::ScheduleKind::OneFOneB);
    CHECK(spec.plan.chunks == 1);
    CHECK(spec.plan.iterations == 1);
    // The time the configurator reported ("simulated X s per iteration", 6 digits) is what a
    // run of the written file gives.
    const std::string text = read_file(file);
    const auto at = text.find("simulated ");
    REQUIRE(at != std::string::npos);
    const double reported = std::stod(text.substr(at + 10));
    const double simulated = std::stod(run_isolated([&] {
      Simulation sim(s.platform, s.seed);
      const TrainingResult r = simulate_training(sim, spec, s.seed, nullptr);
      return output::format_roundtrip(r.iteration_time);
    }));
    CHECK(simulated == Approx(reported).epsilon(1e-5));
  }
}

TEST_CASE("configure writes stages smaller than a node that simulate the time the oracle reports") {
  const auto dir = fresh_dir("subnode-written");
  write(dir / "tiny.yaml", platform_yaml(true));  // 4 nodes x 4 GPUs
  write(dir / "job.yaml", kScenario);             // 8 layers: pp 8 puts two stages on a node
  const auto out = dir / "out";
  captured([&] {
    REQUIRE(cli::configure_command({(dir / "job.yaml").string(), "--method", "oracle", "--top", "100", "--output-dir",
                                    out.string(), "--iterations", "2000", "--oracle-budget", "4"}) == 0);
  });
  int sub_node = 0;
  for (const auto& entry : fs::directory_iterator(out)) {
    const Scenario s = load_scenario_file(entry.path().string());
    const auto& spec = s.job.as<TrainingSpec>();
    if (spec.plan.pp != 8) continue;
    INFO(entry.path().string());
    ++sub_node;
    const std::string text = read_file(entry.path());
    const auto at = text.find("simulated ");
    REQUIRE(at != std::string::npos);
    const double reported = std::stod(text.substr(at + 10));
    const double simulated = std::stod(run_isolated([&] {
      Simulation sim(s.platform, s.seed);
      return output::format_roundtrip(simulate_training(sim, spec, s.seed, nullptr).iteration_time);
    }));
    CHECK(simulated == Approx(reported).epsilon(1e-5));
  }
  CHECK(sub_node >= 2);  // pp8 tp1 dp2 and pp8 tp2 dp1 (and their micro-batches) fit
}

TEST_CASE("configure refuses what it cannot configure: one line naming file, line and key") {
  const auto dir = fresh_dir("refuse");
  write(dir / "tiny.yaml", platform_yaml(false));
  // A job that is not training: the error points at its `kind`.
  write(dir / "bench.yaml", "name: b\nseed: 0\nplatform: tiny.yaml\njob:\n  kind: collective_benchmark\n"
                            "  collectives: [all_reduce]\n  algorithms: [ring]\n  group: {nodes: 1}\n"
                            "  sizes: {min: 1KiB, max: 1MiB, factor: 2}\n");
  const std::string bench = (dir / "bench.yaml").string();
  CHECK(testing::message_of([&] { cli::configure_command({bench}); }) ==
        bench + ":5:9: error: key 'job.kind': the configurators need a training job (model, global batch, sequence "
                "length), this is a collective_benchmark job; expected kind: training");
  // Two clusters: the error points at the second one in the platform file.
  const std::string two = (fs::path(TRAINSIM_SOURCE_DIR) / "platforms" / "two-datacenters.yaml").string();
  write(dir / "two.yaml", std::string("name: t\nseed: 0\nplatform: ") + two + "\n" + kScenario.substr(kScenario.find("job:")));
  const std::string msg = testing::message_of([&] { cli::compare_command({(dir / "two.yaml").string()}); });
  CHECK_THAT(msg, Catch::StartsWith(two + ":"));
  CHECK_THAT(msg, Catch::Contains("key 'platform.clusters[1]': the configurators need a platform with exactly one cluster"));
  CHECK(msg.find('\n') == std::string::npos);
  // A matrix of the wrong size: the error points at its `bandwidth`.
  write(dir / "job.yaml", kScenario);
  write(dir / "m.json", "{\"gpus\": [\"a\", \"b\"],\n \"bandwidth\": [[\"100\", \"10\"], [\"10\", \"100\"]]}\n");
  const std::string m = (dir / "m.json").string();
  CHECK(testing::message_of([&] { cli::configure_command({(dir / "job.yaml").string(), "--matrix", m}); }) ==
        m + ":2:15: error: key 'bandwidth': the matrix has 2 rows, cluster 't' has 4 nodes; expected one row per node");
}

TEST_CASE("configure checks that each written scenario loads where it is written") {
  // An inline platform naming a matrix file relative to the input scenario: written next to the
  // input it loads; written elsewhere it could not, and nothing is written.
  const auto dir = fresh_dir("inline");
  write(dir / "m.json", "{\"gpus\": [\"a\", \"b\"], \"bandwidth\": [[\"100\", \"10\"], [\"10\", \"100\"]]}\n");
  write(dir / "job.yaml", R"(name: inline
seed: 1
platform:
  name: two
  clusters:
    - name: t
      gpu: A100-40GB
      nodes: 2
      gpus_per_node: 2
      intra_node: {kind: nvswitch, bandwidth: 100GB/s, latency: 1us}
      nic: {count: 1, bandwidth: 100Gbps, latency: 1us}
      fabric: {kind: measured, switch_latency: 100ns}
  heterogeneity:
    measured_matrix: {cluster: t, file: m.json}
job:
  kind: training
  model: {family: gpt, layers: 4, hidden: 512, heads: 8, seq_len: 128, vocab: 1000}
  parallelism: {tp: 2, pp: 1, dp: 2}
  micro_batch: 1
  global_batch: 8
)");
  const std::string job = (dir / "job.yaml").string();
  captured([&] { REQUIRE(cli::configure_command({job, "--top", "1", "--output-dir", dir.string()}) == 0); });
  CHECK(fs::exists(dir / "inline-pipette-1.yaml"));
  const auto elsewhere = dir / "elsewhere";
  CHECK_THROWS_WITH(cli::configure_command({job, "--top", "1", "--output-dir", elsewhere.string()}),
                    Catch::Contains("would not load") && Catch::Contains("give the platform as a file"));
  CHECK(!fs::exists(elsewhere / "inline-pipette-1.yaml"));
}

TEST_CASE("The configurators' tensor-parallel link: NVSwitch port, mesh share, slowest PCIe hop") {
  ClusterSpec c;
  c.gpus_per_node = 4;
  c.intra = {IntraNodeKind::NvSwitch, 300e9, 1e-6};
  CHECK(configurator::intra_node_tp_link(c).bandwidth == 300e9);
  c.intra.kind = IntraNodeKind::NvLinkMesh;
  CHECK(configurator::intra_node_tp_link(c).bandwidth == 100e9);  // 300 GB/s over 3 peers
  c.intra.kind = IntraNodeKind::Pcie;
  c.intra.bandwidth = 16e9;
  c.intra.pcie.switch_uplink = {12e9, 0};
  c.intra.pcie.root_complex = {20e9, 0};
  c.intra.pcie.socket_link = {8e9, 0};  // one socket: not crossed
  CHECK(configurator::intra_node_tp_link(c).bandwidth == 12e9);
  c.intra.pcie.sockets = 2;
  CHECK(configurator::intra_node_tp_link(c).bandwidth == 8e9);
  CHECK(configurator::intra_node_tp_link(c).latency == 1e-6);
}
