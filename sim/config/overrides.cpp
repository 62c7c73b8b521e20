#include "config/overrides.hpp"

#include <cctype>

#include "config/yaml_reader.hpp"

namespace trainsim {

namespace {

// One step of a key path: a map key, or a list index.
struct Step {
  std::string key;  // "" for an index
  size_t index = 0;
};

std::vector<Step> steps_of(const std::string& path) {
  std::vector<Step> out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t end = path.find_first_of(".[", i);
    out.push_back({path.substr(i, end - i), 0});
    i = end == std::string::npos ? path.size() : end;
    while (i < path.size() && path[i] == '[') {
      const size_t close = path.find(']', i);
      out.push_back({"", std::stoul(path.substr(i + 1, close - i - 1))});
      i = close + 1;
    }
    if (i < path.size() && path[i] == '.') ++i;
  }
  return out;
}

// "job.parallelism" for the first `n` steps.
std::string prefix(const std::vector<Step>& steps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s += steps[i].key.empty() ? "[" + std::to_string(steps[i].index) + "]" : (s.empty() ? "" : ".") + steps[i].key;
  return s;
}

std::string flow_text(const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

}  // namespace

std::string Override::text() const { return path + "=" + flow_text(value); }

std::string override_path_problem(const std::string& path) {
  if (path.empty()) return "the key path is empty";
  bool name_expected = true;
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') {
      name_expected = false;
      continue;
    }
    if (c == '.' && !name_expected) {
      name_expected = true;
      continue;
    }
    if (c == '[' && !name_expected) {
      const size_t close = path.find(']', i);
      const std::string digits = close == std::string::npos ? "" : path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos)
        return "'[' must hold a list index (digits) and be closed by ']'";
      i = close;
      continue;
    }
    return "expected key names separated by '.', each followed by any [index] (e.g. platform.clusters[0].nic.bandwidth); "
           "found " + describe_char(c) + " at character " + std::to_string(i + 1);
  }
  if (name_expected) return "the key path ends with '.'";
  return "";
}

bool override_paths_overlap(const std::string& a, const std::string& b) {
  auto inside = [](const std::string& outer, const std::string& inner) {
    return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           (inner[outer.size()] == '.' || inner[outer.size()] == '[');
  };
  return a == b || inside(a, b) || inside(b, a);
}

void apply_overrides(YAML::Node& doc, const std::vector<Override>& overrides, const std::string& file) {
  if (!doc.IsMap()) return;  // the loader reports what the document is
  for (const auto& o : overrides) {
    const auto steps = steps_of(o.path);
    YAML::Node cur;
    cur.reset(doc);
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& s = steps[i];
      const bool last = i + 1 == steps.size();
      const std::string where = i == 0 ? "the top level of " + file : "'" + prefix(steps, i) + "' in " + file;
      if (!s.key.empty()) {
        if (!cur.IsMap())
          throw InputError(o.at, o.path, "cannot set key '" + s.key + "': " + where + " is " + describe(cur) +
                                             ", not a map; expected a key path the scenario can hold");
        if (last) {
          cur[s.key] = o.value;
          break;
        }
        if (!cur[s.key] || cur[s.key].IsNull()) cur[s.key] = YAML::Node(YAML::NodeType::Map);
        YAML::Node next = cur[s.key];
        cur.reset(next);
      } else {
        if (!cur.IsSequence())
          throw InputError(o.at, o.path, "cannot take element [" + std::to_string(s.index) + "]: " + where + " is " +
                                             describe(cur) + ", not a list");
        if (s.index >= cur.size())
          throw InputError(o.at, o.path, "element [" + std::to_string(s.index) + "] does not exist: " + where +
                                             " has " + std::to_string(cur.size()) + " element(s); expected an index below " +
                                             std::to_string(cur.size()));
        if (last) {
          cur[s.index] = o.value;
          break;
        }
        YAML::Node next = cur[s.index];
        cur.reset(next);
      }
    }
  }
}

Scenario with_overrides_named(const std::string& file, const std::vector<Override>& overrides,
                              const std::function<Scenario()>& load) {
  try {
    return load();
  } catch (const InputError& e) {
    if (overrides.empty()) throw;
    for (const auto& o : overrides)
      if (override_paths_overlap(o.path, e.key()) && e.key().size() >= o.path.size()) {
        // The value's nodes carry the marks of the file it was written in.
        SourceLocation at = e.where();
        at.file = o.source;
        if (at.line == 0) at = o.at;
        throw InputError(at, e.key(), e.message() + " (the grid's value for " + file + ")");
      }
    std::string set;
    for (const auto& o : overrides) set += (set.empty() ? "" : ", ") + o.text();
    throw InputError(e.where(), e.key(), e.message() + " (in the run with " + set + ")");
  }
}

}  // namespace trainsim
