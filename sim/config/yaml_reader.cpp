#include "config/yaml_reader.hpp"

#include "config/yaml_scan.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trainsim {
namespace {

bool is_quoted(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "!"; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string with_hint(const std::string& message, const std::string& hint) {
  return hint.empty() ? message : message + " (" + hint + ")";
}

}  // namespace

std::string read_text_file(const std::string& path, const SourceLocation& from,
                           const std::string& key) {
  namespace fs = std::filesystem;
  const bool named_elsewhere = !from.file.empty();
  const SourceLocation at = named_elsewhere ? from : SourceLocation{path, 0, 0};
  const std::string prefix = named_elsewhere ? "cannot read file '" + path + "': " : "cannot read file: ";
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(at, key, prefix + "no such file");
  if (fs::is_directory(path, ec)) throw InputError(at, key, prefix + "it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(at, key, prefix + "it cannot be opened");
  // At most one byte past the limit is read: /dev/zero or a huge file is refused in
  // milliseconds rather than read into memory.
  std::string text(kMaxInputBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) throw InputError(at, key, prefix + "reading it failed");
  if (text.size() > kMaxInputBytes)
    throw InputError(at, key, prefix + "it is larger than " + std::to_string(kMaxInputBytes >> 20) +
                                  " MiB, the limit for input files");
  return text;
}

YAML::Node parse_yaml(const std::string& text, const std::string& file, const std::vector<std::string>& root_keys) {
  // The cheap first pass refuses what yaml-cpp would misread, hang on or build too slowly
  // (config/yaml_scan.hpp); it also guarantees exactly one document.
  scan_yaml(text, file, root_keys);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // Not expected after the scan; reported as the scan would.
    throw InputError({file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1}, "",
                     "YAML syntax error: " + e.msg);
  }
}

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  const YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return SourceLocation{file, 0, 0};
  return SourceLocation{file, m.line + 1, m.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: break;
  }
  const std::string quoted = "\"" + node.Scalar() + "\"";
  return is_quoted(node) ? "the string " + quoted : quoted;
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (c == '\t') return "a tab";
  if (u >= 0x80) return "a non-ASCII character";
  if (std::isprint(u)) return "'" + std::string(1, c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", u);
  return buf;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  // Edit distance is quadratic: a pasted paragraph is not a typo of a key name.
  if (word.size() > 64) return "";
  const std::string w = lower(word);
  // At most a third of the word may change (at least 2 edits allowed), and never all of it:
  // suggesting 'a' for 'c' helps nobody.
  const size_t limit = std::min(std::max<size_t>(2, w.size() / 3), w.empty() ? 0 : w.size() - 1);
  const std::string* best = nullptr;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(w, lower(c));
    if (d < best_d) best_d = d, best = &c;
  }
  return best ? "did you mean '" + *best + "'?" : "";
}

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

InputError node_error(const YAML::Node& node, const std::string& file, const std::string& key_path,
                      const std::string& message) {
  return InputError(location_of(node, file), key_path, message);
}

std::string scalar_string(const YAML::Node& node, const std::string& file,
                          const std::string& key_path) {
  if (!node.IsScalar()) throw node_error(node, file, key_path, "expected a string, got " + describe(node));
  return node.Scalar();
}

long long scalar_int(const YAML::Node& node, const std::string& file, const std::string& key_path,
                     long long min, long long max) {
  const std::string range = " between " + std::to_string(min) + " and " + std::to_string(max);
  if (!node.IsScalar() || is_quoted(node))
    throw node_error(node, file, key_path, "expected an integer" + range + ", got " + describe(node));
  const std::string& s = node.Scalar();
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])))
    throw node_error(node, file, key_path, "expected an integer" + range + ", got " + describe(node));
  if (errno == ERANGE || v < min || v > max)
    throw node_error(node, file, key_path, "expected an integer" + range + ", got " + s);
  return v;
}

// ---------------------------------------------------------------------------------------------

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap())
    throw InputError(location_of(node_, file_), path_, "expected a map, got " + describe(node_));
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar())
      throw node_error(it->first, file_, path_, "keys must be plain names, got " + describe(it->first));
    const std::string key = it->first.Scalar();
    for (const auto& e : entries_)
      if (e.key == key)
        throw InputError(location_of(it->first, file_), key_path(key),
                         "duplicate key '" + key + "' (first given at line " +
                             std::to_string(location_of(e.key_node, file_).line) + ")");
    entries_.push_back({key, it->first, it->second});
  }
  read_.assign(entries_.size(), false);
}

std::string YamlMap::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

SourceLocation YamlMap::location() const { return location_of(node_, file_); }

