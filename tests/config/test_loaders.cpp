// Platform and scenario loaders on small inline texts: defaults, checks, relative paths,
// the matrix reader/writer and the link-name globs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <variant>

#include "config/bandwidth_matrix.hpp"
#include "config/link_names.hpp"
#include "jobs/load.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using testing::message_of;

namespace {

const char* kSmall = R"(platform:
  clusters:
    - name: c
      gpu: H100-SXM
      nodes: 4
      intra_node: {bandwidth: 450GB/s, latency: 1us}
      nic: {bandwidth: 400Gbps, latency: 0us}
)";
}  // namespace

TEST_CASE("loaders: platform defaults") {
  PlatformSpec p = load_platform_text(kSmall, "dir/small.yaml");
  CHECK(p.name == "small");
  CHECK(p.file == "dir/small.yaml");
  REQUIRE(p.clusters.size() == 1);
  CHECK(p.clusters[0].gpus_per_node == 8);
  CHECK(p.clusters[0].nic.count == 1);
  CHECK(p.clusters[0].intra.kind == IntraNodeKind::NvSwitch);
  CHECK(p.clusters[0].fabric.kind == FabricKind::SingleSwitch);
  CHECK(p.clusters[0].fabric.switch_latency == 0);
  CHECK(p.total_gpus() == 32);
  CHECK(!p.matrix);
}

TEST_CASE("loaders: inline GPU model") {
  std::string text = kSmall;
  text.replace(text.find("H100-SXM"), 8,
               "{name: X1, peak_flops: 100TFLOPS, memory: 16GiB, memory_bandwidth: 1TB/s}");
  PlatformSpec p = load_platform_text(text, "x.yaml");
  CHECK(p.clusters[0].gpu.name == "X1");
  CHECK(p.clusters[0].gpu.peak_flops == Approx(100e12));
  CHECK(p.clusters[0].gpu.memory_bytes == Approx(16.0 * (1ull << 30)));
  CHECK(p.clusters[0].gpu.memory_bandwidth == Approx(1e12));
}

TEST_CASE("loaders: scenario with inline platform and collective benchmark") {
  std::string text = std::string("name: sweep\nseed: 42\n") + kSmall +
                     "job:\n  kind: collective_benchmark\n  collectives: [all_reduce, all_gather]\n"
                     "  algorithms: [ring, tree]\n  group: {nodes: 2, gpus_per_node: 4}\n"
                     "  sizes: {min: 1MiB, max: 1GiB, factor: 4}\noutput: {trace: out.h5}\n";
  Scenario s = load_scenario_text(text, "s.yaml");
  CHECK(s.name == "sweep");
  CHECK(s.seed == 42);
  CHECK(s.text == text);
  CHECK(s.file == "s.yaml");
  CHECK(s.output.trace == "out.h5");
  const auto& job = s.job.as<CollectiveBenchSpec>();
  CHECK(job.collectives == std::vector<CollectiveKind>{CollectiveKind::AllReduce, CollectiveKind::AllGather});
  CHECK(job.algorithms == std::vector<CollectiveAlgorithm>{CollectiveAlgorithm::Ring, CollectiveAlgorithm::Tree});
  CHECK(job.group.nodes == 2);
  CHECK(job.group.gpus_per_node == 4);
  CHECK(job.min_bytes == 1024.0 * 1024);
  CHECK(job.max_bytes == 1024.0 * 1024 * 1024);
  CHECK(job.factor == 4);
  CHECK(job.granularity == Granularity::Aggregated);
  CHECK(job.where.line == 11);  // the job map starts on the line after `job:`
  text.insert(text.find("output:"), "  granularity: stepwise\n");
  CHECK(load_scenario_text(text, "s.yaml").job.as<CollectiveBenchSpec>().granularity == Granularity::Stepwise);
}

TEST_CASE("loaders: scenario defaults and a platform path relative to the scenario") {
  Scenario s = load_scenario_text(
      "platform: ../../platforms/dgx-a100-16node.yaml\njob: {kind: collective_benchmark, "
      "collectives: [send_recv], group: {gpus: [0, 8]}}\n",
      std::string(TRAINSIM_SOURCE_DIR) + "/tests/config/virtual.yaml");
  CHECK(s.name == "virtual");
  CHECK(s.seed == 0);
  CHECK(s.platform.total_gpus() == 128);
  CHECK(s.platform.file == std::string(TRAINSIM_SOURCE_DIR) + "/platforms/dgx-a100-16node.yaml");
  const auto& job = s.job.as<CollectiveBenchSpec>();
  CHECK(job.algorithms == std::vector<CollectiveAlgorithm>{CollectiveAlgorithm::Ring});
  CHECK(job.group.gpus == std::vector<int>{0, 8});
  CHECK(job.min_bytes == 1024);
  CHECK(job.max_bytes == 8.0 * 1024 * 1024 * 1024);
  CHECK(s.output.trace.empty());
}

