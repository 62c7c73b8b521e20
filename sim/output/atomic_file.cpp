#include "output/atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28, _GNU_SOURCE)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "output/output_error.hpp"

namespace trainsim::output {

namespace fs = std::filesystem;

namespace {

std::string os_reason(int error) { return std::strerror(error); }

// "file.h5" in "out/file.h5" as ".file.h5.tmp-<pid>[-n]".
std::string temp_name(const fs::path& target, int attempt) {
  // (Built with += : GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.)
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  if (attempt > 0) {
    name += "-";
    name += std::to_string(attempt);
  }
  return (target.parent_path() / name).string();
}

// The commit without replacing: fails with EEXIST if the target exists, whatever appeared there
// since the run started. renameat2 is atomic; link(2) + unlink is the fallback where the file
// system does not implement RENAME_NOREPLACE.
int rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
  if (::link(from.c_str(), to.c_str()) != 0) return errno;
  ::unlink(from.c_str());
  return 0;
}

// Makes a completed rename durable: the new directory entry reaches the disk too.
void sync_folder(const fs::path& folder) {
  const std::string name = folder.empty() ? "." : folder.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: the data itself was synced before the rename
  ::close(fd);
}

}  // namespace

std::string refusal_of_existing(const std::string& path, Existing existing) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "";  // absent (ENOTDIR: a parent is a file, refused when folders are made)
    return "cannot inspect the path: " + os_reason(errno);
  }
  const std::string only = "; trainsim only creates or replaces regular files (choose another path)";
  if (S_ISLNK(st.st_mode)) return "the path is a symbolic link" + only;
  if (S_ISDIR(st.st_mode)) return "the path is a folder" + only;
  if (S_ISFIFO(st.st_mode)) return "the path is a FIFO (named pipe)" + only;
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "the path is a device" + only;
  if (S_ISSOCK(st.st_mode)) return "the path is a socket" + only;
  if (!S_ISREG(st.st_mode)) return "the path is not a regular file" + only;
  if (existing == Existing::Refuse) return "the file exists; pass --force to replace it";
  return "";
}

AtomicOutputFile::AtomicOutputFile(std::string target, Existing existing, std::string key)
    : target_(std::move(target)), existing_(existing), key_(std::move(key)) {
  if (target_.empty()) throw OutputError(target_, "empty output path", key_);
  const fs::path path(target_);
  if (!path.has_filename()) throw OutputError(target_, "the output path names a folder, not a file", key_);
  // Only what is not a regular file is refused here; an existing file is the commit's concern
  // (refused without --force), and the command checked for one before running (OutputPlan).
  if (std::string why = refusal_of_existing(target_, Existing::Replace); !why.empty()) throw OutputError(target_, why, key_);
  if (const fs::path folder = path.parent_path(); !folder.empty()) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw OutputError(target_, "cannot create the folder '" + folder.string() + "': " + ec.message(), key_);
  }
  // Created exclusively: never truncate (or follow) something already there under that name.
  for (int attempt = 0;; ++attempt) {
    temp_ = temp_name(path, attempt);
    interrupt_guard_ = std::make_unique<interrupt::RemoveOnInterrupt>(temp_);
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    const int error = errno;
    interrupt_guard_.reset();
    if (error != EEXIST || attempt >= 100) {
      const std::string folder = path.parent_path().empty() ? "." : path.parent_path().string();
      throw OutputError(target_, "cannot create a file in the folder '" + folder + "': " + os_reason(error), key_);
    }
  }
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!committed_) discard();
}

void AtomicOutputFile::discard() noexcept {
  if (committed_ || temp_.empty()) return;
  ::unlink(temp_.c_str());  // ENOENT is fine: already gone
}

void AtomicOutputFile::commit() {
  // Why fsync before rename: without it a crash shortly after the rename can leave the new
  // name pointing at a file whose data never reached the disk (zero length on some file
  // systems) — exactly the half-written output this class exists to prevent.
  int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    std::string why = os_reason(errno);
    if (fd >= 0) ::close(fd);
    discard();
    throw OutputError(target_, "cannot flush the temporary file " + temp_ + ": " + why, key_);
  }
  ::close(fd);
  if (existing_ == Existing::Replace) {
    // What is at the target now, not at the start: a FIFO or link created meanwhile is refused too.
    if (std::string why = refusal_of_existing(target_, existing_); !why.empty()) {
      discard();
      throw OutputError(target_, why, key_);
    }
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
      std::string why = os_reason(errno);
      discard();
      throw OutputError(target_, "cannot rename " + temp_ + " to the output path: " + why, key_);
    }
  } else if (const int error = rename_no_replace(temp_, target_); error != 0) {
    discard();
    if (error == EEXIST)
      throw OutputError(target_, "a file appeared at this path during the run (another run writing the same "
                                 "output?); it was left as it is and this run's output was discarded; pass --force "
                                 "to replace it", key_);
    throw OutputError(target_, "cannot rename " + temp_ + " to the output path: " + os_reason(error), key_);
  }
  committed_ = true;
  sync_folder(fs::path(target_).parent_path());
}

void write_text_file(const std::string& path, const std::string& text, Existing existing, const std::string& key) {
  AtomicOutputFile file(path, existing, key);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      file.discard();
      throw OutputError(path, "writing the file failed (disk full?)", key);
    }
  }
  file.commit();
}

}  // namespace trainsim::output
