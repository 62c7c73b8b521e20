#pragma once
// What a simulation run leaves behind, as plain values: the engine appends to a TraceData while
// it runs and hands it to write_trace_hdf5() (trace_writer.hpp) at the end. The on-disk layout
// is documented in docs/trace-format.md; every field here maps to one dataset or attribute.
//
// Conventions: times in simulated seconds, sizes in bytes, bandwidths in bytes per second,
// work in FLOP. An integer field that does not apply to a record is -1.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "output/summary_layout.hpp"

namespace trainsim::output {

// What an activity was. The numeric values are part of the file format (the `kind` column
// stores them): append new kinds at the end, never renumber.
enum class ActivityKind : uint8_t {
  Forward = 0,
  BackwardInput = 1,   // zero-bubble split: gradient w.r.t. activations
  BackwardWeight = 2,  // zero-bubble split: gradient w.r.t. weights
  Backward = 3,        // fused backward (input + weight)
  Recompute = 4,       // activation recomputation before a backward
  Optimizer = 5,
  Compute = 6,  // generic computation not covered above
  TpComm = 7,   // tensor-parallel collective inside a layer
  PpSend = 8,   // pipeline activation/gradient send
  PpRecv = 9,
  DpComm = 10,      // data-parallel gradient synchronisation
  Collective = 11,  // standalone collective (benchmarks, generic)
  Transfer = 12,    // one point-to-point flow of a collective plan
  OuterSync = 13,   // DiLoCo outer synchronisation of a replica
  Wait = 14,        // idle time attributed to a dependency (bubble, barrier)
  Memcpy = 15,      // host<->device or device<->device copy
};
inline constexpr std::size_t kActivityKindCount = 16;

// Stable name of a kind ("forward", "backward_input", ...); "unknown" outside the enum.
const char* activity_kind_name(ActivityKind kind);

// One simulated activity. Field order keeps the record at 64 bytes (10 million rows = 640 MB).
struct ActivityRecord {
  double start = 0;  // simulated seconds
  double end = 0;
  double bytes = 0;  // bytes moved (communication) or touched; 0 if none
  double flops = 0;  // FLOP computed; 0 if none
  int32_t gpu = -1;  // global GPU index (row of TraceData::gpus)
  int32_t peer = -1; // other GPU of a transfer
  int32_t stage = -1;
  int32_t micro_batch = -1;
  int32_t chunk = -1;  // virtual pipeline chunk (interleaved schedules)
  int32_t step = -1;   // training iteration (inner step for DiLoCo)
  int32_t label = -1;  // index into TraceData::labels
  ActivityKind kind = ActivityKind::Compute;
};

// Interned strings ("all_reduce ring 1MiB", "bucket 3"): activities store an index so that a
// 10-million-row trace does not carry 10 million strings.
class LabelTable {
 public:
  // Index of `text`, adding it on first use. Indices are dense and in first-use order, so the
  // same sequence of calls gives the same table (determinism of the output file).
  int32_t intern(std::string_view text);
  const std::vector<std::string>& names() const { return names_; }
  std::size_t size() const { return names_.size(); }

 private:
  // Transparent hashing so that intern(string_view) looks up without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> index_;
};

// One network link (or NIC, or NVLink port) and what went through it over the whole run.
struct LinkStats {
  std::string name;  // SimGrid link name
  std::string tier;  // "nvlink", "pcie", "nic", "leaf", "spine", "wan", ...
  double bandwidth = 0;  // bytes per second
  double latency = 0;    // seconds
  double bytes = 0;      // bytes carried
  double busy_time = 0;  // seconds with at least one flow on the link
};

// busy_time / makespan; NaN when the makespan is not positive (utilisation is then undefined).
double link_utilization(const LinkStats& link, double makespan);

// Optional load of some links over time: bytes carried per bin of `bin_width` seconds, bin i
// covering [i*bin_width, (i+1)*bin_width). Row r describes links[link[r]].
struct LinkSeries {
  double bin_width = 0;          // seconds; 0 when no series was recorded
  std::size_t bins = 0;          // bins per row
  std::vector<int32_t> link;     // one entry per row, index into TraceData::links
  std::vector<double> bytes;     // row-major, link.size() * bins values
};

// Where a GPU sits and what it does in the parallel plan (one row per global GPU index).
struct GpuInfo {
  std::string name;     // SimGrid host name
  std::string model;    // GPU catalogue name ("H200")
  std::string cluster;  // cluster (DiLoCo site) name; "" if a single cluster
  std::string node;     // node (server) name
  int32_t local_index = -1;  // index of the GPU inside its node
  int32_t stage = -1;        // pipeline stage
  int32_t tp_rank = -1;      // rank inside its tensor-parallel group
  int32_t dp_rank = -1;      // rank inside its data-parallel group
  int32_t replica = -1;      // DiLoCo replica (model copy)
};

// A numeric result with its unit ("s", "B", "B/s", "FLOP/s", "1" for ratios).
struct SummaryValue {
  std::string name;
  double value = 0;
  std::string unit;
};

struct SummaryText {
  std::string name;
  std::string value;
};

// A generic result table (sweeps, configurator comparisons). Every column has one value per
// row; column names are unique within the table; `name` becomes an HDF5 group name, so it is
// non-empty and contains no '/' and is not "." .
struct Table {
  std::string name;
  std::vector<std::string> numeric_names;
  std::vector<std::vector<double>> numeric_columns;
  std::vector<std::string> text_names;
  std::vector<std::vector<std::string>> text_columns;

  std::size_t rows() const;  // length of the first column; 0 when there is none

  // An empty table with these columns (text columns first, as every writer orders them).
  static Table with_columns(std::string name, std::vector<std::string> text, std::vector<std::string> numeric);
  // Appends one row: a value per text column, then per numeric column (std::logic_error on
  // another width).
  void add_row(const std::vector<std::string>& text, const std::vector<double>& numbers);
};

struct TraceData {
  // Provenance (root attributes and /scenario/text).
  std::string scenario_file;   // path as given on the command line
  std::string scenario_text;   // the scenario file's full content
  std::string trainsim_version;
  std::string simgrid_version;
  std::string command_line;
  uint64_t seed = 0;
  double makespan = 0;  // simulated seconds from start to the last activity's end

  LabelTable labels;
  std::vector<ActivityRecord> activities;
  std::vector<LinkStats> links;
  LinkSeries link_series;
  std::vector<GpuInfo> gpus;
  std::vector<SummaryValue> summary;
  std::vector<SummaryText> summary_text;
  std::vector<Table> tables;
  // How the terminal summary shows the metrics, texts and tables above (terminal only: not in
  // the HDF5 trace nor in the serialized results).
  SummaryLayout display;

  int32_t label(std::string_view text) { return labels.intern(text); }
};

}  // namespace trainsim::output
