#include "output/terminal_summary.hpp"

#include <stdexcept>

#include "core/error.hpp"
#include "core/units.hpp"
#include "output/table_printer.hpp"

namespace trainsim::output {
namespace {

[[noreturn]] void defect(const std::string& what) { throw InternalError("terminal summary: " + what); }

const SummaryValue* find_metric(const TraceData& r, const std::string& name) {
  for (const auto& v : r.summary)
    if (v.name == name) return &v;
  return nullptr;
}

const SummaryText* find_text(const TraceData& r, const std::string& name) {
  for (const auto& t : r.summary_text)
    if (t.name == name) return &t;
  return nullptr;
}

const Table& find_table(const TraceData& r, const std::string& name) {
  for (const auto& t : r.tables)
    if (t.name == name) return t;
  defect("the result has no table '" + name + "'");
}

const SummaryValue& metric(const TraceData& r, const std::string& name) {
  const SummaryValue* v = find_metric(r, name);
  if (!v) defect("the result has no metric '" + name + "'");
  return *v;
}

// Index of column `name` among `names`, or -1.
int index_of(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

// One placeholder's text: the row's column (RowLines), else the result's metric or text.
std::string placeholder(const TraceData& r, const Table* table, size_t row, const std::string& name,
                        const std::string& format) {
  auto number = [&](double value, const std::string& unit, ValueFormat fallback) {
    ValueStyle style;
    style.format = fallback;
    if (!format.empty()) {
      try {
        style = value_style(format);
      } catch (const std::invalid_argument& e) {
        defect(e.what());
      }
    }
    return format_value(value, style, unit);
  };
  auto text = [&](const std::string& value) {
    if (!format.empty()) defect("text '" + name + "' given the number format '" + format + "'");
    return value;
  };
  if (table) {
    if (int c = index_of(table->text_names, name); c >= 0) return text(table->text_columns[c].at(row));
    if (int c = index_of(table->numeric_names, name); c >= 0)
      return number(table->numeric_columns[c].at(row), "", ValueFormat::Significant);
  }
  if (const SummaryValue* v = find_metric(r, name)) return number(v->value, v->unit, ValueFormat::Unit);
  if (const SummaryText* t = find_text(r, name)) return text(t->value);
  defect("the result has no metric or text '" + name + "'" + (table ? " and table '" + table->name + "' no such column" : ""));
}

std::string expand(const TraceData& r, const std::string& line, const Table* table = nullptr, size_t row = 0) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if ((c == '{' || c == '}') && i + 1 < line.size() && line[i + 1] == c) {
      out += c;
      ++i;
    } else if (c == '{') {
      const size_t end = line.find('}', i);
      if (end == std::string::npos) defect("unclosed '{' in \"" + line + "\"");
      const std::string field = line.substr(i + 1, end - i - 1);
      const size_t colon = field.find(':');
      out += placeholder(r, table, row, field.substr(0, colon), colon == std::string::npos ? "" : field.substr(colon + 1));
      i = end;
    } else if (c == '}') {
      defect("unmatched '}' in \"" + line + "\"");
    } else {
      out += c;
    }
  }
  return out + "\n";
}

std::string metric_line(const TraceData& r, const MetricLine& m) {
  const SummaryValue& v = metric(r, m.metric);
  std::string label = m.label;
  if (static_cast<int>(label.size()) < m.label_width) label.resize(m.label_width, ' ');
  return label + " " + format_value(v.value, m.style, v.unit) + m.suffix + "\n";
}

std::string table_block(const TraceData& r, const TableDisplay& d) {
  const Table& t = find_table(r, d.table);
  TextTable out;
  struct Source {
    const std::vector<std::string>* text = nullptr;
    const std::vector<double>* number = nullptr;
    const ColumnDisplay* display = nullptr;
    double limit = 0;
  };
  std::vector<Source> sources;
  for (const ColumnDisplay& c : d.columns) {
    Source s;
    s.display = &c;
    if (int i = index_of(t.text_names, c.column); i >= 0) s.text = &t.text_columns[i];
    else if (int j = index_of(t.numeric_names, c.column); j >= 0) s.number = &t.numeric_columns[j];
    else defect("table '" + t.name + "' has no column '" + c.column + "'");
    if (!c.limit.empty()) {
      if (!s.number) defect("column '" + c.column + "' of table '" + t.name + "' is checked against a limit but is text");
      s.limit = metric(r, c.limit).value;
    }
    if (s.number && c.limit.empty()) out.number_column(c.heading, c.precision);
    else out.text_column(c.heading);
    sources.push_back(s);
  }
  for (size_t row = 0; row < t.rows(); ++row) {
    std::vector<TextTable::Cell> cells;
    for (const Source& s : sources) {
      if (s.text) cells.emplace_back(s.text->at(row));
      else if (!s.display->limit.empty()) cells.emplace_back(s.number->at(row) <= s.limit ? s.display->within : s.display->beyond);
      else cells.emplace_back(s.number->at(row) * s.display->multiply / s.display->divide);
    }
    out.add_row(std::move(cells));
  }
  return (d.title.empty() ? "" : d.title + "\n") + out.render();
}

std::string row_lines(const TraceData& r, const RowLines& l) {
  const Table& t = find_table(r, l.table);
  std::string out;
  for (size_t row = 0; row < t.rows(); ++row) out += expand(r, l.line, &t, row);
  return out;
}

}  // namespace

std::string format_value(double value, const ValueStyle& style, const std::string& unit) {
  const double v = value * style.multiply / style.divide;
  switch (style.format) {
    case ValueFormat::Unit: return format_metric(v, unit);
    case ValueFormat::Time: return units::format_time(v);
    case ValueFormat::Percent: return units::format_percent(v);
    case ValueFormat::Significant: return units::format_significant(v);
    case ValueFormat::Size: return units::format_size(v);
    case ValueFormat::Bandwidth: return units::format_bandwidth(v);
    case ValueFormat::Count: return units::format_fixed(v, 0);
    case ValueFormat::Fixed: return units::format_fixed(v, style.decimals);
  }
  defect("unknown value format");
}

std::string terminal_summary(const TraceData& result) {
  std::string out;
  for (const SummaryItem& item : result.display.items) {
    if (const auto* line = std::get_if<SummaryLine>(&item)) out += expand(result, line->text);
    else if (const auto* m = std::get_if<MetricLine>(&item)) out += metric_line(result, *m);
    else if (const auto* t = std::get_if<TableDisplay>(&item)) out += table_block(result, *t);
    else out += row_lines(result, std::get<RowLines>(item));
  }
  return out;
}

}  // namespace trainsim::output
