#include "output/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "output/output_error.hpp"

namespace trainsim::output {

namespace fs = std::filesystem;

AtomicOutputFile::AtomicOutputFile(std::string target) : target_(std::move(target)) {
  if (target_.empty()) throw OutputError(target_, "empty output path");
  fs::path path(target_);
  if (!path.has_filename()) throw OutputError(target_, "output path names a directory");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw OutputError(target_, "output path is an existing directory");
  // The pid keeps concurrent runs (configurator children) writing to the same target apart.
  // (Built with += : GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.)
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  fs::path temp = path.parent_path() / name;
  temp_ = temp.string();
  interrupt_guard_ = std::make_unique<interrupt::RemoveOnInterrupt>(temp_);
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!committed_) discard();
}

void AtomicOutputFile::discard() noexcept {
  if (committed_) return;
  ::unlink(temp_.c_str());  // ENOENT is fine: nothing was created yet
}

void AtomicOutputFile::commit() {
  // Why fsync before rename: without it a crash shortly after the rename can leave the new
  // name pointing at a file whose data never reached the disk (zero length on some file
  // systems) — exactly the half-written output this class exists to prevent.
  int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    discard();
    throw OutputError(target_, "cannot flush temporary file " + temp_ + ": " + why);
  }
  ::close(fd);
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    std::string why = std::strerror(errno);
    discard();
    throw OutputError(target_, "cannot rename " + temp_ + " to the output path: " + why);
  }
  committed_ = true;
}

}  // namespace trainsim::output
