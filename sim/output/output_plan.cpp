#include "output/output_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "output/output_error.hpp"

namespace trainsim::output {

namespace fs = std::filesystem;

OutputPlan::~OutputPlan() {
  guards_.clear();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::rmdir(it->c_str());  // only if empty
}

void OutputPlan::create_folders(const std::string& folder, const std::string& path, const std::string& option) {
  // The missing ancestors, deepest first, then created parents first.
  std::vector<fs::path> missing;
  for (fs::path p = fs::path(folder).lexically_normal(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw OutputError(path, "'" + p.string() + "' is not a folder", option);
      break;
    }
    if (errno != ENOENT) throw OutputError(path, "cannot use the folder '" + p.string() + "': " + std::strerror(errno), option);
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0777) != 0 && errno != EEXIST)
      throw OutputError(path, "cannot create the folder '" + it->string() + "': " + std::strerror(errno), option);
    created_.push_back(it->string());
    guards_.push_back(std::make_unique<interrupt::RemoveOnInterrupt>(it->string(), interrupt::Removal::EmptyFolder));
  }
}

void OutputPlan::check_writable(const std::string& folder, const std::string& path, const std::string& option) const {
  const std::string dir = folder.empty() ? "." : folder;
  const std::string probe = (fs::path(dir) / (".trainsim-probe-" + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST)
    throw OutputError(path, "cannot write in the folder '" + dir + "': " + std::strerror(errno), option);
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
}

void OutputPlan::add(const std::string& path, const std::string& option) {
  if (path.empty()) throw OutputError(path, "empty output path", option);
  const fs::path p(path);
  if (!p.has_filename()) throw OutputError(path, "the output path names a folder, not a file", option);
  if (std::string why = refusal_of_existing(path, existing_); !why.empty()) throw OutputError(path, why, option);
  const std::string folder = p.parent_path().string();
  create_folders(folder, path, option);
  check_writable(folder, path, option);
  const std::string canonical = fs::weakly_canonical(fs::absolute(p)).string();
  for (const auto& [other, other_option] : files_)
    if (other == canonical)
      throw OutputError(path, "the same file is also the output of " + other_option + "; give each output its own path",
                        option);
  files_.emplace_back(canonical, option);
}

void OutputPlan::add_folder(const std::string& path, const std::string& option) {
  if (path.empty()) throw OutputError(path, "empty folder path", option);
  create_folders(path, path, option);
  check_writable(path, path, option);
}

}  // namespace trainsim::output
