#include "output/summary_layout.hpp"

#include <stdexcept>

namespace trainsim::output {

SummaryLayout& SummaryLayout::line(std::string text, std::string name) {
  items.emplace_back(SummaryLine{std::move(text), std::move(name)});
  return *this;
}

SummaryLayout& SummaryLayout::text(const std::string& words, std::string name) {
  return line(escape_template(words), std::move(name));
}

SummaryLayout& SummaryLayout::metric(std::string metric, std::string label, ValueStyle style, std::string suffix,
                                     int label_width) {
  items.emplace_back(MetricLine{std::move(metric), std::move(label), style, std::move(suffix), label_width});
  return *this;
}

SummaryLayout& SummaryLayout::table(TableDisplay table) {
  items.emplace_back(std::move(table));
  return *this;
}

SummaryLayout& SummaryLayout::rows(std::string table, std::string line) {
  items.emplace_back(RowLines{std::move(table), std::move(line)});
  return *this;
}

ColumnDisplay ColumnDisplay::text(std::string column, std::string heading) {
  ColumnDisplay c;
  c.column = std::move(column);
  c.heading = std::move(heading);
  return c;
}

ColumnDisplay ColumnDisplay::number(std::string column, std::string heading, int precision, double multiply,
                                    double divide) {
  ColumnDisplay c = text(std::move(column), std::move(heading));
  c.precision = precision;
  c.multiply = multiply;
  c.divide = divide;
  return c;
}

ColumnDisplay ColumnDisplay::check(std::string column, std::string heading, std::string limit, std::string within,
                                   std::string beyond) {
  ColumnDisplay c = text(std::move(column), std::move(heading));
  c.limit = std::move(limit);
  c.within = std::move(within);
  c.beyond = std::move(beyond);
  return c;
}

std::string escape_template(const std::string& words) {
  std::string out;
  out.reserve(words.size());
  for (char c : words) {
    if (c == '{' || c == '}') out += c;
    out += c;
  }
  return out;
}

ValueStyle value_style(const std::string& name) {
  ValueStyle s;
  if (name == "unit") s.format = ValueFormat::Unit;
  else if (name == "time") s.format = ValueFormat::Time;
  else if (name == "percent") s.format = ValueFormat::Percent;
  else if (name == "significant") s.format = ValueFormat::Significant;
  else if (name == "size") s.format = ValueFormat::Size;
  else if (name == "bandwidth") s.format = ValueFormat::Bandwidth;
  else if (name == "count") s.format = ValueFormat::Count;
  else if (name.size() == 6 && name.rfind("fixed", 0) == 0 && name[5] >= '0' && name[5] <= '9') {
    s.format = ValueFormat::Fixed;
    s.decimals = name[5] - '0';
  } else {
    throw std::invalid_argument("unknown value format '" + name +
                                "'; expected unit, time, percent, significant, size, bandwidth, count or fixed<0-9>");
  }
  return s;
}

}  // namespace trainsim::output
