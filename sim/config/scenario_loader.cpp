// Scenario files: YAML -> Scenario (docs/scenarios.md).
#include <cctype>
#include <cstdio>
#include <limits>

#include "config/job_kinds.hpp"
#include "config/loader.hpp"
#include "config/overrides.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"

namespace trainsim {
namespace {

// `platform: h100-400g` (a shipped platform, on the search path), `platform:
// path/relative/to/scenario.yaml`, or the platform map inline.
// `file_overrides`: overrides of `platform.*` for a platform named by file (config/overrides.hpp).
PlatformSpec parse_scenario_platform(YamlMap& root, const std::vector<Override>& file_overrides) {
  const YAML::Node& n = root.node("platform");
  // A named platform file, with the overrides of `platform.*` applied to its document.
  auto load = [&file_overrides](const std::string& text, const std::string& path) {
    if (file_overrides.empty()) return load_platform_text(text, path);
    YAML::Node doc = parse_yaml(text, path, {"platform"});
    apply_overrides(doc, file_overrides, path);
    return load_platform_doc(doc, path);
  };
  if (n.IsScalar()) {
    const std::string& value = n.Scalar();
    if (is_bare_platform_name(value)) {
      const std::string path = find_platform_file(value, root.where("platform"), "platform");
      return load(read_text_file(path, root.where("platform"), "platform"), path);
    }
    const std::string path = resolve_relative(root.file(), value);
    // A copied scenario keeps a relative path that no longer leads anywhere: point at the
    // shipped platform of that name when there is one.
    const std::string stem = file_stem(value);
    const std::string hint = shipped_platform(stem).empty()
                                 ? ""
                                 : "; the shipped platform '" + stem + "' can be named as `platform: " + stem + "`";
    return load(read_named_file(root.file(), value, root.where("platform"), "platform", "platform file", hint), path);
  }
  if (!n.IsMap())
    throw root.error("platform", "expected a shipped platform's name, a platform file path or a platform map, got " + describe(n));
  YamlMap p = root.get_map("platform");
  return parse_platform(p, file_stem(root.file()));
}

// The scenario name becomes part of output file names (`--output-dir`'s <name>.trace.h5,
// configure's <name>-<method>-K.yaml, compare's <name>-compare.h5), so it must be a portable
// file name: a slash would escape the output folder, a leading dot hide the file, a leading dash
// read as an option.
constexpr size_t kMaxNameLength = 100;

}  // namespace

std::string scenario_name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxNameLength)
    return "is " + std::to_string(name.size()) + " characters long (at most " + std::to_string(kMaxNameLength) + ")";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return c == '/' || c == '\\' ? "contains a path separator '" + std::string(1, c) + "'"
                                    : "contains " + describe_char(c);
  if (name[0] == '.' || name[0] == '-') return "starts with '" + std::string(1, name[0]) + "'";
  return "";
}

namespace {

std::string parse_name(YamlMap& root) {
  const std::string expected =
      "it names output files, so it must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.' or '-'";
  if (root.has("name")) {
    const std::string name = root.get_string("name");
    if (std::string why = scenario_name_problem(name); !why.empty())
      throw root.error("name", "the scenario name " + why + "; " + expected);
    return name;
  }
  const std::string stem = file_stem(root.file());
  if (std::string why = scenario_name_problem(stem); !why.empty())
    throw root.error("name", "the scenario has no name and its file name '" + stem + "' " + why +
                                 "; add `name:` (" + expected + ")");
  return stem;
}

JobSpec parse_job(YamlMap& root, const PlatformSpec& platform, SourceLocation& kind_at, const JobParsers& kinds) {
  YamlMap job = root.get_map("job");
  kind_at = job.where("kind");
  std::vector<std::string> names;
  for (const auto& k : kinds) names.emplace_back(k.name);
  const YAML::Node& kind = job.node("kind");
  if (!kind.IsScalar())
    throw job.error("kind", "expected one of: " + join_names(names) + "; got " + describe(kind));
  for (const auto& k : kinds)
    if (kind.Scalar() == k.name) {
      JobSpec spec = k.parse(job, platform);
      job.finish();
      return spec;
    }
  std::string hint = did_you_mean(kind.Scalar(), names);
  throw job.error("kind", "unknown job kind " + describe(kind) + (hint.empty() ? "" : " (" + hint + ")") +
                              "; expected one of: " + join_names(names));
}

}  // namespace

Scenario load_scenario(const std::string& text, const std::string& name, const std::vector<Override>& overrides,
                       const JobParsers& kinds) {
  Scenario s;
  s.file = name;
  s.text = text;
  // The top-level keys, refused before any value is built (a huge unknown key costs nothing).
  YAML::Node doc = parse_yaml(text, name, {"name", "seed", "platform", "job", "output"});
  // Overrides (config/overrides.hpp): `platform.*` goes into the platform file when the scenario
  // names one, everything else into the scenario's document.
  std::vector<Override> mine, platform_file;
  const bool named_platform = doc.IsMap() && doc["platform"] && doc["platform"].IsScalar();
  for (const auto& o : overrides)
    (named_platform && o.path.rfind("platform.", 0) == 0 ? platform_file : mine).push_back(o);
  if (!mine.empty()) apply_overrides(doc, mine, name);
  if (doc.IsNull())
    throw InputError({name, 0, 0}, "", "the file is empty; expected a scenario map with the keys "
                                       "platform and job");
  YamlMap root(doc, name, "");
  s.name = parse_name(root);
  s.seed = static_cast<uint64_t>(root.optional_int("seed", 0, 0, std::numeric_limits<long long>::max()));
  s.platform = parse_scenario_platform(root, platform_file);
  if (const YAML::Node& p = root.node("platform"); p.IsScalar() && is_bare_platform_name(p.Scalar()))
    s.platform_name = p.Scalar();
  s.job_at = root.where("job");
  s.job = parse_job(root, s.platform, s.kind_at, kinds);
  if (root.has("output")) {
    YamlMap out = root.get_map("output");
    s.output.trace = out.optional_string("trace", "");
    out.finish();
  }
  root.finish();
  return s;
}

Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides, const JobParsers& kinds) {
  return with_overrides_named(path, overrides,
                              [&] { return load_scenario(read_text_file(path), path, overrides, kinds); });
}

}  // namespace trainsim
