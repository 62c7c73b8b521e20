#pragma once
// Options with one meaning in every command that has them (GUIDE decision 1), declared once.
#include <limits>
#include <optional>
#include <string>

#include "cli/args.hpp"
#include "core/limits.hpp"

namespace trainsim::cli {

// Every command that simulates: the ceiling on the host RAM a simulation may use.
inline OptionSpec host_memory_limit_option() {
  return {limits::kCeilingOption, "SIZE",
          std::string("refuse runs estimated above SIZE of host RAM (default 75% of RAM or $") + limits::kCeilingEnv +
              ")"};
}
inline std::optional<std::string> host_memory_limit(const Args& args) { return args.value(limits::kCeilingOption); }

// Seeds: the range a scenario's `seed:` accepts, so that a seed on the command line means the
// same as in a file (a negative seed is refused, not wrapped).
inline constexpr long long kMaxSeed = std::numeric_limits<long long>::max();

}  // namespace trainsim::cli
