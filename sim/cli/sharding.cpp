#include "cli/sharding.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "core/error.hpp"
#include "output/atomic_file.hpp"
#include "scaleout/record_file.hpp"

namespace trainsim::cli {

namespace fs = std::filesystem;
using scaleout::Role;

namespace {

// Scale-out options: (name, takes a value).
const std::vector<std::pair<std::string, bool>> kShardingOptions = {
    {"shard", true},         {"shards", true},           {"slurm", false},  {"partition", true},
    {"time", true},          {"cpus-per-task", true},    {"array-parallelism", true},
    {"sbatch-args", true},   {"no-wait", false}};
// Options that change how a run goes, never its results: left out of a search's identity, so
// shards may differ in them.
const std::vector<std::pair<std::string, bool>> kExecutionOptions = {{"jobs", true}, {"quiet", false}, {"force", false}};

// `words` without the options listed (as `--name value` or `--name=value`).
std::vector<std::string> without(const std::vector<std::string>& words,
                                 const std::vector<std::vector<std::pair<std::string, bool>>>& lists) {
  std::vector<std::string> out;
  bool ended = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (ended || w.rfind("--", 0) != 0 || w == "--") {
      ended = ended || w == "--";
      out.push_back(w);
      continue;
    }
    const std::string name = w.substr(2, w.find('=') == std::string::npos ? std::string::npos : w.find('=') - 2);
    bool dropped = false;
    for (const auto& list : lists)
      for (const auto& [n, valued] : list)
        if (n == name) {
          dropped = true;
          if (valued && w.find('=') == std::string::npos) ++i;
        }
    if (!dropped) out.push_back(w);
  }
  return out;
}

long long integer_option(const Args& args, const std::string& name, long long lo, long long hi, long long fallback) {
  return args.integer(name, fallback, lo, hi);
}

std::string trainsim_executable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw InternalError("cannot find the trainsim executable (/proc/self/exe): " + ec.message());
  return exe.string();
}

// --- the record of Slurm submissions (folder/slurm-jobs) ---

struct Submission {
  int round;
  std::string job;
  std::string shards;  // Slurm array list
};

const char* const kJobsKind = "trainsim-slurm-jobs";

std::vector<Submission> read_submissions(const std::string& folder) {
  const std::string path = (fs::path(folder) / "slurm-jobs").string();
  std::vector<Submission> out;
  if (!fs::exists(path)) return out;
  for (const auto& [name, value] : scaleout::read_records(path, kJobsKind, 1)) {
    Submission s;
    char job[64], shards[4096];
    if (name != "job" || std::sscanf(value.c_str(), "%d %63s %4095s", &s.round, job, shards) != 3)
      throw InputError({path, 0, 0}, "", "a malformed line; the file was edited");
    s.job = job;
    s.shards = shards;
    out.push_back(s);
  }
  return out;
}

void record_submission(const std::string& folder, const Submission& s) {
  auto all = read_submissions(folder);
  all.push_back(s);
  scaleout::Records r;
  for (const auto& x : all) r.emplace_back("job", std::to_string(x.round) + " " + x.job + " " + x.shards);
  output::write_text_file((fs::path(folder) / "slurm-jobs").string(), scaleout::format_records(kJobsKind, 1, r),
                          output::Existing::Replace);
}

std::string shards_text(const std::vector<int>& shards, int count) {
  std::string s;
  for (int i : shards) s += (s.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
  return s;
}

int replay(const scaleout::Manifest& m, const Replay& how) {
  if (m.command == "sweep") return sweep_main(m.words, &how);
  if (m.command == "compare") return compare_main(m.words, &how);
  if (m.command == "batch") return batch_main(m.words, &how);
  throw InputError({scaleout::manifest_path(how.folder), 0, 0}, "",
                   "names the command '" + m.command + "', which cannot be sharded (sweep, compare, batch)");
}

// The command a shard task runs (before its --shard): the manifest's words, with --jobs from
// the Slurm allocation when the user gave none.
std::vector<std::string> shard_command(const scaleout::Manifest& m, const scaleout::SlurmOptions& s) {
  std::vector<std::string> cmd = {trainsim_executable(), m.command};
  bool has_jobs = false;
  for (const auto& w : m.words) {
    cmd.push_back(w);
    has_jobs = has_jobs || w == "--jobs" || w.rfind("--jobs=", 0) == 0;
  }
  if (!has_jobs) cmd.insert(cmd.begin() + 2, {"--jobs", std::to_string(s.cpus_per_task)});
  return cmd;
}

// The merge a --no-wait submission leaves behind: the same Slurm options, never resubmitting.
std::vector<std::string> merge_command(const std::string& folder, const scaleout::SlurmOptions& s) {
  std::vector<std::string> cmd = {trainsim_executable(), "merge", fs::absolute(folder).lexically_normal().string(),
                                  "--slurm", "--no-wait", "--no-resubmit", "--cpus-per-task",
                                  std::to_string(s.cpus_per_task)};
  if (!s.partition.empty()) cmd.insert(cmd.end(), {"--partition", s.partition});
  if (!s.time.empty()) cmd.insert(cmd.end(), {"--time", s.time});
  if (s.array_parallelism > 0) cmd.insert(cmd.end(), {"--array-parallelism", std::to_string(s.array_parallelism)});
  if (!s.sbatch_args.empty()) {
    std::string joined;
    for (const auto& a : s.sbatch_args) joined += (joined.empty() ? "" : " ") + scaleout::shell_quote(a);
    cmd.push_back("--sbatch-args=" + joined);  // with '=': the value starts with a dash
  }
  return cmd;
}

}  // namespace