const YamlMap::Entry* YamlMap::find(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

SourceLocation YamlMap::where(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return location();
  // An empty value has no position of its own (yaml-cpp marks the next token): use the key's.
  if (e->value.IsNull()) return location_of(e->key_node, file_);
  return location_of(e->value, file_);
}

InputError YamlMap::error(const std::string& key, const std::string& message) const {
  return InputError(where(key), key_path(key), message);
}

InputError YamlMap::error(const std::string& message) const {
  return InputError(location(), path_, message);
}

bool YamlMap::has(const std::string& key) const {
  asked_.push_back(key);
  return find(key) != nullptr;
}

const YamlMap::Entry& YamlMap::require(const std::string& key) {
  asked_.push_back(key);
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].key == key) {
      read_[i] = true;
      return entries_[i];
    }
  // The usual cause is a typo; point at it rather than at the map.
  for (size_t i = 0; i < entries_.size(); ++i)
    if (!read_[i] && !did_you_mean(entries_[i].key, {key}).empty())
      throw InputError(location_of(entries_[i].key_node, file_), key_path(key),
                       "required key is missing; is '" + entries_[i].key + "' a misspelling of it?");
  throw InputError(location(), key_path(key), "required key is missing");
}

const YAML::Node& YamlMap::node(const std::string& key) { return require(key).value; }

std::string YamlMap::get_string(const std::string& key) {
  const Entry& e = require(key);
  if (!e.value.IsScalar()) throw error(key, "expected a string, got " + describe(e.value));
  return e.value.Scalar();
}

std::string YamlMap::optional_string(const std::string& key, const std::string& fallback) {
  return has(key) ? get_string(key) : fallback;
}

long long YamlMap::get_int(const std::string& key, long long min, long long max) {
  const Entry& e = require(key);
  if (e.value.IsNull())
    throw error(key, "expected an integer between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", got nothing");
  return scalar_int(e.value, file_, key_path(key), min, max);
}

long long YamlMap::optional_int(const std::string& key, long long fallback, long long min,
                                long long max) {
  return has(key) ? get_int(key, min, max) : fallback;
}

double YamlMap::get_number(const std::string& key, double min, double max) {
  const Entry& e = require(key);
  std::ostringstream range;
  range << " between " << min << " and " << max;
  const std::string expect = "expected a number" + range.str() + ", got ";
  if (!e.value.IsScalar() || is_quoted(e.value)) throw error(key, expect + describe(e.value));
  const std::string& s = e.value.Scalar();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || std::isspace(static_cast<unsigned char>(s[0])) ||
      !std::isfinite(v))
    throw error(key, expect + describe(e.value));
  if (v < min || v > max) throw error(key, expect + s);
  return v;
}

double YamlMap::optional_number(const std::string& key, double fallback, double min, double max) {
  return has(key) ? get_number(key, min, max) : fallback;
}

std::optional<double> YamlMap::maybe_number(const std::string& key, double min, double max) {
  if (!has(key)) return std::nullopt;
  return get_number(key, min, max);
}

bool YamlMap::optional_bool(const std::string& key, bool fallback) {
  if (!has(key)) return fallback;
  const Entry& e = require(key);
  if (e.value.IsScalar() && !is_quoted(e.value)) {
    if (e.value.Scalar() == "true") return true;
    if (e.value.Scalar() == "false") return false;
  }
  throw error(key, "expected true or false, got " + describe(e.value));
}

double YamlMap::check_bound(const std::string& key, double v, Bound bound, const char* what,
                            const std::string& text) const {
  if (bound == Bound::Positive && !(v > 0))
    throw error(key, std::string("expected a positive ") + what + ", got \"" + text + "\"");
  if (bound == Bound::NonNegative && !(v >= 0))
    throw error(key, std::string("expected a non-negative ") + what + ", got \"" + text + "\"");
  return v;
}

double YamlMap::get_quantity(const std::string& key, units::Kind kind, Bound bound) {
  return get_quantity(key, kind, bound, units::plausible(kind));
}

double YamlMap::get_quantity(const std::string& key, units::Kind kind, Bound bound, const units::Range& range) {
  const Entry& e = require(key);
  if (!e.value.IsScalar())
    throw error(key, std::string("expected a ") + units::kind_name(kind) + " with a unit (one of: " +
                         units::accepted_units(kind) + "), got " + describe(e.value));
  std::string why;
  const std::string& text = e.value.Scalar();
  auto v = units::parse(kind, text, &why);
  if (!v) throw error(key, why);
  check_bound(key, *v, bound, units::kind_name(kind), text);
  if (*v == 0) return 0;  // allowed by a NonNegative bound
  const std::string zero = bound == Bound::NonNegative ? " (or 0)" : "";
  if (*v < range.min || *v > range.max)
    throw error(key, std::string("expected a ") + units::kind_name(kind) + " from " + range.text + zero +
                         ", got \"" + text + "\"; a value beyond that range is almost certainly a typo");
  if (kind == units::Kind::Size && *v != std::floor(*v))
    throw error(key, "expected a whole number of bytes, got \"" + text + "\" (" + units::format_significant(*v) +
                         " bytes)");
  return *v;
}

