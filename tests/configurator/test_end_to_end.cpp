// profile-bandwidth, configure and compare end to end on tiny clusters (seconds).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "config/bandwidth_matrix.hpp"
#include "config/loader.hpp"
#include "configurator/training_bridge.hpp"

namespace fs = std::filesystem;
using namespace trainsim;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("trainsim-configurator-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// 4 nodes x 4 GPUs, 100 Gb/s NICs, zero latencies (round numbers); node 1's NIC degraded.
std::string platform_yaml(bool degraded) {
  std::string s = R"(platform:
  name: tiny
  clusters:
    - name: t
      gpu: A100-40GB
      nodes: 4
      gpus_per_node: 4
      intra_node: {kind: nvswitch, bandwidth: 100GB/s, latency: 0s}
      nic: {count: 1, bandwidth: 100Gbps, latency: 0s}
      fabric: {kind: single_switch, switch_latency: 0s}
)";
  if (degraded) s += "  heterogeneity:\n    overrides:\n      - {links: t.n1.nic0, factor: 0.25}\n";
  return s;
}

const char* kScenario = R"(name: tiny-job
seed: 3
platform: tiny.yaml
job:
  kind: training
  model: {family: gpt, layers: 8, hidden: 1024, heads: 16, seq_len: 512, vocab: 32000}
  parallelism: {tp: 4, pp: 2, dp: 2}
  micro_batch: 1
  global_batch: 16
)";

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
    const auto& spec = std::get<TrainingSpec>(s.job);
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

TEST_CASE("compare end to end on a 4-node cluster") {
  const auto dir = fresh_dir("compare");
  write(dir / "tiny.yaml", platform_yaml(true));
  write(dir / "job.yaml", kScenario);
  const auto prefix = (dir / "cmp").string();
  REQUIRE(cli::compare_command({(dir / "job.yaml").string(), "--top", "3", "--iterations", "2000", "--output", prefix}) == 0);
  REQUIRE(fs::exists(prefix + ".h5"));
  const auto methods = read_csv(prefix + "-methods.csv");
  const auto cands = read_csv(prefix + "-candidates.csv");
  REQUIRE(methods.size() == 6);
  std::map<std::string, std::map<std::string, std::string>> by;
  for (const auto& m : methods) by[m.at("method")] = m;
  for (const char* name : {"pipette", "pipette-corrected", "amp", "megatron", "random", "oracle"}) REQUIRE(by.count(name));
  auto num = [](const std::string& s) { return std::stod(s); };
  // The oracle's prediction is its simulation; its pick beats every corrected candidate (they
  // are among the configurations it simulated).
  CHECK(num(by["oracle"].at("error")) == Approx(0).margin(1e-12));
  CHECK(num(by["oracle"].at("simulated_s")) <= num(by["pipette-corrected"].at("simulated_s")) * (1 + 1e-12));
  CHECK(num(by["megatron"].at("speedup_vs_megatron")) == Approx(1));
  for (const auto& m : methods) {
    CHECK(num(m.at("simulated_s")) > 0);
    if (m.at("method") != "megatron") {
      const double err = (num(m.at("predicted_s")) - num(m.at("simulated_s"))) / num(m.at("simulated_s"));
      CHECK(num(m.at("error")) == Approx(err));
    }
  }
  int picks = 0;
  for (const auto& c : cands) picks += c.at("is_pick") == "1";
  CHECK(picks == 6);
  // Same inputs, same seed: same answer.
  const auto prefix2 = (dir / "cmp2").string();
  REQUIRE(cli::compare_command({(dir / "job.yaml").string(), "--top", "3", "--iterations", "2000", "--output", prefix2}) == 0);
  std::ifstream a(prefix + "-candidates.csv"), b(prefix2 + "-candidates.csv");
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  CHECK(sa.str() == sb.str());
}
