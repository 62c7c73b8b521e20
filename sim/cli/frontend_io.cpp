#include "cli/frontend_io.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/args.hpp"
#include "config/loader.hpp"
#include "config/yaml_reader.hpp"
#include "output/atomic_file.hpp"
#include "output/output_error.hpp"

#ifndef TRAINSIM_PLATFORMS_DIR
#define TRAINSIM_PLATFORMS_DIR ""
#endif

namespace trainsim::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> platform_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TRAINSIM_PLATFORM_PATH")) {
    std::stringstream list(env);
    for (std::string d; std::getline(list, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
  if (std::string shipped = TRAINSIM_PLATFORMS_DIR; !shipped.empty()) dirs.push_back(shipped);
  return dirs;
}

bool is_bare_name(const std::string& value) {
  const std::string ext = fs::path(value).extension().string();
  return !value.empty() && value.find('/') == std::string::npos && ext != ".yaml" && ext != ".yml";
}

}  // namespace

PlatformChoice choose_platform(const std::string& value, const std::string& scenario_path) {
  PlatformChoice c;
  if (is_bare_name(value)) {
    std::set<std::string> names;
    for (const auto& dir : platform_dirs()) {
      std::error_code ec;
      if (fs::is_regular_file(fs::path(dir) / (value + ".yaml"), ec)) {
        c.file = (fs::path(dir) / (value + ".yaml")).string();
        break;
      }
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".yaml") names.insert(e.path().stem().string());
    }
    if (c.file.empty()) {
      const std::vector<std::string> known(names.begin(), names.end());
      const std::string hint = did_you_mean(value, known);
      throw UsageError("no platform named '" + value + "'" + (hint.empty() ? "" : " (" + hint + ")") +
                       "; shipped platforms: " + join(known) + " (or give a platform file's path)");
    }
  } else {
    c.file = value;
  }
  // Where the user stands in a checkout (or a copy of its folders), name the platform through
  // the working tree's platforms/ rather than the compiled-in path of another checkout.
  std::error_code ec;
  const fs::path local = fs::path("platforms") / (value + ".yaml");
  fs::path named = c.file;
  if (is_bare_name(value) && fs::is_regular_file(local, ec) && fs::equivalent(local, c.file, ec)) named = local;
  c.spec = load_platform_file(c.file);
  const fs::path folder = scenario_path.empty() ? fs::current_path() : fs::absolute(scenario_path).parent_path();
  c.as_written = fs::absolute(named).lexically_normal().lexically_relative(folder.lexically_normal()).string();
  if (c.as_written.empty()) c.as_written = fs::absolute(c.file).lexically_normal().string();
  return c;
}

void check_scenario_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 100 && name[0] != '.' && name[0] != '-' &&
                  name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
                      std::string::npos;
  if (!ok)
    throw UsageError("scenario name '" + name + "' is not usable as a file name; expected 1 to 100 letters, digits, "
                     "'.', '_', '-', not starting with '.' or '-' (give --name)");
}

void check_output_path(const std::string& path, bool force) {
  std::error_code ec;
  const auto st = fs::symlink_status(path, ec);
  if (ec || !fs::exists(st)) return;
  if (!fs::is_regular_file(st))
    throw UsageError("output '" + path + "' exists and is not a regular file; outputs only create or replace "
                     "regular files (name a new file)");
  if (!force) throw UsageError("output file '" + path + "' exists; pass --force to replace it");
}

void create_parent_folders(const std::string& path) {
  const fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) return;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw output::OutputError(path, "cannot create folder '" + folder.string() + "': " + ec.message());
}

void write_output_file(const std::string& path, const std::string& text, bool force) {
  check_output_path(path, force);
  create_parent_folders(path);
  output::AtomicOutputFile file(path);
  {
    std::ofstream os(file.temp_path(), std::ios::binary);
    os << text;
    if (!os.flush()) throw output::OutputError(path, "writing failed");
  }
  check_output_path(path, force);  // a file that appeared meanwhile is not replaced silently
  file.commit();
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
