#pragma once
// Slurm as the engine of a sharded search (docs/slurm.md): the job-array script that runs the
// shards, submission with sbatch, waiting with squeue. Nothing here distributes work itself:
// Slurm schedules the array's tasks, each task runs one shard of the same command.
#include <optional>
#include <string>
#include <vector>

#include "scaleout/manifest.hpp"

namespace trainsim::scaleout {

struct SlurmOptions {
  std::string partition;                 // "" = the cluster's default partition
  std::string time;                      // "" = the partition's default limit
  int cpus_per_task = 1;
  int array_parallelism = 0;             // most tasks running at once; 0 = no limit
  std::vector<std::string> sbatch_args;  // passed through to sbatch, in the scripts
};

// Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (digits only, no zero limit).
bool valid_slurm_time(const std::string& text);
// Splits a string into words as a POSIX shell would (blanks, '...', "...", backslash), without
// any expansion; nullopt and the reason for an unclosed quote or a line break.
std::optional<std::vector<std::string>> split_words(const std::string& text, std::string* why);
// 'word' quoted for a POSIX shell.
std::string shell_quote(const std::string& word);

// Files of a search's Slurm jobs, in its parts folder.
std::string shard_script_path(const std::string& folder);  // folder/shard.sbatch
std::string merge_script_path(const std::string& folder);  // folder/merge.sbatch

// The job-array script of the shards: task I runs `command` followed by `--shard I/N`, in the
// manifest's directory; logs go to folder/slurm-<job>_<task>.out. `#SBATCH --array=0-(N-1)`
// (with %P) lets a user submit it as it is; the submission below names the tasks it wants.
std::string shard_script(const Manifest& manifest, const std::string& folder, const std::vector<std::string>& command,
                         const SlurmOptions& slurm);
// The script of the merge that follows a --no-wait submission (afterany: it runs however the
// shards end): `command` (trainsim merge FOLDER ...), logs in folder/slurm-merge-<job>.out.
std::string merge_script(const Manifest& manifest, const std::string& folder, const std::vector<std::string>& command,
                         const SlurmOptions& slurm);

// sbatch --parsable [--array=LIST] [--dependency=afterany:JOB] SCRIPT; returns the job id.
// InputError (key --slurm) when sbatch is missing or refuses the job, with its message.
std::string submit(const std::string& script, const std::string& array, const std::string& after_job);
// Returns once `job` (all its array tasks) has left the queue: squeue, polled every 0.25 s at
// first and up to every 10 s for long jobs.
void wait_for_job(const std::string& job);

}  // namespace trainsim::scaleout
