#pragma once
// Strict reading of YAML input. Every mistake becomes an InputError that names the file,
// the 1-based line and column of the offending value (or of the enclosing map when a key is
// missing), the dotted key path (`platform.clusters[0].nic.bandwidth`), what was expected and
// what was found. Unknown keys are errors with a nearest-key suggestion: a typo must never be
// silently ignored, because a simulator that quietly drops `bandwidht: 1Gbps` gives a
// plausible-looking wrong answer.
//
// Usage (one YamlMap per YAML mapping; call finish() once every key has been read):
//   YamlMap nic = cluster.get_map("nic");
//   spec.count = nic.optional_int("count", 1, 1, 64);
//   spec.bandwidth = nic.get_quantity("bandwidth", units::Kind::Bandwidth, Bound::Positive);
//   nic.finish();   // "unknown key 'bandwidht' (did you mean 'bandwidth'?)"
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim {

// Sign constraint on a quantity or number.
enum class Bound { Any, NonNegative, Positive };

// Reads a whole file. When it cannot be read, throws an InputError at `from` under `key`
// (the place that named the file), or at the file itself when `from` is empty.
std::string read_text_file(const std::string& path, const SourceLocation& from = {},
                           const std::string& key = "");

// Parses one YAML document (JSON is YAML too) after the checks of config/yaml_scan.hpp (text
// only, size and nesting limits, unsupported YAML features, syntax errors in the user's terms,
// one document). `root_keys`: the keys the top-level map may have, refused before any value is
// built (empty: left to YamlMap::finish()). Empty text gives a Null node.
YAML::Node parse_yaml(const std::string& text, const std::string& file, const std::vector<std::string>& root_keys = {});

// 1-based location of a node in `file` (line/column 0 when the node has no mark).
SourceLocation location_of(const YAML::Node& node, const std::string& file);

// What a node is, for "got ..." in messages: `a list`, `a map`, `nothing`, `"abc"`, `12`.
std::string describe(const YAML::Node& node);

// One character for messages: "'x'", "a space", "a tab", "a non-ASCII character", "byte 0x07".
std::string describe_char(char c);

// "did you mean 'x'?" for the candidate nearest to `word` by edit distance, or "" when none
// is close enough (distance <= max(2, |word| / 3) and < |word|).
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join_names(const std::vector<std::string>& names);

// An InputError at `node`, for elements of lists read through YamlMap::node().
InputError node_error(const YAML::Node& node, const std::string& file, const std::string& key_path,
                      const std::string& message);

// Scalar readers for list elements and raw nodes; `key_path` is used in the error.
std::string scalar_string(const YAML::Node& node, const std::string& file, const std::string& key_path);
long long scalar_int(const YAML::Node& node, const std::string& file, const std::string& key_path,
                     long long min, long long max);

class YamlMap {
 public:
  // `node` must be a map (InputError otherwise, under `path`). `path` is the dotted key path of
  // this map ("" for the document root). Duplicate keys are refused here.
  YamlMap(const YAML::Node& node, std::string file, std::string path);

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  std::string key_path(const std::string& key) const;  // path + "." + key
  SourceLocation location() const;                      // of the map itself
  SourceLocation where(const std::string& key) const;   // of the value, or of the map if absent
  InputError error(const std::string& key, const std::string& message) const;
  InputError error(const std::string& message) const;  // about the map as a whole

  bool has(const std::string& key) const;  // does not count as reading the key

  std::string get_string(const std::string& key);
  std::string optional_string(const std::string& key, const std::string& fallback);
  long long get_int(const std::string& key, long long min, long long max);
  long long optional_int(const std::string& key, long long fallback, long long min, long long max);
  double get_number(const std::string& key, double min, double max);
  double optional_number(const std::string& key, double fallback, double min, double max);
  bool optional_bool(const std::string& key, bool fallback);  // only `true` / `false`
  // A quantity with a unit: "200Gbps", "1.5us", "80GiB". Bare numbers are refused, and so are
  // values outside `range` (by default units::plausible(kind); 0 is outside unless `bound` is
  // NonNegative) and sizes that are not a whole number of bytes ("1.5B").
  double get_quantity(const std::string& key, units::Kind kind, Bound bound);
  double get_quantity(const std::string& key, units::Kind kind, Bound bound, const units::Range& range);
  double optional_quantity(const std::string& key, units::Kind kind, Bound bound, double fallback);
  double optional_quantity(const std::string& key, units::Kind kind, Bound bound, double fallback,
                           const units::Range& range);
  std::optional<double> maybe_quantity(const std::string& key, units::Kind kind, Bound bound);
  std::optional<double> maybe_quantity(const std::string& key, units::Kind kind, Bound bound,
                                       const units::Range& range);
  std::optional<double> maybe_number(const std::string& key, double min, double max);

  // One of a fixed set of names; the error lists them all (and suggests the nearest).
  template <class E>
  E get_enum(const std::string& key, const std::vector<std::pair<std::string, E>>& values) {
    return values[pick(key, names_of(values))].second;
  }
  template <class E>
  E optional_enum(const std::string& key, const std::vector<std::pair<std::string, E>>& values,
                  E fallback) {
    if (!has(key)) return fallback;
    return get_enum(key, values);
  }
  // A list of such names (each at most once, at least one).
  template <class E>
  std::vector<E> get_enum_list(const std::string& key,
                               const std::vector<std::pair<std::string, E>>& values) {
    std::vector<E> out;
    for (size_t i : pick_list(key, names_of(values))) out.push_back(values[i].second);
    return out;
  }

  YamlMap get_map(const std::string& key);
  std::vector<YamlMap> get_map_list(const std::string& key);  // may be empty
  std::vector<std::string> get_string_list(const std::string& key);
  std::vector<long long> get_int_list(const std::string& key, long long min, long long max);
  // The raw value (marks the key read); read it with the free helpers above.
  const YAML::Node& node(const std::string& key);

  // Refuses a key that this map accepts only in other circumstances ("nodes_per_leaf is not
  // allowed with fabric kind single_switch").
  void forbid(const std::string& key, const std::string& why) const;

  // Refuses every key that was not read: unknown key, with a suggestion among the keys this
  // map was asked about. Call it after reading everything.
  void finish() const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* find(const std::string& key) const;
  const Entry& require(const std::string& key);  // marks read; error if missing
  size_t pick(const std::string& key, const std::vector<std::string>& names);
  std::vector<size_t> pick_list(const std::string& key, const std::vector<std::string>& names);
  double check_bound(const std::string& key, double v, Bound bound, const char* what,
                     const std::string& text) const;
  template <class E>
  static std::vector<std::string> names_of(const std::vector<std::pair<std::string, E>>& values) {
    std::vector<std::string> names;
    for (const auto& v : values) names.push_back(v.first);
    return names;
  }

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::vector<Entry> entries_;
  std::vector<bool> read_;
  mutable std::vector<std::string> asked_;  // every key asked about, for suggestions
};

}  // namespace trainsim