std::vector<OptionSpec> slurm_option_specs() {
  return {{"partition", "NAME", "--slurm: the Slurm partition (default: the cluster's default partition)"},
          {"time", "TIME", "--slurm: time limit of each shard's task, as Slurm writes it (M, H:M:S, D-H:M:S, ...)"},
          {"cpus-per-task", "N", "--slurm: CPUs of each shard's task (1 to 4096, default: --jobs); its simulations at a time"},
          {"array-parallelism", "N", "--slurm: most shard tasks running at once (the array's %N; default: no limit)"},
          {"sbatch-args", "'ARGS'", "--slurm: more sbatch options, written into the scripts; give them with '=' "
                                    "(--sbatch-args='--account=abc --qos=high')"},
          {"no-wait", "", "--slurm: submit and return; a merge job submitted after the shards writes the outputs"}};
}

std::vector<OptionSpec> with_sharding_options(std::vector<OptionSpec> own) {
  own.push_back({"shard", "I/N", "run shard I (from 0) of N: simulate its part and write it to the parts folder "
                                 "(docs/slurm.md); `trainsim merge` writes the outputs"});
  own.push_back({"slurm", "", "run the shards as a Slurm job array (with --shards N), wait for them and merge"});
  own.push_back({"shards", "N", "--slurm: number of shards (1 to 10000)"});
  for (auto& o : slurm_option_specs()) own.push_back(std::move(o));
  return own;
}

