// Issue 10's input regressions, on small inline texts: preset-derived fields, scenario names,
// platform references, plausible quantities and the first pass over the YAML (limits, messages).
// The bad-input corpus (tests/bad-inputs/1xx-*) covers the same classes through whole files.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <variant>

#include "config/bandwidth_matrix.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"
#include "config/yaml_scan.hpp"
#include "jobs/load.hpp"
#include "support/input_error.hpp"
#include "workload/presets.hpp"

using namespace trainsim;
using testing::message_of;
namespace fs = std::filesystem;

namespace {

// A training scenario on the shipped h100-400g platform (by bare name), with `model` as given.
std::string training(const std::string& model, const std::string& parallelism = "{tp: 4, pp: 4, dp: 1}") {
  return "name: t\nplatform: h100-400g\njob:\n  kind: training\n  model: " + model + "\n  parallelism: " + parallelism +
         "\n  micro_batch: 1\n  global_batch: 16\n";
}

workload::ModelSpec model_of(const std::string& text) {
  return load_scenario_text(text, "s.yaml").job.as<TrainingSpec>().model;
}

}  // namespace

TEST_CASE("presets: derived fields follow the user's overrides") {
  // Multi-head attention presets keep kv_heads = heads (was: the preset's 24 kept, then refused).
  auto gpt = model_of(training("{preset: gpt-1.7b, heads: 32}"));
  CHECK(gpt.heads == 32);
  CHECK(gpt.kv_heads == 32);
  CHECK(model_of(training("{preset: gpt-1.7b, hidden: 3072}")).ffn_hidden == 4 * 3072);
  // Grouped-query presets keep their KV-head count; the SwiGLU width follows hidden by Llama 3's rule.
  auto llama = model_of(training("{preset: llama3-70b, hidden: 4096, heads: 32}"));
  CHECK(llama.kv_heads == 8);
  CHECK(llama.ffn_hidden == 14336);  // = llama3-8b's, the published model of that width
  // Explicit values win.
  CHECK(model_of(training("{preset: llama3-70b, ffn_hidden: 20000}")).ffn_hidden == 20000);
}

TEST_CASE("presets: the SwiGLU rule reproduces every Llama 3 preset") {
  for (const auto& m : workload::model_presets()) {
    INFO(m.name);
    CHECK(workload::derived_ffn_hidden(m, m.hidden) == m.ffn_hidden);
    CHECK(workload::derived_kv_heads(m, m.heads) == m.kv_heads);
  }
}

TEST_CASE("presets: errors name the key the user wrote") {
  // Regression: `heads: 12` on llama3-70b was reported at 'job.model.kv_heads', a key not in the file.
  CHECK(message_of([] { model_of(training("{preset: llama3-70b, heads: 12}")); }) ==
        "s.yaml:5:38: error: key 'job.model.heads': hidden 8192 (llama3-70b's) is not divisible by heads 12");
  CHECK(message_of([] { model_of(training("{preset: llama3-70b, heads: 4}")); }) ==
        "s.yaml:5:38: error: key 'job.model.heads': heads 4 is not divisible by kv_heads 8 (llama3-70b's KV heads); "
        "give kv_heads as well");
  CHECK(message_of([] { model_of(training("{preset: gpt-1.7b, hidden: 1000}")); }) ==
        "s.yaml:5:37: error: key 'job.model.hidden': hidden 1000 is not divisible by heads 24 (gpt-1.7b's)");
  CHECK(message_of([] { model_of(training("{preset: gpt-1.7b, kv_heads: 8}")); }) ==
        "s.yaml:5:39: error: key 'job.model.kv_heads': GPT models use multi-head attention: kv_heads (8) must equal "
        "heads (24)");
}

TEST_CASE("scenario names are portable file names") {
  // Regression: `name: ../x` wrote outside --output-dir, `name: ""` a hidden file.
  auto name_error = [](const std::string& name) {
    return message_of([&] { load_scenario_text("name: " + name + "\n" + training("gpt-1.7b").substr(8), "s.yaml"); });
  };
  CHECK(name_error("../x") ==
        "s.yaml:1:7: error: key 'name': the scenario name contains a path separator '/'; it names output files, so "
        "it must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' or '-'");
  CHECK_THAT(name_error("\"\""), Catch::Contains("the scenario name is empty"));
  CHECK_THAT(name_error("a/b"), Catch::Contains("contains a path separator '/'"));
  CHECK_THAT(name_error(".hidden"), Catch::Contains("starts with '.'"));
  CHECK_THAT(name_error("\"a b\""), Catch::Contains("contains a space"));
  CHECK_THAT(name_error(std::string(101, 'x')), Catch::Contains("is 101 characters long (at most 100)"));
  CHECK(load_scenario_text(training("gpt-1.7b"), "s.yaml").name == "t");
  // Without `name:`, the file name is the name, and must be one too.
  const std::string nameless = training("gpt-1.7b").substr(8);
  CHECK(load_scenario_text(nameless, "dir/run-1.yaml").name == "run-1");
  CHECK_THAT(message_of([&] { load_scenario_text(nameless, "dir/my run.yaml"); }),
             Catch::Contains("key 'name': the scenario has no name and its file name 'my run' contains a space"));
}

