#pragma once
// Write-then-rename: an output file is produced under a temporary name in the target's
// directory and renamed over the target only once complete. Readers (and a user re-running
// after a crash) therefore see either the old file or the complete new one, never half of one.
// The temporary lives in the same directory because rename(2) is only atomic within a file
// system.
//
// Every output file trainsim writes goes through this class (GUIDE decision 3), which is
// where the rules of docs/robustness.md ("Outputs") are enforced once:
//  - only regular files are ever created or replaced: a directory, FIFO, device, socket or
//    symbolic link at the target is refused, with or without --force (`--chrome-trace /dev/full
//    --force` must never replace a device node);
//  - missing parent folders are created;
//  - without --force (Existing::Refuse) the commit never replaces a file, not even one that
//    appeared while the run was writing (another run writing the same output): renameat2's
//    RENAME_NOREPLACE, or link(2) where the file system lacks it;
//  - failures are OutputErrors naming the path and the operating system's reason.
#include <memory>
#include <string>

#include "core/interrupt.hpp"

namespace trainsim::output {

// What an output may do to a file already at its path.
enum class Existing {
  Refuse,   // the default: an existing file is an error
  Replace,  // --force: replace it, if it is a regular file
};

class AtomicOutputFile {
 public:
  // Creates the missing parent folders of `target` and the temporary ("<dir>/.<name>.tmp-<pid>",
  // created exclusively, empty). Throws OutputError if `target` is empty or not a regular file
  // (see above), or its folder cannot be written. An existing file is refused at commit() when
  // `existing` is Refuse (commands refuse it before running: OutputPlan). `key` names the output
  // in errors: the option or scenario key that gave the path ("--trace"; "output" when unknown).
  explicit AtomicOutputFile(std::string target, Existing existing = Existing::Refuse, std::string key = "output");
  ~AtomicOutputFile();  // removes the temporary unless commit() succeeded
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }

  // Flushes the temporary to stable storage and renames it to the target, under the rules
  // above. Throws OutputError (after removing the temporary) on failure.
  void commit();
  // Removes the temporary now (idempotent); used on the error path before rethrowing.
  void discard() noexcept;

 private:
  std::string target_;
  std::string temp_;
  Existing existing_;
  std::string key_;
  bool committed_ = false;
  // Removes the temporary if SIGINT/SIGTERM arrives before commit() (core/interrupt.hpp).
  std::unique_ptr<interrupt::RemoveOnInterrupt> interrupt_guard_;
};

// Writes `text` to `path` through an AtomicOutputFile: the one way to write a small text output
// (summaries, CSV, JSON, scenario files).
void write_text_file(const std::string& path, const std::string& text, Existing existing,
                     const std::string& key = "output");

// Why `path` cannot be an output, or "" if it can: it is not a regular file (directory, FIFO,
// device, socket, symbolic link), or it exists while `existing` is Refuse. Checks the path only
// (no folder is created); AtomicOutputFile and OutputPlan apply it.
std::string refusal_of_existing(const std::string& path, Existing existing);

}  // namespace trainsim::output
