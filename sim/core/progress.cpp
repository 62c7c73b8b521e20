#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace trainsim {
namespace {

bool draws(const ProgressOptions& o) {
  if (o.quiet || o.stream == nullptr) return false;
  return o.terminal ? *o.terminal : ::isatty(::fileno(o.stream)) == 1;
}

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// A count without trailing zeros: "12", "0.35".
std::string amount(double v) {
  char buf[32];
  if (std::fabs(v - std::round(v)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

std::string format_duration(double s) {
  char buf[48];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 1) std::snprintf(buf, sizeof buf, "%.0f ms", s * 1e3);
  else if (s < 10) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%d min %02d s", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%d h %02d min", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

ProgressBar::ProgressBar(std::string what, double total, std::string unit, ProgressOptions options)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), options_(std::move(options)),
      active_(draws(options_)) {
  start_ = now();
}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::now() const { return options_.clock ? options_.clock() : steady_seconds(); }

std::string ProgressBar::render(const std::string& what, double done, double total, const std::string& unit,
                                double elapsed_s, int bar_width) {
  std::string line = what;
  if (total > 0) {
    const double fraction = std::clamp(done / total, 0.0, 1.0);
    const int filled = static_cast<int>(std::floor(fraction * bar_width + 1e-9));
    line += " [" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]  " + amount(done) + "/" +
            amount(total) + " " + unit;
  } else {
    line += "  " + amount(done) + " " + unit;
  }
  // Rate and time left from the average so far: simple, and stable for jobs of similar size
  // (a sweep's runs), which is what this bar is for.
  if (elapsed_s > 0 && done > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "  %.3g %s/s", done / elapsed_s, unit.c_str());
    line += buf;
  }
  line += "  elapsed " + format_duration(elapsed_s);
  if (total > 0 && done > 0 && done < total) line += "  left " + format_duration((total - done) * elapsed_s / done);
  return line;
}

void ProgressBar::update(double done) {
  done_ = done;
  draw(total_ > 0 && done_ >= total_);
}

void ProgressBar::advance(double by) { update(done_ + by); }

void ProgressBar::draw(bool force) {
  if (!active_ || finished_) return;
  const double t = now();
  if (!force && t - last_draw_ < options_.min_redraw_s) return;
  last_draw_ = t;
  // Carriage return and erase-to-end-of-line: the bar redraws in place.
  std::fprintf(options_.stream, "\r%s\033[K",
               render(what_, done_, total_, unit_, t - start_, options_.bar_width).c_str());
  std::fflush(options_.stream);
}

void ProgressBar::finish() {
  if (finished_) return;
  if (active_) {
    draw(true);
    std::fputc('\n', options_.stream);
    std::fflush(options_.stream);
  }
  finished_ = true;
}

PhaseReporter::PhaseReporter(ProgressOptions options) : options_(std::move(options)), active_(draws(options_)) {}

PhaseReporter::~PhaseReporter() { end(); }

double PhaseReporter::now() const { return options_.clock ? options_.clock() : steady_seconds(); }

void PhaseReporter::begin(const std::string& name) {
  end();
  if (!active_) return;
  std::fprintf(options_.stream, "%s ...", name.c_str());
  std::fflush(options_.stream);
  open_ = true;
  started_ = now();
}

void PhaseReporter::end() {
  if (!open_) return;
  std::fprintf(options_.stream, " %s\n", format_duration(now() - started_).c_str());
  std::fflush(options_.stream);
  open_ = false;
}

}  // namespace trainsim
