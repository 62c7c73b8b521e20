// Scenario files: YAML -> Scenario (docs/scenarios.md).
#include <limits>

#include "config/job_kinds.hpp"
#include "config/loader.hpp"
#include "config/paths.hpp"
#include "config/yaml_reader.hpp"

namespace trainsim {
namespace {

// `platform: path/relative/to/scenario.yaml` or the platform map inline.
PlatformSpec parse_scenario_platform(YamlMap& root) {
  const YAML::Node& n = root.node("platform");
  if (n.IsScalar()) {
    const std::string path = resolve_relative(root.file(), n.Scalar());
    const std::string text = read_text_file(path, root.where("platform"), "platform");
    return load_platform_text(text, path);
  }
  if (!n.IsMap())
    throw root.error("platform", "expected a platform file path or a platform map, got " + describe(n));
  YamlMap p = root.get_map("platform");
  return parse_platform(p, file_stem(root.file()));
}

JobSpec parse_job(YamlMap& root, const PlatformSpec& platform) {
  YamlMap job = root.get_map("job");
  std::vector<std::string> names;
  for (const auto& k : job_kinds()) names.push_back(k.name);
  const YAML::Node& kind = job.node("kind");
  if (!kind.IsScalar())
    throw job.error("kind", "expected one of: " + join_names(names) + "; got " + describe(kind));
  for (const auto& k : job_kinds())
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

Scenario load_scenario_text(const std::string& text, const std::string& name) {
  Scenario s;
  s.file = name;
  s.text = text;
  YAML::Node doc = parse_yaml(text, name);
  if (doc.IsNull())
    throw InputError({name, 0, 0}, "", "the file is empty; expected a scenario map with the keys "
                                       "platform and job");
  YamlMap root(doc, name, "");
  s.name = root.optional_string("name", file_stem(name));
  s.seed = static_cast<uint64_t>(root.optional_int("seed", 0, 0, std::numeric_limits<long long>::max()));
  s.platform = parse_scenario_platform(root);
  s.job_at = root.where("job");
  s.job = parse_job(root, s.platform);
  if (root.has("output")) {
    YamlMap out = root.get_map("output");
    s.output.trace = out.optional_string("trace", "");
    out.finish();
  }
  root.finish();
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  return load_scenario_text(read_text_file(path), path);
}

}  // namespace trainsim
