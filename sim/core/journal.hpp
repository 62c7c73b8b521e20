#pragma once
// A journal of completed runs, so that an interrupted sweep resumes where it stopped.
//
// A sweep writing OUTPUT keeps "<OUTPUT>.partial" next to it: one line per finished run,
// "<key>\t<result>\n", appended and flushed as each run ends. On start the sweep opens the
// journal, skips every key already there and reuses its result; once the final output has been
// committed it calls finish(), which removes the journal. A line cut short by an interruption
// (no final newline) is ignored on reload, so a half-recorded run is simply run again.
// Keys and results are free text; tabs, newlines and backslashes are escaped on disk.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trainsim {

class RunJournal {
 public:
  // Opens (and reloads) "<output_path>.partial". Throws InputError if it exists but is not a
  // regular file or cannot be read; record() throws InputError if it cannot be written.
  explicit RunJournal(const std::string& output_path);

  const std::string& path() const { return path_; }
  // Runs completed by earlier, interrupted invocations plus those recorded since.
  const std::map<std::string, std::string>& completed() const { return completed_; }
  bool done(const std::string& key) const { return completed_.count(key) != 0; }
  // Result of a completed run (InternalError if `key` is not done).
  const std::string& result(const std::string& key) const;

  // Appends a completed run and flushes it to disk before returning.
  void record(const std::string& key, const std::string& result);
  // Appends several completed runs with one write and one flush (a run that takes less time
  // than a flush to disk).
  void record_all(const std::vector<std::pair<std::string, std::string>>& runs);
  // Removes the journal file: call after the final output has been written.
  void finish();

  // The on-disk escaping, exposed for tests.
  static std::string escape(const std::string& text);
  static std::string unescape(const std::string& text);

 private:
  std::string path_;
  std::map<std::string, std::string> completed_;
};

}  // namespace trainsim
