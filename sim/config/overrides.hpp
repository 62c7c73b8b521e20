#pragma once
// Overrides: values put into a scenario's YAML (or into the platform file it names) before it is
// read, so that each is checked exactly like the file (trainsim batch's grids, docs/slurm.md).
// A path is the key path the loaders print: `job.parallelism.dp`, `seed`,
// `platform.clusters[0].nic.bandwidth`. `platform.*` goes into the platform file when the
// scenario names one. A missing map key is added (maps on the way are created); a list index
// must exist. An error in an overridden value is reported where the value was written (the
// grid's file, line and column); any other error of a run with overrides names them.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "scenario/scenario.hpp"

namespace trainsim {

struct Override {
  std::string path;
  YAML::Node value;     // a node of the source's document: its marks locate errors there
  std::string source;   // the file the value comes from (its errors' file name)
  SourceLocation at;    // of the path (the grid's key)
  std::string text() const;  // "job.parallelism.dp=4"
};

// Checks the syntax of a key path (names separated by '.', each followed by any [index]);
// "" if fine, otherwise what is wrong.
std::string override_path_problem(const std::string& path);

// Whether two paths overlap (one is the other or inside it): a grid may not set both, since the
// second would write into the first's value.
bool override_paths_overlap(const std::string& a, const std::string& b);

// For the loaders: puts `overrides` into the parsed document `doc` of `file` (InputError at the
// override when its path cannot be followed there: a list index out of range, a key under a
// value that is not a map).
void apply_overrides(YAML::Node& doc, const std::vector<Override>& overrides, const std::string& file);
// Runs `load` (of `file` with `overrides`); an InputError under an overridden path moves to where
// the value was written, any other one names the run's overrides.
Scenario with_overrides_named(const std::string& file, const std::vector<Override>& overrides,
                              const std::function<Scenario()>& load);

// A platform document (the map with the key `platform:`) already parsed (config/loader.hpp's
// load_platform_text reads it from text).
PlatformSpec load_platform_doc(const YAML::Node& root, const std::string& name);

}  // namespace trainsim
