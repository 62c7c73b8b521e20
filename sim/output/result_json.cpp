#include "output/result_json.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace trainsim::output {
namespace {

using nlohmann::ordered_json;

// The writer is by hand (children and sweep points write thousands of these: building a JSON
// tree first costs more than the exact DiLoCo point it carries); so is the reader of what it
// writes (CanonicalReader), with nlohmann's parser for every other document.

// Length of the well-formed UTF-8 sequence (RFC 3629) of 2 to 4 bytes starting at p[i], 0 if
// there is none.
size_t utf8_sequence(const unsigned char* p, size_t i, size_t n) {
  const unsigned char c = p[i];
  size_t len = 0;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) len = 3;
  else if (c >= 0xF0 && c <= 0xF4) len = 4;
  bool ok = len > 0 && i + len <= n;
  for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
  if (ok && len == 3) {
    const unsigned char d = p[i + 1];
    ok = !(c == 0xE0 && d < 0xA0) && !(c == 0xED && d > 0x9F);  // overlong, surrogates
  } else if (ok && len == 4) {
    const unsigned char d = p[i + 1];
    ok = !(c == 0xF0 && d < 0x90) && !(c == 0xF4 && d > 0x8F);  // overlong, beyond U+10FFFF
  }
  return ok ? len : 0;
}

}  // namespace

// A JSON string: quotes, backslashes and control characters escaped, valid UTF-8 kept as it is,
// and each byte of an invalid sequence replaced by U+FFFD (nlohmann's `replace` rule), so that
// any text makes a document every reader accepts.
void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            static const char* hex = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t len = utf8_sequence(p, i, n);
    if (len > 0) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

namespace {

// The shortest text that reads back to the same double, always with a '.' or an exponent (so
// that -0.0 stays negative and 3.0 stays a double); NaN and infinities as strings.
void put_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "\"nan\"";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"inf\"" : "\"-inf\"";
    return;
  }
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  const std::string_view text(buffer, static_cast<size_t>(r.ptr - buffer));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
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


