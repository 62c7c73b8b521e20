// The one terminal writer (output/terminal_summary.hpp) on hand-built results: every value
// format, labels and suffixes, hidden metrics, tables (headings, precision, scale, limit checks),
// row templates, header and warning lines, and the defects it refuses.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.hpp"
#include "output/result_json.hpp"
#include "output/terminal_summary.hpp"

using namespace trainsim;
using namespace trainsim::output;

namespace {

// A small training-like result: metrics with units, a stage table and a per-replica table.
TraceData sample() {
  TraceData r;
  r.summary = {{"iteration_time", 1.5, "s"},      {"mfu", 0.4123, "1"},   {"tokens_per_s", 123456.7, "1/s"},
               {"peak", 2.5e11, "FLOP/s"},        {"hbm", 80 * 1073741824.0, "B"}, {"oom_stages", 1, "1"},
               {"link", 2.5e10, "B/s"},           {"secret", 42, "1"}};
  r.summary_text = {{"schedule", "1f1b"}};
  auto stages = Table::with_columns("stages", {}, {"stage", "compute_s", "memory"});
  stages.add_row({}, {0, 0.123456, 40 * 1073741824.0});
  stages.add_row({}, {1, 2.0, 96 * 1073741824.0});
  r.tables.push_back(std::move(stages));
  auto waits = Table::with_columns("waits", {"worker"}, {"wait_s", "rounds"});
  waits.add_row({"dc1"}, {0.25, 3});
  waits.add_row({"dc2"}, {1.5e-15, 3});
  r.tables.push_back(std::move(waits));
  return r;
}

}  // namespace

TEST_CASE("terminal summary: each value format - scaled first", "[output][summary]") {
  CHECK(format_value(1.5, {ValueFormat::Time}) == "1.500 s");
  CHECK(format_value(0.0025, {ValueFormat::Time}) == "2.500 ms");
  CHECK(format_value(0.4123, {ValueFormat::Percent}) == "41.23 %");
  CHECK(format_value(123456.7, {ValueFormat::Significant}) == "123457");
  CHECK(format_value(0.031294, {ValueFormat::Significant}) == "0.03129");
  CHECK(format_value(1.5 * 1073741824.0, {ValueFormat::Size}) == "1.500 GiB");
  CHECK(format_value(2.5e10, {ValueFormat::Bandwidth}) == "25 GB/s");  // exact integers without decimals
  CHECK(format_value(2.54e10, {ValueFormat::Bandwidth}) == "25.40 GB/s");
  CHECK(format_value(12, {ValueFormat::Count}) == "12");
  CHECK(format_value(3.14159, {ValueFormat::Fixed, 2}) == "3.14");
  // By unit (output::format_metric): seconds, bytes, FLOP/s as TFLOP/s, ratios bare, other units after.
  CHECK(format_value(1.5, {ValueFormat::Unit}, "s") == "1.500 s");
  CHECK(format_value(2.5e11, {}, "FLOP/s") == "0.2500 TFLOP/s");
  CHECK(format_value(0.5, {}, "1") == "0.5000");
  CHECK(format_value(12.5, {}, "tokens/s") == "12.50 tokens/s");
  CHECK(format_value(std::nan(""), {}, "s") == "-");
  // value * multiply / divide: 2.5e11 FLOP/s as TFLOP/s with 4 significant digits; 0.25 as 25 percent points.
  CHECK(format_value(2.5e11, {ValueFormat::Significant, 0, 1, 1e12}) == "0.2500");
  CHECK(format_value(0.25, {ValueFormat::Fixed, 1, 100}) == "25.0");
  // Template names of the formats.
  CHECK(value_style("time").format == ValueFormat::Time);
  CHECK(value_style("fixed3").format == ValueFormat::Fixed);
  CHECK(value_style("fixed3").decimals == 3);
  CHECK_THROWS_AS(value_style("fixed"), std::invalid_argument);
  CHECK_THROWS_AS(value_style("seconds"), std::invalid_argument);
}

TEST_CASE("terminal summary: metric lines with labels - suffixes - metrics no item names stay hidden",
          "[output][summary]") {
  TraceData r = sample();
  r.display.metric("iteration_time", "iteration time", {ValueFormat::Time}, "", 20)
      .metric("mfu", "MFU", {ValueFormat::Percent}, "", 20)
      .metric("tokens_per_s", "tokens per second", {ValueFormat::Significant}, " per replica", 20)
      .metric("peak", "a label longer than its width", {}, "", 4);
  CHECK(terminal_summary(r) ==
        "iteration time       1.500 s\n"
        "MFU                  41.23 %\n"
        "tokens per second    123457 per replica\n"
        "a label longer than its width 0.2500 TFLOP/s\n");
  // "secret" has no item: in the result (and its JSON), not on the terminal.
  CHECK(terminal_summary(r).find("42") == std::string::npos);
  CHECK(results_to_json(r).find("\"secret\"") != std::string::npos);
  r.display = {};
  CHECK(terminal_summary(r).empty());
}

