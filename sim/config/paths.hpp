#pragma once
// Paths named inside input files are relative to the file that names them, so a scenario or
// platform can be moved together with the files it uses.
#include <filesystem>
#include <string>

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

}  // namespace trainsim
