#pragma once
// Every output of a command, checked before it simulates (docs/robustness.md, "Outputs"): a run
// must never end in a refused write, nor write anything when its input is refused.
//
//   Scenario s = load_scenario_file(path);      // bad input first: nothing created yet
//   output::OutputPlan plan(args.flag("force") ? Existing::Replace : Existing::Refuse);
//   plan.add(trace_path, "--trace");
//   ... simulate ...
//   write_trace_hdf5(data, trace_path, options);  // options.existing = plan.existing()
//
// add() refuses what AtomicOutputFile would refuse at the end (not a regular file, an existing
// file without --force), creates the missing folders now, and proves the folder writable by
// creating and removing a probe file, reporting the operating system's reason ("Permission
// denied", "Read-only file system"). The folders a plan created are removed again when the plan
// ends or the run is interrupted, if they are still empty: a refused or interrupted run leaves
// nothing behind.
#include <memory>
#include <string>
#include <vector>

#include "core/interrupt.hpp"
#include "output/atomic_file.hpp"

namespace trainsim::output {

class OutputPlan {
 public:
  explicit OutputPlan(Existing existing) : existing_(existing) {}
  ~OutputPlan();  // removes the folders it created that are still empty
  OutputPlan(const OutputPlan&) = delete;
  OutputPlan& operator=(const OutputPlan&) = delete;

  // An output file at `path`, named by `option` (for messages: "--trace", "output.trace").
  // Throws OutputError(path, reason, option). Two outputs of one plan naming the same file are
  // refused.
  void add(const std::string& path, const std::string& option);
  // A folder for outputs (--output-dir): created with its parents, must be a writable folder.
  void add_folder(const std::string& path, const std::string& option);

  Existing existing() const { return existing_; }

 private:
  // Creates `folder` and its missing parents, remembering those it created.
  void create_folders(const std::string& folder, const std::string& path, const std::string& option);
  void check_writable(const std::string& folder, const std::string& path, const std::string& option) const;

  Existing existing_;
  std::vector<std::string> created_;  // parents first
  std::vector<std::unique_ptr<interrupt::RemoveOnInterrupt>> guards_;
  std::vector<std::pair<std::string, std::string>> files_;  // canonical path, option
};

}  // namespace trainsim::output
