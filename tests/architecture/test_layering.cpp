// The layer table of docs/architecture.md holds for every include of sim/ and every module's
// link dependencies; the checker is itself tested on planted violations, so it cannot pass
// vacuously.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "architecture/layering.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using namespace trainsim::architecture;

namespace {

using trainsim::testing::read_file;

const fs::path kRoot = TRAINSIM_SOURCE_DIR;

std::set<std::string> sim_folders() {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(kRoot / "sim"))
    if (e.is_directory()) out.insert(e.path().filename().string());
  return out;
}

std::vector<SourceFile> sim_sources() {
  std::vector<SourceFile> out;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "sim")) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".cpp" || ext == ".hpp" || ext == ".in"))
      out.push_back({fs::relative(e.path(), kRoot).generic_string(), read_file(e.path())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

// A table like the documented one, small enough to plant violations in.
const char* kTable = R"(# Architecture
## Modules (`sim/<folder>`)

| folder | responsibility | depends on | libraries |
|---|---|---|---|
| `core/` | units | — | |
| `platform/` | specs | `core` | |
| `network/` | zones | `platform` | SimGrid |
| `cli/` | commands | `network` | |

## Principles
| `ignored/` | not in the module section | `cli` | |
)";

const std::set<std::string> kFolders = {"core", "platform", "network", "cli"};
const char* kCmake = "trainsim_module(core)\ntrainsim_module(network DEPS ts_core ts_platform PkgConfig::SimGrid)\n";

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST_CASE("layering: the table is read from its section only, transitively allowed includes pass", "[architecture]") {
  const auto table = parse_layer_table(kTable);
  CHECK(table.size() == 4);
  CHECK(table.at("core").empty());
  CHECK(table.at("cli") == std::set<std::string>{"network"});
  // cli -> core is allowed through network -> platform -> core.
  const std::vector<SourceFile> files = {
      {"sim/cli/main.cpp", "#include \"core/units.hpp\"\n#include \"network/network.hpp\"\n#include <vector>\n"},
      {"sim/core/units.cpp", "#include \"core/units.hpp\"\n#include \"trainsim/version.hpp\"\n"},
      {"sim/main.cpp", "#include \"cli/main.hpp\"\n"}};
  CHECK(joined(check_layers(table, kFolders, files, kCmake)).empty());
}

TEST_CASE("layering: a planted upward include, a '..' include and an upward link are each caught", "[architecture]") {
  const auto table = parse_layer_table(kTable);
  const std::vector<SourceFile> files = {
      {"sim/core/limits.cpp", "#include <cmath>\n\n  #  include \"platform/spec.hpp\"\n"},
      {"sim/platform/spec.hpp", "#include \"../cli/args.hpp\"\n"}};
  const auto v = check_layers(table, kFolders, files, std::string(kCmake) + "trainsim_module(platform DEPS ts_core ts_cli)\n");
  REQUIRE(v.size() == 3);
  CHECK(v[0] == "sim/core/limits.cpp:3: core includes \"platform/spec.hpp\", but core may use no other module "
                "(docs/architecture.md, \"Modules\")");
  CHECK(v[1].rfind("sim/platform/spec.hpp:1: includes \"../cli/args.hpp\"", 0) == 0);
  CHECK(v[2] == "sim/CMakeLists.txt: platform links ts_cli, but platform may use only core");
}

TEST_CASE("layering: missing rows, rows without folders and cycles are caught", "[architecture]") {
  std::string text = kTable;
  text.replace(text.find("| `core/` | units | — |"), std::string("| `core/` | units | — |").size(),
               "| `core/` | units | `cli` |");
  const auto table = parse_layer_table(text);
  auto folders = kFolders;
  folders.erase("platform");
  folders.insert("jobs");
  const std::string v = joined(check_layers(table, folders, {}, ""));
  CHECK_THAT(v, Catch::Contains("sim/jobs/ has no row in the module table"));
  CHECK_THAT(v, Catch::Contains("the module table has a row for platform/, which is not a folder of sim/"));
  CHECK_THAT(v, Catch::Contains("the module table has a cycle through core"));
}

TEST_CASE("layering: a dependency cell that is not a list of modules is refused", "[architecture]") {
  std::string text = kTable;
  text.replace(text.find("| `network/` | zones | `platform` |"), std::string("| `network/` | zones | `platform` |").size(),
               "| `network/` | zones | `platform`, SimGrid |");
  CHECK_THROWS_WITH(parse_layer_table(text), Catch::Contains("line 8: 'SimGrid' in 'depends on' is not a `module`"));
  CHECK_THROWS_WITH(parse_layer_table("# nothing\n"), Catch::Contains("no module table"));
}

TEST_CASE("layering: sim/ follows the module table of docs/architecture.md", "[architecture]") {
  const auto table = parse_layer_table(read_file(kRoot / "docs/architecture.md"));
  const auto sources = sim_sources();
  REQUIRE(sources.size() > 100);  // the scan found the tree
  const auto v = check_layers(table, sim_folders(), sources, read_file(kRoot / "sim/CMakeLists.txt"));
  INFO(joined(v));
  CHECK(v.empty());
}
