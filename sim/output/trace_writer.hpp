#pragma once
// HDF5 trace writer. Layout, dtypes and units: docs/trace-format.md (kTraceFormatVersion).
#include <functional>
#include <string>

#include "output/atomic_file.hpp"
#include "output/trace.hpp"

namespace trainsim::output {

// Bumped whenever a reader would need to change (renamed or retyped dataset, new meaning).
// Adding a dataset or attribute does not bump it.
inline constexpr int32_t kTraceFormatVersion = 1;

struct TraceWriteOptions {
  std::size_t chunk_rows = 65536;  // rows per HDF5 chunk of column datasets
  int deflate_level = 4;           // zlib level for numeric columns; 0 disables compression
  // Called after each top-level section ("provenance", "labels", "activities", "links",
  // "link_series", "gpus", "summary", "tables") is written to the temporary file: progress
  // reporting for long traces; an exception thrown here aborts the write cleanly (tests use
  // it to simulate a failure half-way).
  std::function<void(const char* section)> after_section;
  // Whether an existing file at the path is replaced (--force) or refused (atomic_file.hpp).
  Existing existing = Existing::Refuse;
  std::string key = "output";  // the option or scenario key that named the path, for errors
};

// Writes `data` to `path` (created or replaced). The file is written under a temporary name in
// the same directory and renamed into place only when complete; on any failure the temporary
// is removed, `path` is left as it was, and an exception is thrown: OutputError for file-system
// and HDF5 failures, InternalError for inconsistent data (an activity's label or gpu index out
// of range, table columns of different lengths, ...). The same `data` gives a byte-identical
// file.
void write_trace_hdf5(const TraceData& data, const std::string& path,
                      const TraceWriteOptions& options = {});

}  // namespace trainsim::output
