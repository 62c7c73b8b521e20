#include "config/bandwidth_matrix.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "config/yaml_reader.hpp"

namespace trainsim {
namespace {

// Pipette stores GB/s as strings ("11.52"); numbers are accepted too. Entries must be plausible
// bandwidths (units::plausible): 1e-300 GB/s would print a 300-digit iteration time.
double entry_gbps(const YAML::Node& n, const std::string& file, const std::string& key) {
  const units::Range range = units::plausible(units::Kind::Bandwidth);
  const std::string expect = std::string("expected a bandwidth in GB/s, from ") + range.text +
                             " (a number or a numeric string), got ";
  if (!n.IsScalar()) throw node_error(n, file, key, expect + describe(n));
  const std::string& s = n.Scalar();
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v * 1e9 < range.min || v * 1e9 > range.max)
    throw node_error(n, file, key, expect + describe(n));
  return v;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

BandwidthMatrix parse_bandwidth_matrix(const std::string& text, const std::string& file,
                                       const std::string& cluster_name) {
  YAML::Node root = parse_yaml(text, file, {"gpus", "bandwidth"});
  if (root.IsNull())
    throw InputError({file, 0, 0}, "", "the file is empty; expected Pipette's JSON {\"gpus\": [...], \"bandwidth\": [[...]]}");
  YamlMap m(root, file, "");
  BandwidthMatrix out;
  out.cluster = cluster_name;
  out.file = file;
  out.hosts = m.get_string_list("gpus");
  const size_t n = out.hosts.size();
  if (n == 0) throw m.error("gpus", "expected at least one host name, got an empty list");
  const YAML::Node& rows = m.node("bandwidth");
  if (!rows.IsSequence())
    throw m.error("bandwidth", "expected a list of " + std::to_string(n) + " rows, got " + describe(rows));
  if (rows.size() != n)
    throw m.error("bandwidth", "expected " + std::to_string(n) + " rows (one per entry of 'gpus'), got " +
                                   std::to_string(rows.size()));
  for (size_t i = 0; i < n; ++i) {
    const YAML::Node row = rows[i];
    const std::string row_key = "bandwidth[" + std::to_string(i) + "]";
    if (!row.IsSequence() || row.size() != n)
      throw node_error(row, file, row_key,
                       "expected a row of " + std::to_string(n) + " entries, got " +
                           (row.IsSequence() ? std::to_string(row.size()) + " entries" : describe(row)));
    std::vector<double> values;
    for (size_t j = 0; j < n; ++j)
      values.push_back(entry_gbps(row[j], file, row_key + "[" + std::to_string(j) + "]") * 1e9);
    out.bandwidth.push_back(std::move(values));
  }
  m.finish();
  return out;
}

BandwidthMatrix load_bandwidth_matrix(const std::string& path, const std::string& cluster_name) {
  return parse_bandwidth_matrix(read_text_file(path), path, cluster_name);
}

void write_bandwidth_matrix(const BandwidthMatrix& matrix, const std::string& path, output::Existing existing) {
  for (const auto& row : matrix.bandwidth)
    if (row.size() != matrix.hosts.size() || matrix.bandwidth.size() != matrix.hosts.size())
      throw InternalError("write_bandwidth_matrix: matrix is not hosts x hosts");
  std::string s = "{\n  \"gpus\": [";
  for (size_t i = 0; i < matrix.hosts.size(); ++i) s += (i ? ", " : "") + json_string(matrix.hosts[i]);
  s += "],\n  \"bandwidth\": [\n";
  for (size_t i = 0; i < matrix.bandwidth.size(); ++i) {
    s += "    [";
    for (size_t j = 0; j < matrix.bandwidth[i].size(); ++j) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "\"%.2f\"", matrix.bandwidth[i][j] / 1e9);
      s += (j ? ", " : "") + std::string(buf);
    }
    s += i + 1 < matrix.bandwidth.size() ? "],\n" : "]\n";
  }
  s += "  ]\n}\n";
  // Written under a temporary name and renamed once complete: an interrupted profile never
  // leaves half a matrix for Pipette's configurator to read.
  output::write_text_file(path, s, existing);
}

}  // namespace trainsim
