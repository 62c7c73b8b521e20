#pragma once
// Export of a trace to the Chrome trace event JSON format ("JSON Object Format" of the Trace
// Event Format document, Google, 2016), which Perfetto (ui.perfetto.dev) and chrome://tracing
// open. Layout (docs/plots.md, "Chrome trace / Perfetto"):
//   - one process per GPU ("GPU 3: dgx.n0.gpu3 (stage 0, tp 1, dp 1)"), sorted by GPU index;
//     its activities are complete events ("ph":"X") on a "compute" thread and a
//     "communication" thread. Activities of one category that overlap in time (a DP bucket
//     reduction overlapping another) go to extra threads ("communication 2", ...), because
//     the format requires the events of one thread to nest, which overlapping ones do not;
//   - one process "links" with one counter track ("ph":"C") per link tier (nvlink, nic, leaf,
//     ...): the tier's aggregate throughput in GB/s per bin of /link_series;
//   - activities without a GPU go to a process "other".
// Times are microseconds (the format's unit) printed with nanosecond resolution; the output is
// deterministic (same TraceData, same bytes).
#include <ostream>
#include <string>

#include "output/atomic_file.hpp"
#include "output/trace.hpp"

namespace trainsim::output {

struct ChromeTraceOptions {
  bool all_gpus = false;  // also a process for each GPU without activity (trainsim run --chrome-trace-all-gpus)
  Existing existing = Existing::Refuse;  // write_chrome_trace_file: replace an existing file (--force)
  std::string key = "output";            // the option that named the path, for errors
};

// GPUs of `data` that have no activity (rows of data.gpus no activity refers to).
std::size_t gpus_without_activity(const TraceData& data);

// Writes the JSON to `os`.
void write_chrome_trace(const TraceData& data, std::ostream& os, const ChromeTraceOptions& options = {});

// Writes the JSON to `path` atomically (temporary file renamed into place, atomic_file.hpp).
// Throws OutputError when the file cannot be written.
void write_chrome_trace_file(const TraceData& data, const std::string& path, const ChromeTraceOptions& options = {});

}  // namespace trainsim::output
