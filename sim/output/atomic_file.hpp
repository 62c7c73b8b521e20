#pragma once
// Write-then-rename: an output file is produced under a temporary name in the target's
// directory and renamed over the target only once complete. Readers (and a user re-running
// after a crash) therefore see either the old file or the complete new one, never half of one.
// The temporary lives in the same directory because rename(2) is only atomic within a file
// system.
#include <memory>
#include <string>

#include "core/interrupt.hpp"

namespace trainsim::output {

class AtomicOutputFile {
 public:
  // Chooses the temporary name ("<dir>/.<name>.tmp-<pid>") without creating anything. Throws
  // OutputError if `target` is empty or names an existing directory.
  explicit AtomicOutputFile(std::string target);
  ~AtomicOutputFile();  // removes the temporary unless commit() succeeded
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }

  // Flushes the temporary to stable storage and renames it over the target. Throws OutputError
  // (after removing the temporary) on failure.
  void commit();
  // Removes the temporary now (idempotent); used on the error path before rethrowing.
  void discard() noexcept;

 private:
  std::string target_;
  std::string temp_;
  bool committed_ = false;
  // Removes the temporary if SIGINT/SIGTERM arrives before commit() (core/interrupt.hpp).
  std::unique_ptr<interrupt::RemoveOnInterrupt> interrupt_guard_;
};

}  // namespace trainsim::output