// The reader's fast path: the exact text results_to_json writes (its key order, no spaces; only
// \u00XX escapes), read without building a JSON tree. Anything else — another order, spaces,
// other escapes, a mistake — returns nullopt and goes to the general reader below, which gives
// the same results for every document the fast path reads, and the messages for the others.
class CanonicalReader {
 public:
  explicit CanonicalReader(const std::string& text)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), n_(text.size()) {}

  std::optional<TraceData> read() {
    TraceData r;
    if (!literal("{\"format\":\"trainsim-result\",\"version\":1,\"metrics\":[")) return std::nullopt;
    if (!list([&] {
          SummaryValue m;
          if (!literal("{\"name\":") || !string(m.name) || !literal(",\"value\":") || !number(m.value) ||
              !literal(",\"unit\":") || !string(m.unit) || !literal("}"))
            return false;
          r.summary.push_back(std::move(m));
          return true;
        }) || !literal(",\"texts\":["))
      return std::nullopt;
    if (!list([&] {
          SummaryText t;
          if (!literal("{\"name\":") || !string(t.name) || !literal(",\"value\":") || !string(t.value) || !literal("}"))
            return false;
          r.summary_text.push_back(std::move(t));
          return true;
        }) || !literal(",\"tables\":["))
      return std::nullopt;
    if (!list([&] { return table(r); }) || !literal("}")) return std::nullopt;
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\n' || p_[i_] == '\r' || p_[i_] == '\t')) ++i_;
    if (i_ != n_) return std::nullopt;
    return r;
  }

 private:
  bool literal(std::string_view s) {
    if (n_ - i_ < s.size() || std::memcmp(p_ + i_, s.data(), s.size()) != 0) return false;
    i_ += s.size();
    return true;
  }
  // Items separated by commas up to the closing ']' (the '[' is read).
  template <class Item>
  bool list(const Item& item) {
    if (literal("]")) return true;
    do {
      if (!item()) return false;
    } while (literal(","));
    return literal("]");
  }
  bool string(std::string& out) {
    if (!literal("\"")) return false;
    while (i_ < n_) {
      const unsigned char c = p_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ + 1 >= n_) return false;
        const unsigned char e = p_[i_ + 1];
        i_ += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            if (n_ - i_ < 4 || p_[i_] != '0' || p_[i_ + 1] != '0') return false;  // only \u00XX here
            int v = 0;
            for (size_t k = 2; k < 4; ++k) {
              const unsigned char h = p_[i_ + k];
              v = v * 16 + (h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                                   : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1000);
            }
            if (v < 0 || v >= 0x80) return false;
            out += static_cast<char>(v);
            i_ += 4;
            break;
          }
          default: return false;
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++i_;
        continue;
      }
      const size_t len = utf8_sequence(p_, i_, n_);
      if (len == 0) return false;
      out.append(reinterpret_cast<const char*>(p_ + i_), len);
      i_ += len;
    }
    return false;
  }
  // A JSON number (its grammar checked, then read correctly rounded) or "nan", "inf", "-inf".
  bool number(double& v) {
    if (literal("\"nan\"")) return v = std::numeric_limits<double>::quiet_NaN(), true;
    if (literal("\"inf\"")) return v = std::numeric_limits<double>::infinity(), true;
    if (literal("\"-inf\"")) return v = -std::numeric_limits<double>::infinity(), true;
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9') ++i_;
      return i_ > from;
    };
    if (i_ < n_ && p_[i_] == '-') ++i_;
    if (i_ < n_ && p_[i_] == '0') ++i_;
    else if (!digits()) return false;
    if (i_ < n_ && p_[i_] == '.' && (++i_, !digits())) return false;
    if (i_ < n_ && (p_[i_] == 'e' || p_[i_] == 'E')) {
      ++i_;
      if (i_ < n_ && (p_[i_] == '+' || p_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    const char* first = reinterpret_cast<const char*>(p_ + start);
    const char* last = reinterpret_cast<const char*>(p_ + i_);
    // An integer is read by the general reader as one: "-0" is +0.0 there.
    if (std::string_view(first, static_cast<size_t>(last - first)).find_first_of(".eE") == std::string_view::npos &&
        *first == '-' && first[1] == '0')
      return false;
    const auto r = std::from_chars(first, last, v);
    return r.ec == std::errc() && r.ptr == last;
  }
  bool table(TraceData& r) {
    Table t;
    size_t rows = std::numeric_limits<size_t>::max();
    auto same_rows = [&rows](size_t n) {
      if (rows != std::numeric_limits<size_t>::max() && n != rows) return false;
      rows = n;
      return true;
    };
    if (!literal("{\"name\":") || !string(t.name) || !literal(",\"numeric\":[")) return false;
    if (!list([&] {
          std::string name;
          std::vector<double> values;
          if (!literal("{\"name\":") || !string(name) || !literal(",\"values\":[")) return false;
          if (!list([&] {
                double v = 0;
                if (!number(v)) return false;
                values.push_back(v);
                return true;
              }) ||
              !literal("}") || !same_rows(values.size()))
            return false;
          t.numeric_names.push_back(std::move(name));
          t.numeric_columns.push_back(std::move(values));
          return true;
        }) ||
        !literal(",\"text\":["))
      return false;
    if (!list([&] {
          std::string name;
          std::vector<std::string> values;
          if (!literal("{\"name\":") || !string(name) || !literal(",\"values\":[")) return false;
          if (!list([&] {
                std::string v;
                if (!string(v)) return false;
                values.push_back(std::move(v));
                return true;
              }) ||
              !literal("}") || !same_rows(values.size()))
            return false;
          t.text_names.push_back(std::move(name));
          t.text_columns.push_back(std::move(values));
          return true;
        }) ||
        !literal("}"))
      return false;
    r.tables.push_back(std::move(t));
    return true;
  }

  const unsigned char* p_;
  size_t n_, i_ = 0;
};

}  // namespace

std::string results_to_json(const TraceData& r) {
  std::string out;
  out.reserve(256);
  out += "{\"format\":";
  append_json_string(out, kResultFormat);
  out += ",\"version\":" + std::to_string(kResultVersion) + ",\"metrics\":[";
  for (size_t i = 0; i < r.summary.size(); ++i) {
    const auto& m = r.summary[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    append_json_string(out, m.name);
    out += ",\"value\":";
    put_number(out, m.value);
    out += ",\"unit\":";
    append_json_string(out, m.unit);
    out += '}';
  }
  out += "],\"texts\":[";
  for (size_t i = 0; i < r.summary_text.size(); ++i) {
    out += i ? ",{\"name\":" : "{\"name\":";
    append_json_string(out, r.summary_text[i].name);
    out += ",\"value\":";
    append_json_string(out, r.summary_text[i].value);
    out += '}';
  }
  out += "],\"tables\":[";
  for (size_t t = 0; t < r.tables.size(); ++t) {
    const Table& table = r.tables[t];
    out += t ? ",{\"name\":" : "{\"name\":";
    append_json_string(out, table.name);
    out += ",\"numeric\":[";
    for (size_t c = 0; c < table.numeric_names.size(); ++c) {
      out += c ? ",{\"name\":" : "{\"name\":";
      append_json_string(out, table.numeric_names[c]);
      out += ",\"values\":[";
      const auto& values = table.numeric_columns.at(c);
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        put_number(out, values[i]);
      }
      out += "]}";
    }
    out += "],\"text\":[";
    for (size_t c = 0; c < table.text_names.size(); ++c) {
      out += c ? ",{\"name\":" : "{\"name\":";
      append_json_string(out, table.text_names[c]);
      out += ",\"values\":[";
      const auto& values = table.text_columns.at(c);
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, values[i]);
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

TraceData results_from_json(const std::string& text) {
  if (auto fast = CanonicalReader(text).read()) return std::move(*fast);
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