double YamlMap::optional_quantity(const std::string& key, units::Kind kind, Bound bound, double fallback) {
  return has(key) ? get_quantity(key, kind, bound) : fallback;
}

double YamlMap::optional_quantity(const std::string& key, units::Kind kind, Bound bound, double fallback,
                                  const units::Range& range) {
  return has(key) ? get_quantity(key, kind, bound, range) : fallback;
}

std::optional<double> YamlMap::maybe_quantity(const std::string& key, units::Kind kind, Bound bound) {
  if (!has(key)) return std::nullopt;
  return get_quantity(key, kind, bound);
}

std::optional<double> YamlMap::maybe_quantity(const std::string& key, units::Kind kind, Bound bound,
                                              const units::Range& range) {
  if (!has(key)) return std::nullopt;
  return get_quantity(key, kind, bound, range);
}

size_t YamlMap::pick(const std::string& key, const std::vector<std::string>& names) {
  const Entry& e = require(key);
  const std::string expect = "expected one of: " + join_names(names) + "; got ";
  if (!e.value.IsScalar()) throw error(key, expect + describe(e.value));
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == e.value.Scalar()) return i;
  throw error(key, with_hint(expect + describe(e.value), did_you_mean(e.value.Scalar(), names)));
}

std::vector<size_t> YamlMap::pick_list(const std::string& key, const std::vector<std::string>& names) {
  const Entry& e = require(key);
  const std::string expect = "expected one of: " + join_names(names) + "; got ";
  if (!e.value.IsSequence() || e.value.size() == 0)
    throw error(key, "expected a non-empty list of: " + join_names(names) + "; got " +
                         (e.value.IsSequence() ? "an empty list" : describe(e.value)));
  std::vector<size_t> out;
  for (size_t k = 0; k < e.value.size(); ++k) {
    const YAML::Node item = e.value[k];
    const std::string item_path = key_path(key) + "[" + std::to_string(k) + "]";
    if (!item.IsScalar()) throw node_error(item, file_, item_path, expect + describe(item));
    auto it = std::find(names.begin(), names.end(), item.Scalar());
    if (it == names.end())
      throw node_error(item, file_, item_path,
                       with_hint(expect + describe(item), did_you_mean(item.Scalar(), names)));
    size_t i = static_cast<size_t>(it - names.begin());
    if (std::find(out.begin(), out.end(), i) != out.end())
      throw node_error(item, file_, item_path, "\"" + item.Scalar() + "\" is listed twice");
    out.push_back(i);
  }
  return out;
}

YamlMap YamlMap::get_map(const std::string& key) {
  const Entry& e = require(key);
  if (!e.value.IsMap()) throw error(key, "expected a map, got " + describe(e.value));
  return YamlMap(e.value, file_, key_path(key));
}

std::vector<YamlMap> YamlMap::get_map_list(const std::string& key) {
  const Entry& e = require(key);
  if (!e.value.IsSequence()) throw error(key, "expected a list of maps, got " + describe(e.value));
  std::vector<YamlMap> out;
  for (size_t i = 0; i < e.value.size(); ++i)
    out.emplace_back(e.value[i], file_, key_path(key) + "[" + std::to_string(i) + "]");
  return out;
}

std::vector<std::string> YamlMap::get_string_list(const std::string& key) {
  const Entry& e = require(key);
  if (!e.value.IsSequence()) throw error(key, "expected a list of strings, got " + describe(e.value));
  std::vector<std::string> out;
  for (size_t i = 0; i < e.value.size(); ++i)
    out.push_back(scalar_string(e.value[i], file_, key_path(key) + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<long long> YamlMap::get_int_list(const std::string& key, long long min, long long max) {
  const Entry& e = require(key);
  if (!e.value.IsSequence()) throw error(key, "expected a list of integers, got " + describe(e.value));
  std::vector<long long> out;
  for (size_t i = 0; i < e.value.size(); ++i)
    out.push_back(scalar_int(e.value[i], file_, key_path(key) + "[" + std::to_string(i) + "]", min, max));
  return out;
}

void YamlMap::forbid(const std::string& key, const std::string& why) const {
  // Not added to asked_: a forbidden key must not be suggested for a typo.
  if (find(key)) throw error(key, why);
}

void YamlMap::finish() const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (read_[i]) continue;
    const Entry& e = entries_[i];
    throw InputError(location_of(e.key_node, file_), key_path(e.key), unknown_key_message(e.key, asked_));
  }
}

}  // namespace trainsim
