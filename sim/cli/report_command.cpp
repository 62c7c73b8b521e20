// `trainsim report RESULT.h5`: one self-contained HTML page of a run, sweep or comparison
// (docs/report.md). The page is made by analysis/report.py (the plots are the analysis/
// package's, in Python) and written here, by the rules of every output.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/frontend_io.hpp"
#include "core/error.hpp"
#include "output/atomic_file.hpp"
#include "output/output_plan.hpp"
#include "output/output_error.hpp"

#ifndef TRAINSIM_ANALYSIS_DIR
#define TRAINSIM_ANALYSIS_DIR ""
#endif

extern char** environ;

namespace trainsim::cli {

namespace {

namespace fs = std::filesystem;

// The interpreter with h5py and matplotlib (Debian's), and the analysis folder: overridable for
// installs elsewhere (docs/report.md).
std::string python() {
  const char* env = std::getenv("TRAINSIM_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

std::string report_script() {
  const char* env = std::getenv("TRAINSIM_ANALYSIS_DIR");
  const std::string dir = env && *env ? env : TRAINSIM_ANALYSIS_DIR;
  const fs::path script = fs::path(dir) / "report.py";
  std::error_code ec;
  if (dir.empty() || !fs::is_regular_file(script, ec))
    throw UsageError("cannot find analysis/report.py (looked in '" + dir +
                     "'); set TRAINSIM_ANALYSIS_DIR to the repository's analysis folder");
  return script.string();
}

// Runs `argv` with its standard output into `out_fd`; returns its exit status (128 + signal
// when killed).
int run_child(const std::vector<std::string>& argv, int out_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0)
    throw UsageError("cannot run " + argv[0] + ": " + std::strerror(err) +
                     " (set TRAINSIM_PYTHON to a Python 3 with h5py and matplotlib)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw InternalError(std::string("waitpid: ") + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int report_command(const std::vector<std::string>& words) {
  std::vector<std::string> normalized;
  for (const auto& w : words) normalized.push_back(w == "-o" ? "--output" : w);
  Args args("report", "RESULT.h5 [-o FILE.html] [options]",
            "Writes one self-contained HTML page of a result: a run trace (trainsim run --trace), a configurator\n"
            "comparison (trainsim compare --output) or a DiLoCo sweep (trainsim sweep --trace). The page holds the\n"
            "summary, the plots that apply (timeline, memory, links, utilization, compare), every result table,\n"
            "the scenario and the provenance; it opens without network access (docs/report.md).",
            {{"output", "FILE.html", "the page to write (-o; default: RESULT with .html)"},
             {"force", "", "replace an existing output file"}},
            "trainsim run scenarios/tutorial/gpt-1.7b-32gpu.yaml --output-dir out --quiet\n"
            "  trainsim report out/gpt-1.7b-32gpu.trace.h5 -o out/gpt-1.7b-32gpu.html");
  args.parse(normalized);
  if (args.wants_help()) {
    std::cout << args.help();
    return exit_code::kOk;
  }
  if (args.positionals().size() != 1)
    throw UsageError("'report' needs one result file (.h5), got " + std::to_string(args.positionals().size()) +
                     " (see 'trainsim report --help')");
  const std::string result = args.positionals().front();
  std::error_code ec;
  if (!fs::is_regular_file(result, ec))
    throw InputError({result, 0, 0}, "", "no such result file; expected the .h5 file of trainsim run --trace, "
                                         "trainsim sweep --trace or trainsim compare --output");
  const std::string out = args.value("output").value_or(fs::path(result).replace_extension(".html").string());
  if (fs::exists(out, ec) && fs::equivalent(out, result, ec))
    throw UsageError("the page '" + out + "' would replace the result itself; name another with -o");
  output::OutputPlan plan(args.flag("force") ? output::Existing::Replace : output::Existing::Refuse);
  plan.add(out, "--output");
  const std::string script = report_script();
  output::AtomicOutputFile file(out, plan.existing());
  const int fd = ::open(file.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw output::OutputError(out, std::string("cannot create a file next to it: ") + std::strerror(errno));
  int status = 0;
  try {
    status = run_child({python(), script, result, "--prog", "trainsim report"}, fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (status == exit_code::kBadInput) return exit_code::kBadInput;  // the script said why, on stderr
  if (status != 0) throw InternalError("analysis/report.py failed (exit status " + std::to_string(status) + ")");
  file.commit();  // a file that appeared meanwhile is not replaced without --force
  std::cout << "report written to " << out << "\n";
  return exit_code::kOk;
}

}  // namespace trainsim::cli
