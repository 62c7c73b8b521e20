#pragma once
// Loading platform and scenario files into plain values (formats: docs/platforms.md and
// docs/scenarios.md). Every problem is an InputError naming file, line, column and key.
// Relative paths inside a file (platform, measured matrix) are resolved against the
// directory of the file that names them; the `_text` variants resolve them against the
// directory part of `name`.
#include <string>
#include <vector>

#include "config/job_kinds.hpp"
#include "platform/spec.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

class YamlMap;
struct Override;

// Platform file: a map with the single key `platform:`.
PlatformSpec load_platform_file(const std::string& path);
PlatformSpec load_platform_text(const std::string& text, const std::string& name);

// Scenario file: name, seed, platform (path or inline map), job, output; the job read by the
// parser of its kind among `kinds`, with `overrides` applied first (config/overrides.hpp). The
// registered kinds are the registry's: jobs/load.hpp loads with them, and is what commands use.
Scenario load_scenario(const std::string& text, const std::string& name, const std::vector<Override>& overrides,
                       const JobParsers& kinds);
Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides, const JobParsers& kinds);

// The body of a `platform:` map (shared by platform files and inline scenario platforms).
// `default_name` names the platform when the map has no `name:`.
PlatformSpec parse_platform(YamlMap& platform, const std::string& default_name);

// Why `name` cannot name a scenario (it names output files: 1 to 100 letters, digits, '.', '_',
// '-', not starting with '.' or '-'), or "" when it can.
std::string scenario_name_problem(const std::string& name);

// Most GPUs a platform may have; larger inputs are refused as almost certainly mistaken.
inline constexpr long long kMaxPlatformGpus = 1048576;

}  // namespace trainsim
