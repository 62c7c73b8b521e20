#pragma once
// Terminal progress for long runs: a bar for countable work (runs of a sweep or a configurator
// search, simulated seconds) and timed phases for single runs. Both draw on stderr only when
// stderr is a terminal and the user did not ask for --quiet, so pipes, files and CI logs stay
// clean (stdout, which carries results, is never touched).
//
// Use (a sweep with run_isolated_all, engine/isolated.hpp):
//
//   ProgressOptions progress;
//   progress.quiet = args.flag("quiet");
//   ProgressBar bar("sweep", jobs.size(), "runs", progress);
//   auto results = run_isolated_all(jobs, parallel, &failures,
//                                   [&](size_t done, size_t) { bar.update(done); });
//   bar.finish();
//
// draws, redrawing at most every 0.1 s (and always for the last unit):
//
//   sweep [##########----------]  20/40 runs  3.1 runs/s  elapsed 6 s  left 6 s
//
// A single run reports phases instead (its simulation is one SimGrid run, with no hook for a
// fraction done):
//
//   PhaseReporter phases(progress);
//   phases.begin("simulating");   // "simulating ..."
//   ...
//   phases.begin("writing trace"); // ends the previous phase: "simulating ... 1.2 s"
//   phases.end();
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

namespace trainsim {

struct ProgressOptions {
  bool quiet = false;            // --quiet: draw nothing
  std::FILE* stream = stderr;    // where to draw
  // Whether `stream` is a terminal; unset: isatty(fileno(stream)). Tests set it.
  std::optional<bool> terminal;
  double min_redraw_s = 0.1;     // throttle: redraws closer than this are skipped
  int bar_width = 24;            // characters between the brackets
  // Wall clock in seconds; unset: std::chrono::steady_clock. Tests inject a fake clock.
  std::function<double()> clock;
};

class ProgressBar {
 public:
  // `what`: a short name shown first ("sweep"); `total`: units of work (> 0 for a bar; 0 shows
  // a count without bar or time left); `unit`: the units' name ("runs", "s simulated").
  ProgressBar(std::string what, double total, std::string unit, ProgressOptions options = {});
  ~ProgressBar();  // finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(double done);       // `done` units so far (absolute, not an increment)
  void advance(double by = 1.0);  // update(done + by)
  // Draws the final state and ends the line; later calls do nothing. Nothing is printed if the
  // bar never drew (quiet, not a terminal).
  void finish();

  bool active() const { return active_; }  // draws at all (terminal and not quiet)
  double done() const { return done_; }

  // The line drawn for a state (no carriage return), e.g.
  // "sweep [######------]  3/6 runs  1.5 runs/s  elapsed 2 s  left 2 s". Pure; for tests.
  static std::string render(const std::string& what, double done, double total, const std::string& unit,
                            double elapsed_s, int bar_width);

 private:
  void draw(bool force);
  double now() const;
  std::string what_, unit_;
  double total_;
  ProgressOptions options_;
  bool active_;
  bool finished_ = false;
  double done_ = 0, start_ = 0, last_draw_ = -1e300;
};

// "250 ms", "1.2 s", "3 min 05 s", "2 h 07 min": durations for humans.
std::string format_duration(double seconds);

class PhaseReporter {
 public:
  explicit PhaseReporter(ProgressOptions options = {});
  ~PhaseReporter();  // end()
  PhaseReporter(const PhaseReporter&) = delete;
  PhaseReporter& operator=(const PhaseReporter&) = delete;
  // Ends the current phase (if any) and starts `name`: prints "name ..." without a newline.
  void begin(const std::string& name);
  // Ends the current phase: prints its wall time and a newline.
  void end();
  bool active() const { return active_; }

 private:
  double now() const;
  ProgressOptions options_;
  bool active_;
  bool open_ = false;
  double started_ = 0;
};

}  // namespace trainsim
