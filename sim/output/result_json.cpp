#include "output/result_json.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace trainsim::output {
namespace {

using nlohmann::ordered_json;

ordered_json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;  // nlohmann writes the shortest representation that round-trips
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("results JSON: " + what); }

const ordered_json& field(const ordered_json& o, const char* key, const std::string& where) {
  if (!o.is_object() || !o.contains(key)) fail(where + " has no '" + key + "'");
  return o.at(key);
}

std::string text_of(const ordered_json& o, const char* key, const std::string& where) {
  const auto& v = field(o, key, where);
  if (!v.is_string()) fail(where + "." + key + " is not a string");
  return v.get<std::string>();
}

double number_of(const ordered_json& v, const std::string& where) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
  }
  fail(where + " is not a number (or \"nan\", \"inf\", \"-inf\")");
}

const ordered_json& array_of(const ordered_json& o, const char* key, const std::string& where) {
  const auto& v = field(o, key, where);
  if (!v.is_array()) fail(where + "." + key + " is not an array");
  return v;
}

}  // namespace

std::string results_to_json(const TraceData& r) {
  ordered_json doc;
  doc["format"] = kResultFormat;
  doc["version"] = kResultVersion;
  doc["metrics"] = ordered_json::array();
  for (const auto& m : r.summary)
    doc["metrics"].push_back(ordered_json{{"name", m.name}, {"value", number(m.value)}, {"unit", m.unit}});
  doc["texts"] = ordered_json::array();
  for (const auto& t : r.summary_text) doc["texts"].push_back(ordered_json{{"name", t.name}, {"value", t.value}});
  doc["tables"] = ordered_json::array();
  for (const auto& t : r.tables) {
    ordered_json table{{"name", t.name}, {"numeric", ordered_json::array()}, {"text", ordered_json::array()}};
    for (size_t c = 0; c < t.numeric_names.size(); ++c) {
      ordered_json values = ordered_json::array();
      for (double v : t.numeric_columns.at(c)) values.push_back(number(v));
      table["numeric"].push_back(ordered_json{{"name", t.numeric_names[c]}, {"values", std::move(values)}});
    }
    for (size_t c = 0; c < t.text_names.size(); ++c)
      table["text"].push_back(ordered_json{{"name", t.text_names[c]}, {"values", t.text_columns.at(c)}});
    doc["tables"].push_back(std::move(table));
  }
  return doc.dump();
}

TraceData results_from_json(const std::string& text) {
  ordered_json doc;
  try {
    doc = ordered_json::parse(text);
  } catch (const ordered_json::exception& e) {
    fail(std::string("not JSON (") + e.what() + ")");
  }
  if (text_of(doc, "format", "the document") != kResultFormat) fail("format is not '" + std::string(kResultFormat) + "'");
  const auto& version = field(doc, "version", "the document");
  if (!version.is_number_integer() || version.get<int>() != kResultVersion)
    fail("version " + version.dump() + " is not " + std::to_string(kResultVersion));
  TraceData r;
  for (const auto& m : array_of(doc, "metrics", "the document")) {
    const std::string name = text_of(m, "name", "a metric");
    r.summary.push_back({name, number_of(field(m, "value", "metric " + name), "metric " + name), text_of(m, "unit", "metric " + name)});
  }
  for (const auto& t : array_of(doc, "texts", "the document")) {
    const std::string name = text_of(t, "name", "a text");
    r.summary_text.push_back({name, text_of(t, "value", "text " + name)});
  }
  for (const auto& t : array_of(doc, "tables", "the document")) {
    Table table;
    table.name = text_of(t, "name", "a table");
    const std::string where = "table " + table.name;
    size_t rows = std::numeric_limits<size_t>::max();
    auto check_rows = [&](size_t n, const std::string& column) {
      if (rows != std::numeric_limits<size_t>::max() && n != rows)
        fail(where + ": column " + column + " has " + std::to_string(n) + " rows, expected " + std::to_string(rows));
      rows = n;
    };
    for (const auto& c : array_of(t, "numeric", where)) {
      const std::string name = text_of(c, "name", where + " column");
      std::vector<double> values;
      for (const auto& v : array_of(c, "values", where + "." + name)) values.push_back(number_of(v, where + "." + name));
      check_rows(values.size(), name);
      table.numeric_names.push_back(name);
      table.numeric_columns.push_back(std::move(values));
    }
    for (const auto& c : array_of(t, "text", where)) {
      const std::string name = text_of(c, "name", where + " column");
      std::vector<std::string> values;
      for (const auto& v : array_of(c, "values", where + "." + name)) {
        if (!v.is_string()) fail(where + "." + name + " has a value that is not a string");
        values.push_back(v.get<std::string>());
      }
      check_rows(values.size(), name);
      table.text_names.push_back(name);
      table.text_columns.push_back(std::move(values));
    }
    r.tables.push_back(std::move(table));
  }
  return r;
}

double metric_value(const TraceData& r, const std::string& name) {
  for (const auto& m : r.summary)
    if (m.name == name) return m.value;
  fail("no metric '" + name + "'");
}

const std::string& text_value(const TraceData& r, const std::string& name) {
  for (const auto& t : r.summary_text)
    if (t.name == name) return t.value;
  fail("no text '" + name + "'");
}

const Table& table_named(const TraceData& r, const std::string& name) {
  for (const auto& t : r.tables)
    if (t.name == name) return t;
  fail("no table '" + name + "'");
}

const std::vector<double>& numeric_column(const Table& t, const std::string& name) {
  for (size_t c = 0; c < t.numeric_names.size(); ++c)
    if (t.numeric_names[c] == name) return t.numeric_columns.at(c);
  fail("table " + t.name + " has no numeric column '" + name + "'");
}

const std::vector<std::string>& text_column(const Table& t, const std::string& name) {
  for (size_t c = 0; c < t.text_names.size(); ++c)
    if (t.text_names[c] == name) return t.text_columns.at(c);
  fail("table " + t.name + " has no text column '" + name + "'");
}

}  // namespace trainsim::output
