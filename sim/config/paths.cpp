#include "config/paths.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "config/yaml_reader.hpp"

#ifndef TRAINSIM_PLATFORMS_DIR
#define TRAINSIM_PLATFORMS_DIR ""  // builds without the source tree's platforms (the fuzzer)
#endif

namespace trainsim {

namespace fs = std::filesystem;

std::string read_named_file(const std::string& naming_file, const std::string& literal, const SourceLocation& at,
                            const std::string& key, const std::string& what, const std::string& hint) {
  if (literal.empty()) throw InputError(at, key, "expected the path of a " + what + ", got an empty value");
  const std::string path = resolve_relative(naming_file, literal);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    std::string message = "the " + what + " '" + literal + "' does not exist";
    if (!fs::path(literal).is_absolute()) {
      const std::string folder = fs::path(naming_file).parent_path().string();
      message += ": relative paths are read from the folder of '" + naming_file + "' ('" +
                 (folder.empty() ? std::string(".") : folder) + "'), which gives '" + path + "'";
    }
    throw InputError(at, key, message + hint);
  }
  if (fs::is_directory(path, ec))
    throw InputError(at, key, "the " + what + " '" + literal + "' is a folder ('" + path + "'); expected a file");
  return read_text_file(path, at, key);
}

std::vector<std::string> platform_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv(kPlatformPathEnv)) {
    std::string list = env;
    for (size_t start = 0; start <= list.size();) {
      const size_t end = std::min(list.find(':', start), list.size());
      if (end > start) dirs.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  if (std::string shipped = TRAINSIM_PLATFORMS_DIR; !shipped.empty()) dirs.push_back(shipped);
  return dirs;
}

bool is_bare_platform_name(const std::string& value) {
  if (value.empty() || value.find('/') != std::string::npos) return false;
  const std::string ext = fs::path(value).extension().string();
  return ext != ".yaml" && ext != ".yml" && ext != ".json";
}

std::string shipped_platform(const std::string& name) {
  for (const auto& dir : platform_search_path()) {
    std::error_code ec;
    const fs::path candidate = fs::path(dir) / (name + ".yaml");
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

std::string find_platform_file(const std::string& name, const SourceLocation& at, const std::string& key) {
  if (std::string found = shipped_platform(name); !found.empty()) return found;
  const auto dirs = platform_search_path();
  std::set<std::string> names;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml") names.insert(e.path().stem().string());
  }
  const std::vector<std::string> known(names.begin(), names.end());
  const std::string hint = did_you_mean(name, known);
  const char* env = std::getenv(kPlatformPathEnv);
  // The names are listed only when none is close: the suggestion is what a typo needs.
  const std::string listing = !hint.empty()   ? " (" + hint + ")"
                              : known.empty() ? ""
                                              : " (known names: " + join_names(known) + ")";
  throw InputError(at, key,
                   "no platform named '" + name + "'" + listing + " on the platform search path ($" + kPlatformPathEnv +
                       (env && *env ? "" : " (unset)") +
                       ", then trainsim's platforms/ folder); a value with a '/' or a .yaml extension is a file "
                       "path, relative to the scenario's folder");
}

}  // namespace trainsim