TEST_CASE("platforms by bare name: the search path, then the shipped platforms") {
  const fs::path dir = fs::temp_directory_path() / ("trainsim-platform-path-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ifstream shipped(std::string(TRAINSIM_SOURCE_DIR) + "/platforms/dgx-a100-16node.yaml");
  std::ofstream(dir / "h100-400g.yaml") << shipped.rdbuf();  // a user's platform shadowing a shipped name
  ::setenv(kPlatformPathEnv, dir.c_str(), 1);
  CHECK(load_scenario_text(training("gpt-1.7b"), "s.yaml").platform.file == (dir / "h100-400g.yaml").string());
  ::unsetenv(kPlatformPathEnv);
  CHECK(load_scenario_text(training("gpt-1.7b"), "s.yaml").platform.name == "h100-400g");
  fs::remove_all(dir);
  CHECK_THAT(message_of([] { load_scenario_text("name: t\nplatform: h100-40g\njob: {kind: training}\n", "s.yaml"); }),
             Catch::StartsWith("s.yaml:2:11: error: key 'platform': no platform named 'h100-40g' (did you mean "
                               "'h100-400g'?) on the platform search path"));
  // A copied scenario's relative path: the literal value, how it resolved, and the shipped name.
  CHECK(message_of([] {
          load_scenario_text("name: t\nplatform: ../platforms/h100-400g.yaml\njob: {kind: training}\n", "/no-such-dir/copy/s.yaml");
        }) == "/no-such-dir/copy/s.yaml:2:11: error: key 'platform': the platform file '../platforms/h100-400g.yaml' "
              "does not exist: relative paths are read from the folder of '/no-such-dir/copy/s.yaml' "
              "('/no-such-dir/copy'), which gives '/no-such-dir/platforms/h100-400g.yaml'; the shipped platform "
              "'h100-400g' can be named as `platform: h100-400g`");
}

TEST_CASE("quantities outside the physically plausible range are refused with the range") {
  const std::string nic = "platform:\n  clusters:\n    - name: c\n      gpu: H100-SXM\n      nodes: 2\n"
                          "      intra_node: {bandwidth: 450GB/s, latency: 1us}\n      nic: {bandwidth: ";
  auto platform_error = [&](const std::string& bandwidth, const std::string& latency) {
    return message_of([&] { load_platform_text(nic + bandwidth + ", latency: " + latency + "}\n", "p.yaml"); });
  };
  // Regression: 1e-300Gbps and 1e300s gave 1e300-second iterations.
  CHECK(platform_error("1e-300Gbps", "1us") ==
        "p.yaml:7:24: error: key 'platform.clusters[0].nic.bandwidth': expected a bandwidth from 1 kbit/s to 1 PB/s, "
        "got \"1e-300Gbps\"; a value beyond that range is almost certainly a typo");
  CHECK(platform_error("400Gbps", "1e300s") ==
        "p.yaml:7:42: error: key 'platform.clusters[0].nic.latency': expected a time from 1 ns to 10 s (or 0), got "
        "\"1e300s\"; a value beyond that range is almost certainly a typo");
  CHECK(platform_error("400Gbps", "0s") == "<no error>");
  // Regression: a matrix entry of 1e-300 GB/s printed a 300-digit number.
  CHECK_THAT(message_of([] {
               parse_bandwidth_matrix(R"({"gpus": ["a", "b"], "bandwidth": [[1, 1e-300], [1, 1]]})", "m.json", "c");
             }),
             Catch::Contains("key 'bandwidth[0][1]': expected a bandwidth in GB/s, from 1 kbit/s to 1 PB/s"));
}

TEST_CASE("sizes are whole bytes") {
  // Regression: `1.5B` was rounded silently.
  const std::string text = training("gpt-1.7b") + "  bucket_size: 1.5B\n";
  CHECK(message_of([&] { load_scenario_text(text, "s.yaml"); }) ==
        "s.yaml:9:16: error: key 'job.bucket_size': expected a whole number of bytes, got \"1.5B\" (1.500 bytes)");
  CHECK(load_scenario_text(training("gpt-1.7b") + "  bucket_size: 1.5KiB\n", "s.yaml").job.as<TrainingSpec>()
            .plan.bucket_bytes == 1536);
}

TEST_CASE("a collective sweep of millions of sizes is refused at its line") {
  // Regression: factor 1.0000001 hung without --output-dir (and was refused without a line with it).
  const std::string text = "name: c\nplatform: h100-400g\njob:\n  kind: collective_benchmark\n  collectives: [all_reduce]\n"
                           "  sizes: {min: 1KiB, max: 8GiB, factor: 1.0000001}\n";
  CHECK(message_of([&] { load_scenario_text(text, "s.yaml"); }) ==
        "s.yaml:6:41: error: key 'job.sizes.factor': factor 1.0000001 gives 159423860 message sizes from 1 KiB to 8 "
        "GiB; at most 1000 sizes per sweep, so expected a factor of at least 1.016");
}

TEST_CASE("first pass: text only, with the key the stray byte sits under") {
  // Regression: a binary byte gave "unknown escape character: " with the detail cut.
  CHECK(message_of([] { parse_yaml(std::string("a:\n  b: \"x\\\0y\"\n", 14), "t.yaml"); }) ==
        "t.yaml:2:9: error: key 'a.b': the file is not text: it holds the control character byte 0x00 (a binary file, "
        "or a stray character?); expected YAML text");
  CHECK_THAT(message_of([] { parse_yaml("\x89HDF\r\n\x1a\n", "t.yaml"); }),
             Catch::StartsWith("t.yaml:1:1: error: the file is not UTF-8 text: byte 0x89"));
  CHECK_THAT(message_of([] { parse_yaml("name: caf\xe9\n", "t.yaml"); }),
             Catch::Contains("key 'name': the file is not UTF-8 text: byte 0xE9"));
  CHECK(parse_yaml("name: caf\xc3\xa9\n", "t.yaml")["name"].Scalar() == "caf\xc3\xa9");  // UTF-8 is fine
}

TEST_CASE("first pass: structure limits") {
  // Regression: 100,000-deep nesting reported "bad file".
  CHECK(message_of([] { parse_yaml("a: " + std::string(100000, '[') + std::string(100000, ']'), "t.yaml"); }) ==
        "t.yaml:1:67: error: key 'a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0... (190 "
        "characters)': lists and maps nested more than 64 deep; inputs are limited to 64 levels");
  // A billion laughs: aliases are counted expanded.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  CHECK_THAT(message_of([&] { parse_yaml(bomb, "t.yaml"); }),
             Catch::StartsWith("t.yaml:6:") && Catch::Contains("more than 250000 values"));
  // A huge unknown top-level key is refused before its value is built (regression: a 50 MB file
  // parsed for over a minute at 3.3 GB).
  std::string huge = "zzz: [";
  for (int i = 0; i < 200000; ++i) huge += "1,";
  huge += "1]\n";
  CHECK(message_of([&] { parse_yaml(huge, "t.yaml", {"name", "platform"}); }) ==
        "t.yaml:1:1: error: key 'zzz': unknown key 'zzz'; allowed keys here: name, platform");
  CHECK(std::string(kMaxInputBytes, 'x').size() == 16u << 20);
}

