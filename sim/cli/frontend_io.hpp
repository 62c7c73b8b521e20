#pragma once
// What `trainsim import`, `export` and `report` share: the platform a user names, scenario
// names, and text layout for comments.
#include <string>
#include <vector>

#include "platform/spec.hpp"

namespace trainsim::cli {

struct PlatformChoice {
  PlatformSpec spec;
  std::string file;        // the platform file read
  std::string as_written;  // how a scenario at `scenario_path` names it
};

// `value`: a shipped platform's bare name ("h100-400g", found on the platform search path,
// docs/scenarios.md) or a platform file path. A scenario names a shipped platform by its name,
// a file by its path relative to `scenario_path`'s folder ("" = printed: relative to the current
// folder). Throws UsageError for an unknown name, InputError for a bad file.
PlatformChoice choose_platform(const std::string& value, const std::string& scenario_path);

// A scenario name given on the command line (it names output files). Throws UsageError.
void check_scenario_name(const std::string& name, const std::string& option);

// "a, b, c"
std::string join(const std::vector<std::string>& items);

// Greedy word wrap at `width` columns (words longer than a line stay whole).
std::vector<std::string> wrap_words(const std::string& text, size_t width);

}  // namespace trainsim::cli
