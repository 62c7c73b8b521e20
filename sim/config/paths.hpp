#pragma once
// Paths named inside input files are relative to the file that names them, so a scenario or
// platform can be moved together with the files it uses. A scenario may also name a shipped
// platform by its bare name (`platform: h100-400g`), found on the platform search path
// (docs/scenarios.md, "platform").
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim {

inline std::string resolve_relative(const std::string& naming_file, const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::path(path).is_absolute()) return path;
  return (fs::path(naming_file).parent_path() / path).lexically_normal().string();
}

// "platforms/selene.yaml" -> "selene": the default name of a platform or scenario.
inline std::string file_stem(const std::string& file) {
  return std::filesystem::path(file).stem().string();
}

// Reads the file that `naming_file` names as `literal` under `key` (at `at`), relative to
// `naming_file`'s folder. A missing file is an InputError showing what was written and what it
// resolved to ("the platform file '../platforms/x.yaml' does not exist: relative paths are read
// from the folder of 'a/s.yaml' ('a'), which gives 'platforms/x.yaml'"), followed by `hint`.
// `what`: "platform file", "matrix file", "mapping file".
std::string read_named_file(const std::string& naming_file, const std::string& literal, const SourceLocation& at,
                            const std::string& key, const std::string& what, const std::string& hint = "");

// The environment variable listing extra folders of platforms (':'-separated), searched first.
inline constexpr const char* kPlatformPathEnv = "TRAINSIM_PLATFORM_PATH";

// The folders searched for a bare platform name, in order: $TRAINSIM_PLATFORM_PATH's entries,
// then the source tree's platforms/ folder (compiled in).
std::vector<std::string> platform_search_path();

// Whether a `platform:` value is a bare name ("h100-400g": no '/', no .yaml/.yml/.json
// extension) rather than a path.
bool is_bare_platform_name(const std::string& value);

// The file of the platform `name` on the search path, or "".
std::string shipped_platform(const std::string& name);

// The file of the shipped platform `name` (`name`.yaml in the first search folder that has
// it); an InputError at `at`/`key` listing the search path and the names found otherwise.
std::string find_platform_file(const std::string& name, const SourceLocation& at, const std::string& key);

}  // namespace trainsim
