#include "core/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim::limits {

double message_size_count(double min_bytes, double max_bytes, double factor) {
  if (factor <= 1 || max_bytes <= min_bytes) return 1;
  return std::floor(std::log(max_bytes / min_bytes) / std::log(factor) + 1e-9) + 1;
}

MemoryEstimate estimate_memory(const RunSize& size) {
  MemoryEstimate e;
  e.size = size;
  e.bytes = kBaseBytes + kBytesPerPlatformGpu * size.platform_gpus + kBytesPerActor * size.actors +
            kBytesPerActivity * size.activities;
  return e;
}

double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
}

double memory_ceiling(const std::optional<std::string>& option) {
  // Errors are located at the command line ("trainsim: error: key '--host-memory-limit': ...").
  const SourceLocation command{"trainsim", 0, 0};
  auto parse = [&](const std::string& text, const std::string& source) {
    auto v = units::parse(units::Kind::Size, text, nullptr);
    if (!v || !(*v > 0) || !std::isfinite(*v))
      throw InputError(command, source,
                       "expected a positive size with a unit (such as 8GiB; units: " +
                           units::accepted_units(units::Kind::Size) + "), got '" + text + "'");
    return *v;
  };
  if (const char* retired = std::getenv(kRetiredCeilingEnv); retired && *retired && !std::getenv(kCeilingEnv))
    throw InputError(command, kRetiredCeilingEnv,
                     std::string("this environment variable was renamed; set ") + kCeilingEnv +
                         " (the host RAM a simulation may use) instead, or unset it");
  if (option) return parse(*option, std::string("--") + kCeilingOption);
  if (const char* env = std::getenv(kCeilingEnv); env && *env) return parse(env, kCeilingEnv);
  const double physical = physical_memory_bytes();
  // Unknown physical memory: no ceiling rather than a made-up one.
  return physical > 0 ? kDefaultCeilingFraction * physical : HUGE_VAL;
}

void check_memory(const MemoryEstimate& e, double ceiling, const SourceLocation& where, const std::string& key) {
  if (e.bytes <= ceiling) return;
  auto count = [](double v) { return std::to_string(static_cast<long long>(v)); };
  throw InputError(where, key,
                   "the run needs an estimated " + units::format_size(e.bytes) + " of memory (" +
                       count(e.size.platform_gpus) + " platform GPUs, " + count(e.size.actors) + " simulated GPUs, " +
                       count(e.size.activities) + " trace rows), above the limit of " + units::format_size(ceiling) +
                       "; simulate fewer GPUs, drop the trace, or raise the limit with --" + kCeilingOption + " or " +
                       kCeilingEnv);
}

}  // namespace trainsim::limits
