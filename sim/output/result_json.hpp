#pragma once
// The serialized form of a job's results (docs/trace-format.md, "Results as JSON"): the named
// metrics with units, the named texts and the named tables of a TraceData, as one JSON document
// that reads back exactly (every double bit for bit, non-finite values included) and is
// byte-identical for the same results. Meant for child processes, shards and the Python API to
// hand results over in one form.
#include <string>

#include "output/trace.hpp"

namespace trainsim::output {

inline constexpr const char* kResultFormat = "trainsim-result";
inline constexpr int kResultVersion = 1;

// {"format":"trainsim-result","version":1,"metrics":[{"name","value","unit"}...],
//  "texts":[{"name","value"}...],"tables":[{"name","numeric":[{"name","values"}...],
//  "text":[{"name","values"}...]}...]}: in the results' order, keys in this order, one line.
// Finite doubles are written in the shortest form that reads back to the same double; -0.0 as
// -0.0; NaN and infinities as the strings "nan", "inf", "-inf". No line break inside or at the
// end: the text is one value, kept as is by journals and parts (a file adds its own newline).
// Activities, links and provenance are not part of it.
std::string results_to_json(const TraceData& results);

// Appends `s` to `out` as a JSON string: quotes, backslashes and control characters escaped,
// valid UTF-8 kept, each byte of an invalid sequence replaced by U+FFFD (every JSON writer of
// the project: results, Chrome traces).
void append_json_string(std::string& out, const std::string& s);

// The metrics, texts and tables of a document written by results_to_json (other fields of the
// returned TraceData are empty). Throws std::runtime_error naming what is wrong: not JSON,
// another format or version, a missing or mistyped field, columns of different lengths.
TraceData results_from_json(const std::string& text);

// Readers of what a job's results must hold, for the types that convert themselves to and from
// results (a DiLoCo point, a simulated configuration, ...): each throws std::runtime_error
// naming the missing metric, text, table or column.
double metric_value(const TraceData& results, const std::string& name);
const std::string& text_value(const TraceData& results, const std::string& name);
const Table& table_named(const TraceData& results, const std::string& name);
const std::vector<double>& numeric_column(const Table& table, const std::string& name);
const std::vector<std::string>& text_column(const Table& table, const std::string& name);

}  // namespace trainsim::output
