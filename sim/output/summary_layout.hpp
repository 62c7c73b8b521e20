#pragma once
// How a result is shown on a terminal: the display spec of the result model (docs/trace-format.md,
// "Terminal summary"). A plain value held by TraceData::display, naming the result's metrics,
// texts and tables it shows, with labels, formats and suffixes; it holds no figure itself, so a
// job cannot print a figure that its result does not hold. output/terminal_summary.hpp writes
// it. Terminal only: the HDF5 trace and the serialized results (result_json.hpp) do not carry it.
//
// Lines are templates: "{name}" is replaced by the metric or text `name` of the result (in a
// RowLines template first by the column `name` of the row), "{name:format}" formats a number
// (formats below), "{{" and "}}" are literal braces. Words the job takes from its inputs (model
// and platform names) go through SummaryLayout::text, which escapes them.
#include <string>
#include <variant>
#include <vector>

namespace trainsim::output {

// How a number is written for people (units.hpp's formatters). Template names in brackets.
enum class ValueFormat {
  Unit,         // by the metric's unit, output::format_metric ("unit"; the default of a metric)
  Time,         // "560.3 ms" ("time")
  Percent,      // a fraction as "41.20 %" ("percent")
  Significant,  // 4 significant digits, no unit ("significant"; the default of a table column)
  Size,         // bytes, binary prefixes: "1.500 GiB" ("size")
  Bandwidth,    // bytes per second: "12.5 GB/s" ("bandwidth")
  Count,        // an integer: "12" ("count")
  Fixed,        // `decimals` decimals ("fixed<N>", e.g. "fixed2")
};

struct ValueStyle {
  ValueStyle(ValueFormat format = ValueFormat::Unit, int decimals = 0, double multiply = 1, double divide = 1)
      : format(format), decimals(decimals), multiply(multiply), divide(divide) {}
  ValueFormat format = ValueFormat::Unit;
  int decimals = 0;  // Fixed only
  // The shown number is value * multiply / divide (bytes -> GiB: divide by 2^30), in that order,
  // so that it is the same double as the job's own arithmetic would give.
  double multiply = 1;
  double divide = 1;
};

// One line (a template, see above); "" is an empty line. `name` names the line for tests and
// tools ("title", "plan", "warning"); it is not printed.
struct SummaryLine {
  std::string text;
  std::string name;
};

// A metric on a line of its own: `label` left-aligned in `label_width` columns, a space, the
// value, then `suffix` (e.g. " per GPU per iteration").
struct MetricLine {
  std::string metric;
  std::string label;
  ValueStyle style;
  std::string suffix;
  int label_width = 0;
};

// A column of a shown table: the table's column `column` (numeric or text) under `heading`. A
// numeric column shows `precision` decimals (TextTable's rule, table_printer.hpp) of the scaled
// value; or, when `limit` names a metric, the word `within` for values <= that metric and
// `beyond` for the others (e.g. "yes" / "OUT OF MEMORY" against the HBM per GPU).
struct ColumnDisplay {
  static ColumnDisplay text(std::string column, std::string heading);
  static ColumnDisplay number(std::string column, std::string heading, int precision, double multiply = 1,
                              double divide = 1);
  static ColumnDisplay check(std::string column, std::string heading, std::string limit, std::string within,
                             std::string beyond);

  std::string column;
  std::string heading;
  int precision = 0;
  double multiply = 1;
  double divide = 1;
  std::string limit;
  std::string within;
  std::string beyond;
};

// A table of the result as an aligned text table, after a `title` line when it is not empty.
struct TableDisplay {
  std::string table;
  std::string title;
  std::vector<ColumnDisplay> columns;
};

// The template `line` once per row of the table `table`, in row order.
struct RowLines {
  std::string table;
  std::string line;
};

using SummaryItem = std::variant<SummaryLine, MetricLine, TableDisplay, RowLines>;

// The terminal summary of a result: its items in print order. A metric, text or table no item
// names is not shown (it is in the HDF5 and JSON results only).
struct SummaryLayout {
  std::vector<SummaryItem> items;

  bool empty() const { return items.empty(); }
  // A template line (see the header comment).
  SummaryLayout& line(std::string text, std::string name = "");
  // A line of plain words (from inputs: names, the plan), braces escaped.
  SummaryLayout& text(const std::string& words, std::string name = "");
  SummaryLayout& metric(std::string metric, std::string label, ValueStyle style, std::string suffix = "",
                        int label_width = 0);
  SummaryLayout& table(TableDisplay table);
  SummaryLayout& rows(std::string table, std::string line);
};

// `words` as a template that prints them unchanged ("{" -> "{{", "}" -> "}}").
std::string escape_template(const std::string& words);

// The format named in a template ("time", "fixed2", ...); throws std::invalid_argument otherwise.
ValueStyle value_style(const std::string& name);

}  // namespace trainsim::output
