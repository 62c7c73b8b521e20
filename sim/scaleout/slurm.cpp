#include "scaleout/slurm.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/error.hpp"
#include "scaleout/program.hpp"

namespace trainsim::scaleout {

namespace fs = std::filesystem;

namespace {

bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) out.emplace_back();
    else out.back().push_back(c);
  }
  return out;
}

InputError slurm_error(const std::string& what) { return InputError({"sbatch", 0, 0}, "--slurm", what); }

// The first line of what a Slurm command printed, without its "sbatch: error: " prefix.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  for (const char* prefix : {"sbatch: error: ", "squeue: error: "})
    if (line.rfind(prefix, 0) == 0) line = line.substr(std::string(prefix).size());
  return line;
}

// The #SBATCH lines both scripts share.
std::string common_directives(const SlurmOptions& s) {
  std::string out;
  if (!s.partition.empty()) out += "#SBATCH --partition=" + s.partition + "\n";
  if (!s.time.empty()) out += "#SBATCH --time=" + s.time + "\n";
  // sbatch reads #SBATCH lines with double quotes only (no shell): a word with blanks is quoted
  // so; words holding quotes are refused when the option is read.
  for (const auto& a : s.sbatch_args)
    out += "#SBATCH " + (a.find_first_of(" \t") == std::string::npos ? a : "\"" + a + "\"") + "\n";
  return out;
}

std::string command_text(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& w : command) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

}  // namespace

bool valid_slurm_time(const std::string& text) {
  std::string rest = text;
  bool days = false;
  if (const size_t dash = text.find('-'); dash != std::string::npos) {
    if (!digits(text.substr(0, dash))) return false;
    rest = text.substr(dash + 1);
    days = true;
  }
  const auto parts = split(rest, ':');
  if (parts.size() > 3 || !std::all_of(parts.begin(), parts.end(), digits)) return false;
  // Minutes and seconds below 60; with days, the first field is hours (below 24).
  for (size_t i = 1; i < parts.size(); ++i)
    if (std::stol(parts[i]) > 59) return false;
  if (days && std::stol(parts[0]) > 23) return false;
  return true;
}

std::optional<std::vector<std::string>> split_words(const std::string& text, std::string* why) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r' || c == '\0') {
      *why = "a line break or NUL byte cannot go into an #SBATCH line";
      return std::nullopt;
    }
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word), word.clear(), in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) {
        *why = "a ' quote is not closed";
        return std::nullopt;
      }
      word += text.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
        word += text[j];
      }
      if (j >= text.size()) {
        *why = "a \" quote is not closed";
        return std::nullopt;
      }
      i = j;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string("/._-+=:,@%").find(c) != std::string::npos;
      }))
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shard_script_path(const std::string& folder) { return (fs::path(folder) / "shard.sbatch").string(); }
std::string merge_script_path(const std::string& folder) { return (fs::path(folder) / "merge.sbatch").string(); }

std::string shard_script(const Manifest& m, const std::string& folder, const std::vector<std::string>& command,
                         const SlurmOptions& s) {
  const std::string abs = fs::absolute(folder).lexically_normal().string();
  std::string out = "#!/bin/sh\n";
  out += "# The shards of: " + m.command_line() + "\n";
  out += "# (in " + m.directory + "), written by trainsim (docs/slurm.md). Submit it as it is with\n";
  out += "#   sbatch " + shell_quote(shard_script_path(abs)) + "\n";
  out += "# or only some shards with sbatch --array=1,3 ...; then `trainsim merge " + shell_quote(abs) +
         "` writes the outputs,\n# or says which shards or rounds are still to run (rerun the same tasks for those).\n";
  out += "#SBATCH --job-name=trainsim-" + m.command + "\n";
  out += "#SBATCH --array=0-" + std::to_string(m.shards - 1) +
         (s.array_parallelism > 0 ? "%" + std::to_string(s.array_parallelism) : "") + "\n";
  out += "#SBATCH --cpus-per-task=" + std::to_string(s.cpus_per_task) + "\n";
  out += "#SBATCH --output=" + abs + "/slurm-%A_%a.out\n";
  out += common_directives(s);
  out += "set -e\ncd " + shell_quote(m.directory) + "\n";
  out += "exec " + command_text(command) + " --shard \"$SLURM_ARRAY_TASK_ID/" + std::to_string(m.shards) + "\"\n";
  return out;
}

std::string merge_script(const Manifest& m, const std::string& folder, const std::vector<std::string>& command,
                         const SlurmOptions& s) {
  const std::string abs = fs::absolute(folder).lexically_normal().string();
  std::string out = "#!/bin/sh\n";
  out += "# The merge of: " + m.command_line() + "\n";
  out += "# submitted by trainsim after the shards (--dependency=afterany:<their job>, docs/slurm.md).\n";
  out += "#SBATCH --job-name=trainsim-merge\n#SBATCH --cpus-per-task=1\n";
  out += "#SBATCH --output=" + abs + "/slurm-merge-%j.out\n";
  out += common_directives(s);
  out += "set -e\ncd " + shell_quote(m.directory) + "\n";
  out += "exec " + command_text(command) + "\n";
  return out;
}

std::string submit(const std::string& script, const std::string& array, const std::string& after_job) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  if (!array.empty()) argv.push_back("--array=" + array);
  if (!after_job.empty()) argv.push_back("--dependency=afterany:" + after_job);
  argv.push_back(script);
  const ProgramResult r = run_program(argv);
  if (!r.started)
    throw slurm_error("sbatch is not on PATH: --slurm needs Slurm's commands on this machine (Debian: slurm-client), "
                      "and a cluster (docs/slurm.md)");
  if (r.status != 0)
    throw slurm_error("sbatch refused the job (exit " + std::to_string(r.status) + "): " + first_line(r.err + r.out));
  // --parsable: "<id>" or "<id>;<cluster>".
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (!digits(id)) throw slurm_error("sbatch printed no job id: '" + first_line(r.out) + "'");
  return id;
}

void wait_for_job(const std::string& job) {
  double delay = 0.25;
  for (;;) {
    const ProgramResult r = run_program({"squeue", "--noheader", "--jobs=" + job, "--format=%i"});
    if (!r.started) throw slurm_error("squeue is not on PATH: cannot wait for Slurm job " + job);
    // A job that left the controller's memory is "Invalid job id": it is over as well.
    if (r.status != 0 && r.err.find("Invalid job id") == std::string::npos)
      throw slurm_error("squeue failed while waiting for job " + job + ": " + first_line(r.err + r.out));
    if (r.status != 0 || r.out.find_first_not_of(" \n") == std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    delay = std::min(10.0, delay * 1.5);
  }
}

}  // namespace trainsim::scaleout
