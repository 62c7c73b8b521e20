#include "output/table_printer.hpp"

#include <charconv>
#include <cmath>
#include <ostream>

#include "core/error.hpp"
#include "core/units.hpp"

namespace trainsim::output {

namespace {

std::string non_finite(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// Width on a terminal, counting UTF-8 code points rather than bytes ("µs" is two columns of
// text but three bytes). Good enough for the Latin and symbol characters units use.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;
  return width;
}

std::string csv_field(const std::string& text) {
  bool quote = !text.empty() && (text.front() == ' ' || text.back() == ' ');
  for (char c : text)
    if (c == ',' || c == '"' || c == '\n' || c == '\r') quote = true;
  if (!quote) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string format_fixed(double value, int precision) { return units::format_fixed(value, precision); }

std::string format_roundtrip(double value) {
  if (!std::isfinite(value)) return non_finite(value);
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (result.ec != std::errc()) throw InternalError("format_roundtrip: buffer too small");
  return std::string(buffer, result.ptr);
}

TextTable& TextTable::text_column(std::string header) {
  if (!rows_.empty()) throw InternalError("TextTable: columns must be declared before rows");
  columns_.push_back({std::move(header), false, 0});
  return *this;
}

TextTable& TextTable::number_column(std::string header, int precision) {
  if (!rows_.empty()) throw InternalError("TextTable: columns must be declared before rows");
  if (precision < 0 || precision > 17) throw InternalError("TextTable: precision must be within 0..17");
  columns_.push_back({std::move(header), true, precision});
  return *this;
}

void TextTable::add_row(std::vector<Cell> cells) {
  if (cells.size() != columns_.size())
    throw InternalError("TextTable: row has " + std::to_string(cells.size()) + " cells for " +
                        std::to_string(columns_.size()) + " columns");
  for (std::size_t c = 0; c < cells.size(); ++c)
    if (!columns_[c].number && std::holds_alternative<double>(cells[c]))
      throw InternalError("TextTable: number in text column '" + columns_[c].header + "'");
  rows_.push_back(std::move(cells));
}

std::string TextTable::display(std::size_t column, const Cell& cell) const {
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  const double value = std::get<double>(cell);
  const int precision = columns_[column].precision;
  // The column's decimals, unless they would show fewer than units::kSignificantDigits
  // significant digits of a fractional value (0.137 in a 1-decimal column prints 0.1370, not 0.1).
  if (!std::isfinite(value) || value == std::round(value)) return format_fixed(value, precision);
  const std::string fixed = format_fixed(value, precision);
  const int exponent = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  if (precision + exponent + 1 >= units::kSignificantDigits) return fixed;
  const std::string significant = units::format_significant(value);
  return std::stod(fixed) == std::stod(significant) ? fixed : significant;  // 1.5 stays "1.50"
}

std::string TextTable::render() const {
  const std::size_t n = columns_.size();
  std::vector<std::vector<std::string>> lines;  // header, then rows, as displayed text
  lines.reserve(rows_.size() + 1);
  std::vector<std::string> header;
  for (const Column& column : columns_) header.push_back(column.header);
  lines.push_back(std::move(header));
  for (const auto& row : rows_) {
    std::vector<std::string> cells;
    for (std::size_t c = 0; c < n; ++c) cells.push_back(display(c, row[c]));
    lines.push_back(std::move(cells));
  }
  std::vector<std::size_t> width(n, 0);
  for (const auto& line : lines)
    for (std::size_t c = 0; c < n; ++c) width[c] = std::max(width[c], display_width(line[c]));

  auto emit = [&](std::string& out, const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < n; ++c) {
      if (c > 0) line += "  ";
      std::string pad(width[c] - display_width(cells[c]), ' ');
      line += columns_[c].number ? pad + cells[c] : cells[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  std::string out;
  emit(out, lines.front());
  std::vector<std::string> dashes;
  for (std::size_t c = 0; c < n; ++c) dashes.emplace_back(width[c], '-');
  emit(out, dashes);
  for (std::size_t r = 1; r < lines.size(); ++r) emit(out, lines[r]);
  return out;
}

std::string TextTable::csv() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (c) out += ",";
    out += csv_field(columns_[c].header);
  }
  out += "\n";
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ",";
      if (const auto* number = std::get_if<double>(&row[c])) out += format_roundtrip(*number);
      else out += csv_field(std::get<std::string>(row[c]));
    }
    out += "\n";
  }
  return out;
}

void TextTable::print(std::ostream& out) const { out << render(); }
void TextTable::write_csv(std::ostream& out) const { out << csv(); }

std::string format_metric(double v, const std::string& unit) {
  if (std::isnan(v)) return "-";
  if (unit == "s") return units::format_time(v);
  if (unit == "B") return units::format_size(v);
  if (unit == "B/s") return units::format_bandwidth(v);
  if (unit == "FLOP/s") return units::format_significant(v / 1e12) + " TFLOP/s";
  if (unit == "1") return units::format_significant(v);
  return units::format_significant(v) + " " + unit;
}

TextTable text_table(const Table& table, int precision) {
  TextTable out;
  for (const auto& n : table.text_names) out.text_column(n);
  for (const auto& n : table.numeric_names) out.number_column(n, precision);
  for (size_t r = 0; r < table.rows(); ++r) {
    std::vector<TextTable::Cell> row;
    for (const auto& c : table.text_columns) row.emplace_back(c[r]);
    for (const auto& c : table.numeric_columns) row.emplace_back(c[r]);
    out.add_row(std::move(row));
  }
  return out;
}

void write_table_csv(const Table& table, const std::string& path, Existing existing) {
  // Temporary + rename: never half a CSV, even on Ctrl-C.
  write_text_file(path, text_table(table).csv(), existing);
}

}  // namespace trainsim::output
