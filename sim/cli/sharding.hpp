#pragma once
// Sharded runs of the commands that simulate many independent runs (sweep, compare, batch):
// `--shard I/N` runs one shard, `--slurm --shards N` hands the shards to Slurm as a job array
// and merges, `trainsim merge FOLDER` merges or resumes (docs/slurm.md). The command code stays
// the one a single-machine run executes; only where its results come from changes
// (scaleout/runs.hpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "core/journal.hpp"
#include "scaleout/manifest.hpp"
#include "scaleout/runs.hpp"
#include "scaleout/slurm.hpp"

namespace trainsim::cli {

// Exit code of a merge that still lacks shards' parts (docs/slurm.md).
inline constexpr int kExitIncomplete = 4;

// How `trainsim merge` runs a command again on the words its manifest recorded.
struct Replay {
  scaleout::Role role = scaleout::Role::Merge;  // Merge, or Shard (running a missing shard here)
  std::string folder;
  scaleout::Shard shard;
  std::optional<int> jobs;  // instead of the recorded --jobs
};

// The shardable commands, on their words (after the command name), run as `replay` says or,
// when it is null, as their own options say.
int sweep_main(const std::vector<std::string>& words, const Replay* replay);
int compare_main(const std::vector<std::string>& words, const Replay* replay);
int batch_main(const std::vector<std::string>& words, const Replay* replay);

// The scale-out options, appended to a shardable command's own.
std::vector<OptionSpec> with_sharding_options(std::vector<OptionSpec> own);
// The Slurm options (--partition ... --no-wait) alone, for `trainsim merge`.
std::vector<OptionSpec> slurm_option_specs();
// Reads them (strictly: one-line UsageErrors); `jobs`: the default of --cpus-per-task.
scaleout::SlurmOptions slurm_options(const Args& args, int jobs);

class Sharding {
 public:
  // Reads --shard, --shards, --slurm and the Slurm options of `args` (parsed from `words`), or
  // takes `replay`'s role.
  Sharding(std::string command, const Args& args, std::vector<std::string> words, const Replay* replay);

  bool local() const { return mode_ == Mode::Local; }
  bool submits() const { return mode_ == Mode::Submit; }
  bool is_shard() const { return mode_ == Mode::Shard; }
  bool merging() const { return mode_ == Mode::Merge; }
  // The parts folder (after open() of a sharded run).
  const std::string& folder() const { return folder_; }
  // The command's words as its outputs record them: a single-machine run's as given, a sharded
  // run's as its manifest holds them (a shard task's own words carry --shard, maybe --jobs).
  const std::vector<std::string>& recorded_words() const { return recorded_words_; }
  // Whether this process writes the command's outputs (a single-machine run, a merge, --slurm).
  bool writes_outputs() const { return mode_ != Mode::Shard; }
  // The --jobs to run with (a replay may set it).
  int jobs(int own) const { return replay_jobs_.value_or(own); }
  // A UsageError unless `primary` (the output the parts folder is named after) is set when
  // sharded: `what` names the option that sets it ("--trace FILE.h5").
  void require_output(const std::string& primary, const std::string& what) const;

  // Opens the parts folder "<primary>.parts" of a sharded run for inputs with fingerprint
  // `inputs` (--force starts it over), or prepares a local run (with `journal`, if any).
  void open(const std::string& primary, const std::string& inputs, bool force, RunJournal* journal = nullptr);
  scaleout::Runs& runs() { return *runs_; }

  // --slurm: writes the scripts, submits the shards, waits and merges (or returns at once
  // with --no-wait). Returns the exit code.
  int submit_and_merge();
  // Runs the command's work; false when this process is a shard (its part is written and it
  // has nothing else to do: the caller returns 0).
  bool run(const std::function<void()>& work, bool quiet);

 private:
  enum class Mode { Local, Shard, Submit, Merge };
  std::string command_;
  std::vector<std::string> words_;  // without the scale-out options
  std::vector<std::string> recorded_words_;
  Mode mode_ = Mode::Local;
  scaleout::Shard shard_;
  int shards_ = 1;
  std::optional<int> replay_jobs_;
  bool replayed_ = false;
  bool created_folder_ = false;  // this process created the parts folder's manifest
  scaleout::SlurmOptions slurm_;
  bool wait_ = true;
  std::string folder_;
  std::optional<scaleout::Runs> runs_;
};

// What `trainsim merge` does when shards are missing.
struct MergeOptions {
  bool run_missing = false;  // run them here, one after the other
  bool slurm = false;        // submit them as a job array
  scaleout::SlurmOptions slurm_options;
  bool wait = true;
  bool resubmit = true;      // false: report shards whose job ran and failed, submit only new rounds
  std::optional<int> jobs;
};

// Merges the sharded search in `folder` (replaying its command with every result present),
// running or submitting what is missing as `options` say. Returns the exit code.
int merge_search(const std::string& folder, const MergeOptions& options);

}  // namespace trainsim::cli