TEST_CASE("first pass: messages in the user's terms") {
  auto msg = [](const std::string& text, const std::string& file = "t.yaml") {
    return message_of([&] { parse_yaml(text, file); });
  };
  // Regression: a tab in the indentation gave "illegal map value", no word of tabs.
  CHECK(msg("job:\n  kind: training\n\tmodel: x\n") ==
        "t.yaml:3:1: error: key 'job.model': YAML syntax error: this line is indented with a tab; YAML indents with "
        "spaces only");
  // Regression: merge keys led to "required key is missing".
  CHECK(msg("d: &d {a: 1}\njob:\n  <<: *d\n") ==
        "t.yaml:3:3: error: key 'job.<<': YAML merge keys ('<<: *anchor') are not supported; write the keys out in "
        "full (anchors and aliases of whole values are fine)");
  // Regression: a JSON syntax error was called a YAML syntax error.
  CHECK(msg("{\"gpus\": [\"a\", \"b\"], \"bandwidth\": [[1, 2], [3, 4]\n", "m.json") ==
        "m.json:1:35: error: key 'bandwidth': JSON syntax error: this '[' is never closed (a missing ']', or a missing "
        "',' between its entries)");
  CHECK(msg("name: \"abc\nplatform: x\n") ==
        "t.yaml:1:7: error: key 'name': this quoted string is never closed (its closing \" is missing)");
  CHECK(msg("name: \"abc\nplatform: \"x\"\n") ==
        "t.yaml:1:7: error: key 'name': this quoted string runs over the end of its line (is its closing \" "
        "missing?); write it on one line");
  CHECK(msg("name: !!str 5\n") ==
        "t.yaml:1:7: error: key 'name': YAML tags ('!!str') are not supported; write the plain value");
  CHECK(msg("a: \"x\\qy\"\n") ==
        "t.yaml:1:8: error: key 'a': YAML syntax error: unknown escape '\\q' in a double-quoted string (write '\\\\' "
        "for a backslash, or use single quotes)");
  // A message is one line whatever the input echoes into it.
  CHECK(msg(std::string(100000, 'k') + ": 1\n").find('\n') == std::string::npos);
}