scaleout::SlurmOptions slurm_options(const Args& args, int jobs) {
  scaleout::SlurmOptions s;
  if (auto p = args.value("partition")) {
    if (p->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
      throw UsageError("--partition needs a Slurm partition name (letters, digits, '_', '.', '-'), got '" + *p + "'");
    s.partition = *p;
  }
  if (auto t = args.value("time")) {
    if (!scaleout::valid_slurm_time(*t))
      throw UsageError("--time needs a Slurm time limit: minutes (30), M:S, H:M:S (2:00:00), D-H, D-H:M or D-H:M:S, "
                       "got '" + *t + "'");
    s.time = *t;
  }
  s.cpus_per_task = static_cast<int>(integer_option(args, "cpus-per-task", 1, 4096, jobs));
  s.array_parallelism = static_cast<int>(integer_option(args, "array-parallelism", 1, scaleout::kMaxShards, 0));
  if (auto a = args.value("sbatch-args")) {
    std::string why;
    auto words = scaleout::split_words(*a, &why);
    if (!words) throw UsageError("--sbatch-args: " + why);
    if (!words->empty() && (*words)[0].rfind("-", 0) != 0)
      throw UsageError("--sbatch-args needs sbatch options (starting with '-'), got '" + *a + "'");
    for (const auto& w : *words) {
      if (w.find_first_of("'\"") != std::string::npos)
        throw UsageError("--sbatch-args: '" + w + "' holds a quote, which an #SBATCH line cannot carry");
      if (w == "-a" || w.rfind("--array", 0) == 0 || w.rfind("--dependency", 0) == 0 || w == "-d")
        throw UsageError("--sbatch-args: '" + w + "' is trainsim's to set (the shards are --shards N, at most "
                         "--array-parallelism at a time)");
    }
    s.sbatch_args = *words;
  }
  return s;
}

Sharding::Sharding(std::string command, const Args& args, std::vector<std::string> words, const Replay* replay)
    : command_(std::move(command)), words_(without(words, {kShardingOptions})), recorded_words_(words) {
  if (replay) {
    mode_ = replay->role == Role::Shard ? Mode::Shard : Mode::Merge;
    shard_ = replay->shard;
    replay_jobs_ = replay->jobs;
    folder_ = replay->folder;
    replayed_ = true;
    return;
  }
  const bool slurm = args.flag("slurm");
  for (const auto& [name, valued] : kShardingOptions)
    if (name != "slurm" && name != "shard" && name != "shards" && (valued ? args.value(name).has_value() : args.flag(name)) &&
        !slurm)
      throw UsageError("--" + name + " goes with --slurm");
  if (auto s = args.value("shard")) {
    if (slurm) throw UsageError("--shard runs one shard here; --slurm runs them all as a Slurm job array: choose one");
    if (args.value("shards")) throw UsageError("--shards goes with --slurm (--shard I/N gives the number of shards)");
    std::string why;
    const auto shard = scaleout::parse_shard(*s, &why);
    if (!shard) throw UsageError("--shard: " + why);
    mode_ = Mode::Shard;
    shard_ = *shard;
    shards_ = shard->count;
  } else if (slurm) {
    if (!args.value("shards")) throw UsageError("--slurm needs --shards N, the number of shards (array tasks)");
    shards_ = static_cast<int>(args.integer("shards", 1, 1, scaleout::kMaxShards));
    mode_ = Mode::Submit;
    slurm_ = slurm_options(args, static_cast<int>(args.integer("jobs", 2, 1, 256)));
    wait_ = !args.flag("no-wait");
  } else if (args.value("shards")) {
    throw UsageError("--shards goes with --slurm (--shard I/N runs one shard)");
  }
}

void Sharding::require_output(const std::string& primary, const std::string& what) const {
  if (mode_ == Mode::Local || !primary.empty()) return;
  throw UsageError("a sharded run needs " + what + ": the merged output, next to which the parts go");
}

void Sharding::open(const std::string& primary, const std::string& inputs, bool force, RunJournal* journal) {
  if (mode_ == Mode::Local) {
    runs_.emplace(scaleout::Runs::local(journal));
    return;
  }
  scaleout::Manifest m;
  m.command = command_;
  m.words = words_;
  m.directory = fs::current_path().string();
  std::string identity = "trainsim " + command_ + "\n";
  for (const auto& w : without(words_, {kExecutionOptions})) identity += w + '\0';
  m.identity = scaleout::fingerprint(identity + "\n" + inputs);
  if (folder_.empty()) folder_ = primary + ".parts";
  if (replayed_) {
    // `trainsim merge`: the folder's manifest describes this search, unless the inputs changed.
    const scaleout::Manifest there = scaleout::read_manifest(folder_);
    if (there.identity != m.identity)
      throw InputError({folder_, 0, 0}, "", "the inputs of '" + there.command_line() +
                                                "' changed since its shards ran (the parts hold results of the old "
                                                "ones); restore them, or run the search again with --force");
    shards_ = there.shards;
  } else {
    m.shards = shards_;
    // --force restarts a search from the command that submits it, never from one of its shards.
    created_folder_ = !fs::exists(scaleout::manifest_path(folder_));
    scaleout::open_parts_folder(folder_, m, force && mode_ == Mode::Submit);
  }
  recorded_words_ = scaleout::read_manifest(folder_).words;
  if (mode_ == Mode::Shard) {
    runs_.emplace(scaleout::Runs::shard(folder_, m.identity, shard_));
    if (runs_->journalled() > 0)
      std::cerr << "shard " << shard_.text() << ": resuming with " << runs_->journalled() << " runs from its journal ("
                << folder_ << ")\n";
  }
  else if (mode_ == Mode::Merge) runs_.emplace(scaleout::Runs::merge(folder_, m.identity, shards_));
}

int Sharding::submit_and_merge() {
  MergeOptions o;
  o.slurm = true;
  o.slurm_options = slurm_;
  o.wait = wait_;
  try {
    return merge_search(folder_, o);
  } catch (const InputError&) {
    // sbatch refused the first submission (a wrong partition, say): leave nothing behind.
    if (created_folder_ && read_submissions(folder_).empty()) {
      std::error_code ec;
      for (const char* name : {"manifest", "shard.sbatch"}) fs::remove(fs::path(folder_) / name, ec);
      fs::remove(folder_, ec);  // only if empty
    }
    throw;
  }
}

bool Sharding::run(const std::function<void()>& work, bool quiet) {
  if (mode_ != Mode::Shard) {
    work();
    runs_->finish();
    return true;
  }
  const std::string who = "shard " + shard_.text();
  try {
    work();
    runs_->finish();
    runs_->close();
    if (!quiet)
      std::cout << who << ": the search is complete (" << runs_->simulated() << " runs simulated here); `trainsim merge "
                << folder_ << "` writes the outputs\n";
  } catch (const scaleout::ShardRoundDone& done) {
    runs_->close();
    if (!quiet) {
      std::cout << who << ": round " << done.round << " done (" << runs_->simulated() << " runs simulated here, part in "
                << folder_ << ")";
      if (!done.waiting.empty())
        std::cout << "; waiting for shard(s) " << shards_text(done.waiting, shard_.count);
      std::cout << "; then `trainsim merge " << folder_ << "` (the next round, if any, reruns the same shards)\n";
    }
  }
  return false;
}

int merge_search(const std::string& folder_given, const MergeOptions& o) {
  const scaleout::Manifest m = scaleout::read_manifest(folder_given);  // errors name the folder as given
  const std::string folder = fs::absolute(folder_given).lexically_normal().string();
  std::error_code ec;
  fs::current_path(m.directory, ec);
  if (ec)
    throw InputError({scaleout::manifest_path(folder), 0, 0}, "",
                     "the search ran in '" + m.directory + "', which this machine cannot enter (" + ec.message() +
                         "); merge where its files are");
  std::set<int> attempted;  // rounds this merge ran or submitted
  for (;;) {
    Replay merge{Role::Merge, folder, {}, {}};
    try {
      return replay(m, merge);
    } catch (const scaleout::MissingShards& missing) {
      const std::string list = shards_text(missing.shards, missing.count);
      const auto jobs = read_submissions(folder);
      std::string ran;  // the jobs that ran this round, for the report
      for (const auto& s : jobs)
        if (s.round == missing.round) ran += (ran.empty() ? "" : ", ") + s.job;
      // What will be run is news; what lacks and will not be run is an error.
      const bool will_run = !attempted.count(missing.round) && (o.run_missing || (o.slurm && (o.resubmit || ran.empty())));
      if (will_run) {
        std::cout << "round " << missing.round << ": shard(s) " << list << " to run"
                  << (ran.empty() ? "" : " (again: job " + ran + " did not deliver their parts)") << "\n";
      } else {
        std::cerr << "merge: round " << missing.round << " lacks the part of shard(s) " << list;
        if (!ran.empty())
          std::cerr << " (submitted as Slurm job " << ran << "; logs: " << folder << "/slurm-<job>_<shard>.out)";
        std::cerr << "\n";
      }
      if (attempted.count(missing.round)) {
        std::cerr << "merge: they were " << (o.slurm ? "submitted" : "run") << " and did not deliver it; resubmit with "
                  << "`trainsim merge " << folder << " --slurm`, or run them here with --run-missing\n";
        return kExitIncomplete;
      }
      if (o.run_missing) {
        for (int s : missing.shards) {
          std::cerr << "merge: running shard " << s << "/" << missing.count << " here\n";
          replay(m, Replay{Role::Shard, folder, {s, missing.count}, o.jobs});
        }
      } else if (o.slurm) {
        if (!o.resubmit && !ran.empty()) {
          std::cerr << "merge: not resubmitted (--no-resubmit); `trainsim merge " << folder
                    << " --slurm` resubmits them\n";
          return kExitIncomplete;
        }
        output::write_text_file(scaleout::shard_script_path(folder),
                                scaleout::shard_script(m, folder, shard_command(m, o.slurm_options), o.slurm_options),
                                output::Existing::Replace);
        std::string array = scaleout::index_list(missing.shards);
        if (o.slurm_options.array_parallelism > 0) array += "%" + std::to_string(o.slurm_options.array_parallelism);
        const std::string job = scaleout::submit(scaleout::shard_script_path(folder), array, "");
        record_submission(folder, {missing.round, job, scaleout::index_list(missing.shards)});
        std::cout << "submitted round " << missing.round << " as Slurm job " << job << " (shards " << array
                  << ", script " << scaleout::shard_script_path(folder) << ")\n";
        if (!o.wait) {
          output::write_text_file(scaleout::merge_script_path(folder),
                                  scaleout::merge_script(m, folder, merge_command(folder, o.slurm_options), o.slurm_options),
                                  output::Existing::Replace);
          const std::string merge_job = scaleout::submit(scaleout::merge_script_path(folder), "", job);
          std::cout << "submitted the merge as Slurm job " << merge_job << " (after job " << job
                    << "); or merge yourself once the shards are done: trainsim merge " << folder << "\n";
          return exit_code::kOk;
        }
        std::cout << "waiting for job " << job << " (Ctrl-C stops waiting, not the job; `trainsim merge " << folder
                  << "` merges later)\n" << std::flush;
        scaleout::wait_for_job(job);
      } else {
        std::cerr << "merge: run the missing shards (the same command with --shard I/" << missing.count
                  << "), or here with `trainsim merge " << folder << " --run-missing`, or on Slurm with --slurm\n";
        return kExitIncomplete;
      }
      attempted.insert(missing.round);
    }
  }
}

}  // namespace trainsim::cli
