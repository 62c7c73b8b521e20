#include "architecture/layering.hpp"

#include <functional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace trainsim::architecture {
namespace {

std::vector<std::string> split_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is the leading '|'
    if (row[i] == '|') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  for (auto& c : cells) {
    const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
    c = b == std::string::npos ? "" : c.substr(b, e - b + 1);
  }
  return cells;
}

// The modules `m` may reach through the table.
std::set<std::string> reachable(const LayerTable& table, const std::string& m) {
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& x) {
    auto it = table.find(x);
    if (it == table.end()) return;
    for (const auto& d : it->second)
      if (seen.insert(d).second) visit(d);
  };
  visit(m);
  return seen;
}

// "may use ..." with the modules allowed.
std::string may_use(const std::set<std::string>& names) {
  if (names.empty()) return "may use no other module";
  std::string s = "may use only ";
  for (const auto& n : names) s += (&n == &*names.begin() ? "" : ", ") + n;
  return s;
}

}  // namespace

LayerTable parse_layer_table(const std::string& markdown) {
  std::istringstream in(markdown);
  std::string line;
  int number = 0, deps_column = -1;
  bool in_section = false, found = false;
  LayerTable table;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("## ", 0) == 0) {
      in_section = line == "## Modules (`sim/<folder>`)";
      continue;
    }
    if (!in_section || line.empty() || line[0] != '|') continue;
    const auto cells = split_cells(line);
    if (deps_column < 0) {  // the header row
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "depends on") deps_column = static_cast<int>(i);
      if (deps_column < 0) throw std::runtime_error("line " + std::to_string(number) + ": no 'depends on' column");
      continue;
    }
    if (line.find("---") != std::string::npos) continue;  // the separator row
    static const std::regex name_cell("`([a-z_]+)/`");
    std::smatch m;
    if (cells.empty() || !std::regex_match(cells[0], m, name_cell) || static_cast<int>(cells.size()) <= deps_column)
      throw std::runtime_error("line " + std::to_string(number) + ": expected | `module/` | ... | depends on |");
    auto& deps = table[m[1]];
    found = true;
    const std::string& d = cells[deps_column];
    if (d == "—") continue;
    static const std::regex dep("`([a-z_]+)`");
    std::stringstream list(d);
    std::string item;
    while (std::getline(list, item, ',')) {
      const auto b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
      item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
      std::smatch dm;
      if (!std::regex_match(item, dm, dep))
        throw std::runtime_error("line " + std::to_string(number) + ": '" + item +
                                 "' in 'depends on' is not a `module` (libraries go in the 'libraries' column)");
      deps.insert(dm[1]);
    }
  }
  if (!found) throw std::runtime_error("no module table under '## Modules (`sim/<folder>`)'");
  return table;
}

std::vector<std::string> check_layers(const LayerTable& table, const std::set<std::string>& folders,
                                      const std::vector<SourceFile>& files, const std::string& cmake) {
  std::vector<std::string> out;
  for (const auto& f : folders)
    if (!table.count(f)) out.push_back("sim/" + f + "/ has no row in the module table");
  for (const auto& [m, deps] : table) {
    if (!folders.count(m)) out.push_back("the module table has a row for " + m + "/, which is not a folder of sim/");
    for (const auto& d : deps)
      if (!table.count(d)) out.push_back("the module table lets " + m + " depend on " + d + ", which has no row");
    if (reachable(table, m).count(m)) out.push_back("the module table has a cycle through " + m);
  }

  static const std::regex include(R"(^\s*#\s*include\s*"([^"]*)\")");
  for (const auto& file : files) {
    // sim/<module>/...: files directly under sim/ (main.cpp) sit above every module.
    const auto first = file.path.find('/'), second = file.path.find('/', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string module = file.path.substr(first + 1, second - first - 1);
    const auto allowed = reachable(table, module);
    std::istringstream in(file.text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      std::smatch m;
      if (!std::regex_search(line, m, include)) continue;
      const std::string target = m[1];
      const std::string where = file.path + ":" + std::to_string(number) + ": ";
      if (target.find("..") != std::string::npos) {
        out.push_back(where + "includes \"" + target + "\": name headers from sim/ (\"module/file.hpp\"), never with ..");
        continue;
      }
      const auto slash = target.find('/');
      if (slash == std::string::npos) continue;
      const std::string used = target.substr(0, slash);
      if (used == module || !folders.count(used)) continue;  // own header, or generated/library
      if (!allowed.count(used))
        out.push_back(where + module + " includes \"" + target + "\", but " + module + " " + may_use(allowed) + " (docs/architecture.md, \"Modules\")");
    }
  }

  static const std::regex call(R"(trainsim_module\(\s*([a-z_]+)([^)]*)\))");
  for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), call); it != std::sregex_iterator(); ++it) {
    const std::string module = (*it)[1];
    const auto allowed = reachable(table, module);
    std::stringstream args((*it)[2].str());
    std::string word;
    while (args >> word)
      if (word.rfind("ts_", 0) == 0 && folders.count(word.substr(3)) && !allowed.count(word.substr(3)))
        out.push_back("sim/CMakeLists.txt: " + module + " links " + word + ", but " + module + " " + may_use(allowed));
  }
  return out;
}

}  // namespace trainsim::architecture
