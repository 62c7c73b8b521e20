#pragma once
// An output table (HDF5 and CSV) filled row by row, text columns first: the tables of compare
// and batch.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "output/atomic_file.hpp"
#include "output/table_printer.hpp"
#include "output/trace.hpp"

namespace trainsim::cli {

struct OutputTable {
  output::Table t;
  OutputTable(std::string name, std::vector<std::string> text, std::vector<std::string> numeric) {
    t.name = std::move(name);
    t.text_names = std::move(text);
    t.numeric_names = std::move(numeric);
    t.text_columns.resize(t.text_names.size());
    t.numeric_columns.resize(t.numeric_names.size());
  }
  void add(const std::vector<std::string>& text, const std::vector<double>& numbers) {
    if (text.size() != t.text_columns.size() || numbers.size() != t.numeric_columns.size())
      throw InternalError("row of table '" + t.name + "' has the wrong width");
    for (size_t i = 0; i < text.size(); ++i) t.text_columns[i].push_back(text[i]);
    for (size_t i = 0; i < numbers.size(); ++i) t.numeric_columns[i].push_back(numbers[i]);
  }
  void write_csv(const std::string& path, output::Existing existing) const {
    output::TextTable csv;
    for (const auto& n : t.text_names) csv.text_column(n);
    for (const auto& n : t.numeric_names) csv.number_column(n, 6);
    for (size_t r = 0; r < t.rows(); ++r) {
      std::vector<output::TextTable::Cell> row;
      for (const auto& c : t.text_columns) row.emplace_back(c[r]);
      for (const auto& c : t.numeric_columns) row.emplace_back(c[r]);
      csv.add_row(std::move(row));
    }
    // Temporary + rename (output/atomic_file.hpp): never half a CSV, even on Ctrl-C.
    output::write_text_file(path, csv.csv(), existing);
  }
};

}  // namespace trainsim::cli
