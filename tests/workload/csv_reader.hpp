#pragma once
// Tiny CSV reader for the calibration files under sim/workload/calibration/h200 (tests only).
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainsim::workload::testing {

using CsvRow = std::map<std::string, std::string>;

inline std::vector<CsvRow> read_calibration_csv(const std::string& file) {
  const std::string path = std::string(TRAINSIM_SOURCE_DIR) + "/sim/workload/calibration/h200/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      if (!cell.empty() && cell.back() == '\r') cell.pop_back();  // some files have CRLF endings
      cells.push_back(cell);
    }
    return cells;
  };
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  std::vector<CsvRow> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cells = split(line);
    CsvRow row;
    for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(row);
  }
  return rows;
}

inline double num(const CsvRow& r, const std::string& key) { return std::stod(r.at(key)); }

}  // namespace trainsim::workload::testing
