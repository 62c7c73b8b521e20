#include "cli/frontend_io.hpp"

#include <filesystem>
#include <sstream>

#include "cli/args.hpp"
#include "config/loader.hpp"
#include "config/paths.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;

PlatformChoice choose_platform(const std::string& value, const std::string& scenario_path) {
  PlatformChoice c;
  if (is_bare_platform_name(value)) {
    try {
      c.file = find_platform_file(value, {}, "--platform");
    } catch (const InputError& e) {
      throw UsageError("option '--platform': " + e.message());
    }
    c.as_written = value;
  } else {
    c.file = value;
    const fs::path folder = scenario_path.empty() ? fs::current_path() : fs::absolute(scenario_path).parent_path();
    c.as_written = fs::absolute(value).lexically_normal().lexically_relative(folder.lexically_normal()).string();
    if (c.as_written.empty()) c.as_written = fs::absolute(value).lexically_normal().string();
  }
  c.spec = load_platform_file(c.file);
  return c;
}

void check_scenario_name(const std::string& name, const std::string& option) {
  if (const std::string why = scenario_name_problem(name); !why.empty())
    throw UsageError("option '" + option + "': the scenario name '" + name + "' " + why +
                     "; expected 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' or '-'");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::vector<std::string> wrap_words(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace trainsim::cli
