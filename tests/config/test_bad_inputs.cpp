// The bad-input corpus: each tests/bad-inputs/NN-name.yaml is loaded as a scenario, from the
// repository root with its relative path, and must fail with exactly the one-line message in
// NN-name.expected. Helper files (platforms/, matrices/) are only reached through the cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/loader.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

TEST_CASE("bad inputs: every case fails with its exact expected message") {
  fs::current_path(TRAINSIM_SOURCE_DIR);  // messages carry the path relative to the repo root
  std::vector<std::string> cases;
  for (const auto& e : fs::directory_iterator("tests/bad-inputs"))
    if (e.is_regular_file() && e.path().extension() == ".yaml") cases.push_back(e.path().string());
  std::sort(cases.begin(), cases.end());
  CHECK(cases.size() >= 30);
  for (const auto& path : cases) {
    INFO(path);
    std::string expected_file = fs::path(path).replace_extension(".expected").string();
    std::ifstream in(expected_file);
    REQUIRE(in);
    std::string expected;
    std::getline(in, expected);
    std::string got = "<no error>";
    try {
      load_scenario_file(path);
    } catch (const InputError& e) {
      got = e.what();
    }
    CHECK(got == expected);
  }
}

TEST_CASE("bad inputs: the base of the corpus is valid once the defect is removed") {
  // Guards against cases that fail for a reason other than the one they test: case 11 with the
  // missing bandwidth restored must load.
  fs::current_path(TRAINSIM_SOURCE_DIR);
  std::ifstream in("tests/bad-inputs/11-missing-required-key.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string broken = "nic: {count: 8, latency: 600ns}";
  REQUIRE(text.find(broken) != std::string::npos);
  text.replace(text.find(broken), broken.size(), "nic: {count: 8, bandwidth: 200Gbps, latency: 600ns}");
  Scenario s = load_scenario_text(text, "tests/bad-inputs/fixed.yaml");
  CHECK(s.platform.total_gpus() == 16);
}
