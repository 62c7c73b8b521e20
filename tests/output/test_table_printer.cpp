#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "output/table_printer.hpp"

using namespace trainsim;
using namespace trainsim::output;

TEST_CASE("numbers print with fixed decimals", "[table]") {
  CHECK(format_fixed(3.14159, 2) == "3.14");
  CHECK(format_fixed(2.5, 0) == "2");  // round half to even, as printf does
  CHECK(format_fixed(1234.5, 3) == "1234.500");
  CHECK(format_fixed(-0.001, 2) == "0.00");  // no "-0.00"
  CHECK(format_fixed(-1.5, 1) == "-1.5");
  CHECK(format_fixed(std::nan(""), 2) == "nan");
  CHECK(format_fixed(-std::numeric_limits<double>::infinity(), 2) == "-inf");
  CHECK(format_roundtrip(0.1) == "0.1");
  CHECK(format_roundtrip(1e21) == "1e+21");
  CHECK(std::stod(format_roundtrip(1.0 / 3.0)) == 1.0 / 3.0);
}

TEST_CASE("text columns align left, number columns right", "[table]") {
  TextTable t;
  t.text_column("plan").number_column("time (s)", 2).number_column("GPUs", 0);
  t.add_row({std::string("tp2 pp4"), 12.3456, 8.0});
  t.add_row({std::string("tp8"), 1.5, 64.0});
  t.add_row({std::string("dp"), std::string("-"), 128.0});
  CHECK(t.render() ==
        "plan     time (s)  GPUs\n"
        "-------  --------  ----\n"
        "tp2 pp4     12.35     8\n"
        "tp8          1.50    64\n"
        "dp              -   128\n");
  std::ostringstream out;
  t.print(out);
  CHECK(out.str() == t.render());
}

TEST_CASE("width counts UTF-8 characters, not bytes", "[table]") {
  TextTable t;
  t.text_column("unit").number_column("x", 1);
  t.add_row({std::string("µs"), 1.0});
  t.add_row({std::string("ms"), 10.0});
  CHECK(t.render() ==
        "unit     x\n"
        "----  ----\n"
        "µs     1.0\n"
        "ms    10.0\n");
}

TEST_CASE("CSV carries full precision and quotes what needs quoting", "[table]") {
  TextTable t;
  t.text_column("name").number_column("value", 1);
  t.add_row({std::string("a, b"), 0.125});
  t.add_row({std::string("say \"hi\""), 1.0 / 3.0});
  t.add_row({std::string(" padded"), std::string("-")});
  CHECK(t.csv() ==
        "name,value\n"
        "\"a, b\",0.125\n"
        "\"say \"\"hi\"\"\",0.3333333333333333\n"
        "\" padded\",-\n");
  std::ostringstream out;
  t.write_csv(out);
  CHECK(out.str() == t.csv());
}

TEST_CASE("a table refuses malformed rows", "[table]") {
  TextTable t;
  t.text_column("name").number_column("value", 2);
  CHECK_THROWS_AS(t.add_row({std::string("only one")}), InternalError);
  CHECK_THROWS_AS(t.add_row({1.0, 2.0}), InternalError);  // number in a text column
  CHECK_THROWS_AS(t.number_column("x", 18), InternalError);
  t.add_row({std::string("ok"), 1.0});
  CHECK_THROWS_AS(t.text_column("late"), InternalError);
  CHECK(t.rows() == 1);
  CHECK(t.columns() == 2);
}

TEST_CASE("an empty table still has its header", "[table]") {
  TextTable t;
  t.text_column("a").number_column("bb", 1);
  CHECK(t.render() == "a  bb\n-  --\n");
  CHECK(t.csv() == "a,bb\n");
}

TEST_CASE("a fractional value never shows fewer than 4 significant digits", "[table]") {
  // Regression (issue 10): a 1-decimal column printed the grid point 0.137 as "0.1".
  TextTable t;
  t.number_column("gbps", 1).number_column("rank", 0);
  t.add_row({0.137, 1.0});
  t.add_row({727.91, 2.0});
  t.add_row({2.0, 3.0});
  CHECK(t.render() ==
        "  gbps  rank\n"
        "------  ----\n"
        "0.1370     1\n"
        " 727.9     2\n"
        "   2.0     3\n");
}

TEST_CASE("a column with more decimals than 4 significant digits keeps them", "[table]") {
  TextTable t;
  t.number_column("s", 4);
  t.add_row({3.92441});
  t.add_row({1.5});
  CHECK(t.render() == "     s\n------\n3.9244\n1.5000\n");
}

TEST_CASE("generic writers: any result table as text and CSV: a metric by its unit", "[output][table]") {
  trainsim::output::Table t = trainsim::output::Table::with_columns("runs", {"name"}, {"seconds"});
  t.add_row({"a, b"}, {0.1 + 0.2});
  t.add_row({"c"}, {2.0});
  const auto text = trainsim::output::text_table(t, 2);
  CHECK(text.render() == "name  seconds\n----  -------\na, b     0.30\nc        2.00\n");
  CHECK(text.csv() == "name,seconds\n\"a, b\",0.30000000000000004\nc,2\n");
  using trainsim::output::format_metric;
  CHECK(format_metric(0.56033, "s") == "560.3 ms");
  // Four significant digits throughout (units::format_significant), trailing zeros kept.
  CHECK(format_metric(1.5 * 1024 * 1024 * 1024, "B") == "1.500 GiB");
  CHECK(format_metric(82.17e12, "FLOP/s") == "82.17 TFLOP/s");
  CHECK(format_metric(0.26341, "1") == "0.2634");
  CHECK(format_metric(12.5, "tokens/s") == "12.50 tokens/s");
  CHECK(format_metric(std::nan(""), "s") == "-");
}
