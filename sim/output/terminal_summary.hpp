#pragma once
// The one writer of terminal summaries: a result (output/trace.hpp) printed by its display spec
// (TraceData::display, output/summary_layout.hpp). Every job kind's `trainsim run` summary and
// `--output-dir`'s summary.txt are this text; no job prints lines of its own.
#include <string>

#include "output/summary_layout.hpp"
#include "output/trace.hpp"

namespace trainsim::output {

// The summary text of `result`: each item of result.display in order, every line ending in '\n'.
// Throws InternalError when an item names a metric, text, table or column the result lacks, or
// a template is malformed (a job's defect, never the user's).
std::string terminal_summary(const TraceData& result);

// `value` as `style` says (scaled first); `unit` is the metric's, for ValueFormat::Unit.
std::string format_value(double value, const ValueStyle& style, const std::string& unit = "");

}  // namespace trainsim::output
