#pragma once
// Aligned text tables for the terminal, and the same table as CSV. Text columns are
// left-aligned; number columns are right-aligned with a fixed number of decimals, so that
// digits of equal significance line up, except that a fractional value never shows fewer than
// units::kSignificantDigits significant digits (a small value gets more decimals). CSV carries numbers at full (round-trip) precision:
// it is for programs, the text rendering is for people.
#include <cstddef>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "output/atomic_file.hpp"
#include "output/trace.hpp"

namespace trainsim::output {

class TextTable {
 public:
  // A cell is text or a number. A number column accepts text cells too ("-" for "not
  // applicable"); a text column accepts only text.
  using Cell = std::variant<std::string, double>;

  TextTable& text_column(std::string header);
  TextTable& number_column(std::string header, int precision);  // precision: decimals, 0..17

  // One cell per column, in column order; throws InternalError otherwise.
  void add_row(std::vector<Cell> cells);

  std::size_t columns() const { return columns_.size(); }
  std::size_t rows() const { return rows_.size(); }

  // Header line, a line of dashes, one line per row; columns separated by two spaces; no
  // trailing spaces. Each line ends with '\n'.
  std::string render() const;
  // RFC 4180: a header record, then one record per row; fields containing a comma, a quote,
  // a line break or leading/trailing spaces are quoted (quotes doubled). Lines end with '\n'.
  std::string csv() const;

  void print(std::ostream& out) const;
  void write_csv(std::ostream& out) const;

 private:
  struct Column {
    std::string header;
    bool number = false;
    int precision = 0;
  };
  std::string display(std::size_t column, const Cell& cell) const;

  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// Number formatting used by the table (exposed for tests and for one-off values):
// units::format_fixed: `precision` decimals, never "-0.00", scientific from 1e15;
// "nan", "inf", "-inf" for non-finite values.
std::string format_fixed(double value, int precision);
// Shortest text that parses back to the same double (std::to_chars); "nan"/"inf"/"-inf".
std::string format_roundtrip(double value);

// A metric for people, by its unit: "560.3 ms", "1.5 GiB", "82.17 TFLOP/s", "0.2634" (unit 1),
// "12.5 tokens/s" (any other unit after the number); "-" for NaN (no value).
std::string format_metric(double value, const std::string& unit);

// The generic writers of a result table (output/trace.hpp's Table, any job's or command's):
// as a TextTable, text columns first, then numbers with `precision` decimals on the terminal
// (full precision in CSV) ...
TextTable text_table(const Table& table, int precision = 6);
// ... and as a CSV file, written atomically (output/atomic_file.hpp).
void write_table_csv(const Table& table, const std::string& path, Existing existing);

}  // namespace trainsim::output
