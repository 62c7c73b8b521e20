#pragma once
// What `trainsim import`, `export` and `report` share: the platform a user names, output files
// written by the project's rules, and text layout for comments and messages.
#include <string>
#include <vector>

#include "platform/spec.hpp"

namespace trainsim::cli {

struct PlatformChoice {
  PlatformSpec spec;
  std::string file;        // the platform file read
  std::string as_written;  // how a scenario at `scenario_path` names it
};

// `value`: a shipped platform's bare name ("h100-400g": looked up in $TRAINSIM_PLATFORM_PATH,
// then the repository's platforms/) or a platform file path. `scenario_path`: where the
// scenario naming it will be written ("" = printed: the path is then relative to the current
// folder). Throws UsageError for an unknown name, InputError for a bad file.
PlatformChoice choose_platform(const std::string& value, const std::string& scenario_path);

// Scenario and output names: 1 to 100 letters, digits, '.', '_', '-', not starting with '.' or
// '-' (they name files). Throws UsageError.
void check_scenario_name(const std::string& name);

// Writes `text` to `path` by the rules of every output (atomic, regular files only, never over
// an existing file without `force`, missing folders created). Throws OutputError/UsageError.
void write_output_file(const std::string& path, const std::string& text, bool force);

// Creates the missing folders above `path`. Throws OutputError.
void create_parent_folders(const std::string& path);

// Refuses `path` as an output before any work: an existing file without `force`, or anything
// but a regular file. Throws UsageError.
void check_output_path(const std::string& path, bool force);

// "a, b, c"
std::string join(const std::vector<std::string>& items);

// Greedy word wrap at `width` columns (words longer than a line stay whole).
std::vector<std::string> wrap_words(const std::string& text, size_t width);

}  // namespace trainsim::cli
