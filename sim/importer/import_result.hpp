#pragma once
// What an importer (Megatron-LM flags, torchtitan TOML) gives: a training job on a platform,
// and everything the user must be told about how it was read.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "platform/spec.hpp"
#include "scenario/training_spec.hpp"

namespace trainsim::importer {

// The importer's own options (`trainsim import ... --nodes N --gpus-per-node G`).
struct ImportOptions {
  PlatformSpec platform;  // loaded from --platform
  std::string platform_file;  // its file (absolute), for loading the written scenario back; "" skips that check
  std::optional<int> nodes, gpus_per_node;
};

struct ImportResult {
  // Its plan's mapping is explicit when the job uses part of each node; its model's name is a
  // preset's, or empty when the shape is no preset's (the writer names it after the scenario).
  TrainingSpec job;
  int nodes = 0, gpus_per_node = 0;
  std::vector<std::string> ignored;  // settings read and ignored: listed in a warning
  std::vector<std::string> notes;    // how a setting was read where the input leaves room
  std::string source;                // the command (or file) as read, for the scenario's comment
};

// "1 node x 8 GPUs", "4 nodes x 8 GPUs": a job's GPUs in messages and comments.
std::string nodes_text(int nodes, int gpus_per_node);

// The nodes of a platform in global order (clusters in file order): first global GPU index,
// GPU count, cluster name and index inside the cluster.
struct PlatformNode {
  int first_gpu = 0, gpus = 0;
  std::string cluster;
  int index = 0;
};
std::vector<PlatformNode> platform_nodes(const PlatformSpec& platform);

// The GPUs of the job: the first `nodes` nodes of the platform (clusters in order),
// `gpus_per_node` on each, in Megatron-LM's rank order (rank = node x gpus_per_node + local
// rank). Returns the global GPU of each rank, or an empty list when it is the identity (the
// default order of a scenario). Throws InputError at `where` under `key` when the platform
// is too small.
std::vector<int> job_gpus(const PlatformSpec& platform, int nodes, int gpus_per_node, const SourceLocation& where,
                          const std::string& key);

// Same layers, widths, heads, sequence, vocabulary, family and tying (the name aside).
bool same_shape(const workload::ModelSpec& a, const workload::ModelSpec& b);

// The model preset whose shape equals `model` (name aside), if any: an imported job then names
// it (`model: gpt-1.7b`) and its summary reads like the hand-written scenario's.
std::optional<std::string> matching_preset(const workload::ModelSpec& model);

// An import's error as one printable line: control characters of pasted text escaped (\n, \t,
// \xNN), a key longer than 80 characters cut with "...". Every importer throws through it.
InputError one_line(const InputError& e);

// The setting of the input behind a scenario key: where it is and its name (a flag, a TOML key).
struct FlagRef {
  SourceLocation where;
  std::string name;
};
// The input setting behind a job key ("parallelism.cp", without "job."), if the importer knows it.
using Locate = std::function<std::optional<FlagRef>(const std::string& key)>;

// Checks the assembled job as `trainsim run` will (workload::validate, validate_plan); a
// refusal becomes an InputError saying the imported job is refused and why, at the setting
// `locate` gives for the refused key, else at `where`.
void check_job(const TrainingSpec& job, const PlatformSpec& platform, const SourceLocation& where,
               const Locate& locate = nullptr);

// Loads the job written as a scenario on options.platform_file, as `trainsim run` will (every
// check of the scenario loader, e.g. what the MoE programs refuse); a refusal becomes an
// InputError at the input setting `locate` gives for the refused key, else at `where`.
void check_loads(const TrainingSpec& job, const ImportOptions& options, const SourceLocation& where,
                 const Locate& locate);

}  // namespace trainsim::importer
