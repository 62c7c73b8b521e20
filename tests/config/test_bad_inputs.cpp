// The bad-input corpus (tests/bad-inputs/README.md). Each case NN-name has an input — the file
// NN-name.yaml, or NN-name.gen describing a generated one (too big or too odd for the
// repository) — and NN-name.expected, the exact one-line error. Cases without NN-name.args
// are loaded as scenarios in this process from the repository root, and must throw that
// message. Every case is then run through the `trainsim` command (`run {file}`, or the
// arguments of NN-name.args): it must exit 2 within 10 s, print the message as its only line on
// stderr, nothing on stdout, and create nothing.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/paths.hpp"
#include "jobs/load.hpp"
#include "support/run_process.hpp"
#include "support/files.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {

using trainsim::testing::read_file;

const fs::path kRepo = TRAINSIM_SOURCE_DIR;

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

// "\n", "\t", "\\" and "\xHH" in a .gen text.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    if (c == 'n') out += '\n';
    else if (c == 't') out += '\t';
    else if (c == 'x' && i + 2 < s.size() + 1) out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)), i += 2;
    else out += c;
  }
  return out;
}

// A .gen file: lines `text <escaped text>` and `repeat <count> <escaped text>`, concatenated.
std::string generate(const fs::path& gen) {
  std::istringstream in(read_file(gen));
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("text ", 0) == 0) {
      out += unescape(line.substr(5));
    } else if (line.rfind("repeat ", 0) == 0) {
      const size_t space = line.find(' ', 7);
      const long long count = std::stoll(line.substr(7, space - 7));
      const std::string piece = unescape(line.substr(space + 1));
      for (long long k = 0; k < count; ++k) out += piece;
    } else if (!line.empty() && line[0] != '#') {
      FAIL("bad line in " << gen << ": " << line);
    }
  }
  return out;
}

struct Case {
  std::string name;     // NN-name
  std::string file;     // the input as the messages name it
  bool generated = false;
  bool has_args = false;
  std::vector<std::string> args;  // after "trainsim"
  std::vector<std::string> env;   // NAME=VALUE
  std::string expected;
};

std::vector<Case> cases(const fs::path& scratch) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kRepo / "tests/bad-inputs"))
    if (e.path().extension() == ".expected") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  std::vector<Case> out;
  for (const auto& n : names) {
    Case c;
    c.name = n;
    const fs::path base = kRepo / "tests/bad-inputs" / n;
    if (fs::exists(base.string() + ".gen")) {
      c.generated = true;
      c.file = (scratch / (n + ".yaml")).string();
      std::ofstream(c.file, std::ios::binary) << generate(base.string() + ".gen");
    } else {
      c.file = "tests/bad-inputs/" + n + ".yaml";
    }
    std::istringstream expected(read_file(base.string() + ".expected"));
    std::getline(expected, c.expected);
    replace_all(c.expected, "{file}", c.file);
    c.args = {"run", "{file}"};
    if (fs::exists(base.string() + ".args")) {
      c.has_args = true;
      std::istringstream in(read_file(base.string() + ".args"));
      std::string line;
      std::getline(in, line);
      std::istringstream words(line);
      c.args.clear();
      for (std::string w; words >> w;) c.args.push_back(w);
      while (std::getline(in, line))
        if (!line.empty()) c.env.push_back(line);
    }
    out.push_back(std::move(c));
  }
  return out;
}

struct Scratch {
  fs::path path = fs::temp_directory_path() / ("trainsim-bad-inputs-" + std::to_string(::getpid()));
  Scratch() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("bad inputs: every case fails with its exact expected message") {
  fs::current_path(kRepo);  // messages carry the path relative to the repo root
  ::unsetenv(kPlatformPathEnv);  // bare platform names: the shipped platforms only
  Scratch scratch;
  const auto all = cases(scratch.path);
  CHECK(all.size() >= 110);
  for (const auto& c : all) {
    if (c.has_args) continue;  // a command-line case: checked through the command below
    INFO(c.name);
    REQUIRE(fs::exists(c.file));
    std::string got = "<no error>";
    try {
      load_scenario_file(c.file);
    } catch (const InputError& e) {
      got = e.what();
    }
    CHECK(got == c.expected);
  }
}

TEST_CASE("bad inputs: the trainsim command exits 2 with the one-line message, in time, writing nothing") {
  const fs::path exe = fs::path(TRAINSIM_BINARY_DIR) / "sim" / "trainsim";
  REQUIRE(fs::exists(exe));
  ::unsetenv(kPlatformPathEnv);  // inherited by the command
  Scratch scratch;
  for (const auto& c : cases(scratch.path)) {
    INFO(c.name);
    const fs::path out = scratch.path / ("out-" + c.name);  // {out}: where outputs would go
    std::vector<std::string> argv = {exe.string()};
    for (std::string a : c.args) {
      replace_all(a, "{file}", c.file);
      replace_all(a, "{out}", out.string());
      argv.push_back(a);
    }
    const auto r = testing::run_process(argv, kRepo.string(), c.env, 10);
    CHECK_FALSE(r.timed_out);
    CHECK(r.seconds < 10);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    std::string expected = c.expected;
    replace_all(expected, "{out}", out.string());
    CHECK(r.err == expected + "\n");
    CHECK((!fs::exists(out) || fs::is_empty(out)));
  }
}

TEST_CASE("bad inputs: the base of the corpus is valid once the defect is removed") {
  // Guards against cases that fail for a reason other than the one they test: case 11 with the
  // missing bandwidth restored must load.
  fs::current_path(kRepo);
  std::ifstream in("tests/bad-inputs/11-missing-required-key.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string broken = "nic: {count: 8, latency: 600ns}";
  REQUIRE(text.find(broken) != std::string::npos);
  text.replace(text.find(broken), broken.size(), "nic: {count: 8, bandwidth: 200Gbps, latency: 600ns}");
  Scenario s = load_scenario_text(text, "tests/bad-inputs/fixed.yaml");
  CHECK(s.platform.total_gpus() == 16);
}