TEST_CASE("terminal summary: header and warning lines are templates over metrics and texts", "[output][summary]") {
  TraceData r = sample();
  r.display.text("# training: model {x} on 'p'", "title")
      .line("schedule {schedule}, {hbm:size} per GPU, {{literal braces}}", "plan")
      .line("")
      .line("WARNING: {oom_stages:count} stage(s) exceed the {hbm:size} of HBM per GPU", "warning");
  CHECK(terminal_summary(r) ==
        "# training: model {x} on 'p'\n"
        "schedule 1f1b, 80 GiB per GPU, {literal braces}\n"
        "\n"
        "WARNING: 1 stage(s) exceed the 80 GiB of HBM per GPU\n");
  CHECK(escape_template("a{b}c") == "a{{b}}c");
}

TEST_CASE("terminal summary: a table with headings - precision - scale and a limit check", "[output][summary]") {
  TraceData r = sample();
  using Column = ColumnDisplay;
  r.display.table({"stages",
                   "per stage:",
                   {Column::number("stage", "stage", 0), Column::number("compute_s", "compute(s)", 2),
                    Column::number("memory", "mem(GiB)", 1, 1, 1073741824.0),
                    Column::check("memory", "fits", "hbm", "yes", "OUT OF MEMORY")}});
  // 0.123456 with 2 decimals keeps 4 significant digits (TextTable's rule); 96 GiB > 80 GiB.
  CHECK(terminal_summary(r) ==
        "per stage:\n"
        "stage  compute(s)  mem(GiB)  fits\n"
        "-----  ----------  --------  -------------\n"
        "    0      0.1235      40.0  yes\n"
        "    1        2.00      96.0  OUT OF MEMORY\n");
  // Without a title: the table alone; text columns left-aligned.
  r.display = {};
  r.display.table({"waits", "", {Column::text("worker", "who"), Column::number("wait_s", "wait ms", 1, 1e3)}});
  CHECK(terminal_summary(r) ==
        "who    wait ms\n"
        "---  ---------\n"
        "dc1      250.0\n"
        "dc2  1.500e-12\n");
}

TEST_CASE("terminal summary: a template line per row - columns before metrics", "[output][summary]") {
  TraceData r = sample();
  r.display.rows("waits", "  {worker} waits {wait_s:significant} s over {rounds:count} rounds ({schedule})");
  CHECK(terminal_summary(r) ==
        "  dc1 waits 0.2500 s over 3 rounds (1f1b)\n"
        "  dc2 waits 1.500e-15 s over 3 rounds (1f1b)\n");
}

TEST_CASE("terminal summary: an item naming what the result lacks is a defect", "[output][summary]") {
  auto refused = [](const SummaryLayout& layout) {
    TraceData r = sample();
    r.display = layout;
    CHECK_THROWS_AS(terminal_summary(r), InternalError);
  };
  refused(SummaryLayout{}.metric("missing", "label", {}));
  refused(SummaryLayout{}.line("{missing}"));
  refused(SummaryLayout{}.line("{iteration_time:hours}"));
  refused(SummaryLayout{}.line("{schedule:time}"));  // a text given a number format
  refused(SummaryLayout{}.line("unclosed {iteration_time"));
  refused(SummaryLayout{}.line("stray } brace"));
  refused(SummaryLayout{}.table({"missing", "", {ColumnDisplay::text("x", "x")}}));
  refused(SummaryLayout{}.table({"stages", "", {ColumnDisplay::number("missing", "x", 0)}}));
  refused(SummaryLayout{}.table({"stages", "", {ColumnDisplay::check("stage", "x", "missing", "a", "b")}}));
  refused(SummaryLayout{}.table({"waits", "", {ColumnDisplay::check("worker", "x", "hbm", "a", "b")}}));
  refused(SummaryLayout{}.rows("missing", "{x}"));
  refused(SummaryLayout{}.rows("waits", "{missing}"));
}

TEST_CASE("terminal summary: the display spec is terminal only - not in the serialized results", "[output][summary]") {
  TraceData plain = sample();
  TraceData shown = sample();
  shown.display.line("{schedule}").metric("mfu", "MFU", {ValueFormat::Percent});
  CHECK(results_to_json(shown) == results_to_json(plain));
  CHECK(results_from_json(results_to_json(shown)).display.empty());
}
