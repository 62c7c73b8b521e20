#pragma once
// The layering check (docs/architecture.md, "Modules"): the module table's "depends on" column
// is the law, and every `#include "<module>/..."` of sim/ and every module's DEPS in
// sim/CMakeLists.txt must follow it (transitively). Pure functions over texts, so the checker
// itself is tested on planted violations (test_layering.cpp).
#include <map>
#include <set>
#include <string>
#include <vector>

namespace trainsim::architecture {

// module -> the modules it may use directly.
using LayerTable = std::map<std::string, std::set<std::string>>;

// The table under the "## Modules" heading of architecture.md: rows `| \`name/\` | ... |` whose
// "depends on" cell is "—" or a comma-separated list of `name`s. Throws std::runtime_error
// naming the line of a row that does not read so.
LayerTable parse_layer_table(const std::string& markdown);

struct SourceFile {
  std::string path;  // relative to the repository, e.g. "sim/core/limits.cpp"
  std::string text;
};

// Every violation, one line each ("" when none):
// - a module folder of `files` without a row, or a row without a folder (`folders`);
// - a cycle in the table;
// - an include of another module's header that the table does not allow (directly or
//   through the modules it allows), or an include that climbs out with "..";
// - a `trainsim_module(name DEPS ts_x ...)` of `cmake` that the table does not allow.
std::vector<std::string> check_layers(const LayerTable& table, const std::set<std::string>& folders,
                                      const std::vector<SourceFile>& files, const std::string& cmake);

}  // namespace trainsim::architecture