TEST_CASE("loaders: group sizes are checked against the platform") {
  auto scen = [](const std::string& group) {
    return std::string(kSmall) + "job: {kind: collective_benchmark, collectives: [all_reduce], group: " +
           group + "}\n";
  };
  CHECK(load_scenario_text(scen("{gpus: all, cluster: c}"), "s.yaml").job.as<CollectiveBenchSpec>()
            .group.cluster == "c");
  CHECK(message_of([&] { load_scenario_text(scen("{nodes: 5}"), "s.yaml"); }) ==
        "s.yaml:8:77: error: key 'job.group.nodes': expected an integer between 1 and 4, got 5");
  CHECK(message_of([&] { load_scenario_text(scen("{gpus: [3]}"), "s.yaml"); }) ==
        "s.yaml:8:69: error: key 'job.group': a collective needs at least 2 GPUs; this group has 1");
  CHECK(message_of([&] { load_scenario_text(scen("{gpus: [0, 32]}"), "s.yaml"); }) ==
        "s.yaml:8:80: error: key 'job.group.gpus[1]': expected an integer between 0 and 31, got 32");
}

TEST_CASE("loaders: glob matching over link names") {
  CHECK(glob_match("c.n*.nic*", "c.n12.nic0"));
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("c.n?.gpu1.nvlink", "c.n3.gpu1.nvlink"));
  CHECK_FALSE(glob_match("c.n?.gpu1.nvlink", "c.n13.gpu1.nvlink"));
  CHECK_FALSE(glob_match("c.n1", "c.n12"));
  CHECK(glob_match("*.leaf*.up", "c.leaf3.up"));
  PlatformSpec p = load_platform_text(kSmall, "x.yaml");
  CHECK(any_link_matches(p, "c.n3.gpu7.nvlink"));
  CHECK(any_link_matches(p, "c.n3.nic0"));
  CHECK_FALSE(any_link_matches(p, "c.n4.nic0"));   // nodes are 0..3
  CHECK_FALSE(any_link_matches(p, "c.n0.nic1"));   // one NIC
  CHECK_FALSE(any_link_matches(p, "c.leaf0.up"));  // single switch: no leaves
  CHECK(link_name_examples(p) == "c.n0.gpu0.nvlink, c.n0.nic0");
  int count = 0;
  link_names::for_each_link_name(p, [&](const std::string&) { return ++count, false; });
  CHECK(count == 4 * 8 + 4);  // 8 NVSwitch ports and 1 NIC per node
}

TEST_CASE("loaders: bandwidth matrix round trip in Pipette's format") {
  BandwidthMatrix m;
  m.cluster = "c";
  m.hosts = {"h0", "h\"1"};
  m.bandwidth = {{150e9, 11.52e9}, {11.49e9, 150e9}};
  const std::string path = (std::filesystem::temp_directory_path() / "trainsim_matrix_test.json").string();
  write_bandwidth_matrix(m, path);
  BandwidthMatrix r = load_bandwidth_matrix(path, "c");
  std::remove(path.c_str());
  CHECK(r.hosts == m.hosts);
  CHECK(r.cluster == "c");
  REQUIRE(r.bandwidth.size() == 2);
  CHECK(r.bandwidth[0][1] == Approx(11.52e9));
  CHECK(r.bandwidth[1][0] == Approx(11.49e9));  // asymmetric is kept
  CHECK(r.bandwidth[1][1] == Approx(150e9));
  // Numbers are accepted as well as strings.
  BandwidthMatrix n = parse_bandwidth_matrix(R"({"gpus": ["a", "b"], "bandwidth": [[1, 2.5], ["3", 4]]})", "m.json", "c");
  CHECK(n.bandwidth[0][1] == Approx(2.5e9));
  CHECK(message_of([] {
          parse_bandwidth_matrix(R"({"gpus": ["a", "b"], "bandwidth": [[1, 2], [0, 4]]})", "m.json", "c");
        }) == "m.json:1:45: error: key 'bandwidth[1][0]': expected a bandwidth in GB/s, from 1 kbit/s to 1 PB/s (a "
              "number or a numeric string), got \"0\"");
}

TEST_CASE("loaders: a missing file is an input error naming it") {
  CHECK(message_of([] { load_platform_file("no/such/platform.yaml"); }) ==
        "no/such/platform.yaml: error: cannot read file: no such file");
  CHECK(message_of([] { load_scenario_file("no/such/scenario.yaml"); }) ==
        "no/such/scenario.yaml: error: cannot read file: no such file");
  CHECK(message_of([] { load_platform_text("", "e.yaml"); }) ==
        "e.yaml: error: the file is empty; expected a map with the key 'platform'");
}
