// The serialized form of results (output/result_json.hpp): exact round trip of every double,
// byte-identical text for the same results, and refusal of documents it did not write.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "output/result_json.hpp"

using namespace trainsim::output;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

TraceData sample() {
  TraceData r;
  const double awkward[] = {0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1e20, 3.0, 2.0 / 3.0,
                            std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                            std::numeric_limits<double>::quiet_NaN()};
  for (size_t i = 0; i < std::size(awkward); ++i)
    r.summary.push_back({"m" + std::to_string(i), awkward[i], i % 2 ? "s" : "B/s"});
  r.summary_text.push_back({"method", "Streaming DiLoCo \"eager\"\n"});
  Table t{"sweep", {"bandwidth", "cu"}, {{1e9, 2.5e9}, {0.25, 1.0 / 3.0}}, {"method"}, {{"DiLoCo", "DP"}}};
  r.tables.push_back(t);
  r.tables.push_back(Table{"empty", {}, {}, {}, {}});
  return r;
}

}  // namespace

TEST_CASE("results JSON: every metric, text and table reads back exactly", "[output][results]") {
  const TraceData r = sample();
  const std::string text = results_to_json(r);
  const TraceData back = results_from_json(text);
  REQUIRE(back.summary.size() == r.summary.size());
  for (size_t i = 0; i < r.summary.size(); ++i) {
    INFO(r.summary[i].name);
    CHECK(back.summary[i].name == r.summary[i].name);
    CHECK(back.summary[i].unit == r.summary[i].unit);
    CHECK(same_bits(back.summary[i].value, r.summary[i].value));
  }
  CHECK(std::signbit(back.summary[1].value));  // -0.0 stays negative
  REQUIRE(back.summary_text.size() == 1);
  CHECK(back.summary_text[0].value == r.summary_text[0].value);
  REQUIRE(back.tables.size() == 2);
  CHECK(back.tables[0].name == "sweep");
  CHECK(back.tables[0].numeric_names == r.tables[0].numeric_names);
  for (size_t c = 0; c < 2; ++c)
    for (size_t i = 0; i < 2; ++i) CHECK(same_bits(back.tables[0].numeric_columns[c][i], r.tables[0].numeric_columns[c][i]));
  CHECK(back.tables[0].text_columns == r.tables[0].text_columns);
  CHECK(back.tables[1].rows() == 0);
  // Written again from what was read, the text is the same bytes.
  CHECK(results_to_json(back) == text);
}

TEST_CASE("results JSON: one line in a fixed key order", "[output][results]") {
  TraceData r;
  r.summary.push_back({"iteration time", 5.19, "s"});
  r.tables.push_back(Table{"t", {"x"}, {{1.0}}, {"k"}, {{"a"}}});
  CHECK(results_to_json(r) ==
        "{\"format\":\"trainsim-result\",\"version\":1,\"metrics\":[{\"name\":\"iteration time\",\"value\":5.19,"
        "\"unit\":\"s\"}],\"texts\":[],\"tables\":[{\"name\":\"t\",\"numeric\":[{\"name\":\"x\",\"values\":[1.0]}],"
        "\"text\":[{\"name\":\"k\",\"values\":[\"a\"]}]}]}");
}

TEST_CASE("results JSON: documents it did not write are refused with the reason", "[output][results]") {
  CHECK_THROWS_WITH(results_from_json("{"), Catch::StartsWith("results JSON: not JSON"));
  CHECK_THROWS_WITH(results_from_json(R"({"format":"other","version":1})"), Catch::Contains("format is not 'trainsim-result'"));
  CHECK_THROWS_WITH(results_from_json(R"({"format":"trainsim-result","version":2})"), Catch::Contains("version 2 is not 1"));
  CHECK_THROWS_WITH(results_from_json(R"({"format":"trainsim-result","version":1,"metrics":[{"name":"a","value":"x","unit":"s"}],"texts":[],"tables":[]})"),
                    Catch::Contains("metric a is not a number"));
  CHECK_THROWS_WITH(
      results_from_json(R"({"format":"trainsim-result","version":1,"metrics":[],"texts":[],"tables":[{"name":"t","numeric":[{"name":"a","values":[1,2]},{"name":"b","values":[1]}],"text":[]}]})"),
      Catch::Contains("table t: column b has 1 rows, expected 2"));
  CHECK_THROWS_WITH(results_from_json(R"({"format":"trainsim-result","version":1,"texts":[],"tables":[]})"),
                    Catch::Contains("the document has no 'metrics'"));
}

TEST_CASE("results: tables built row by row, and readers that name what is missing", "[output][results]") {
  TraceData r;
  r.summary.push_back({"round_time", 2.5, "s"});
  r.summary_text.push_back({"method", "DiLoCo"});
  Table t = Table::with_columns("workers", {"name"}, {"compute", "wait"});
  t.add_row({"a"}, {1.0, 0.5});
  t.add_row({"b"}, {2.0, 0.0});
  CHECK_THROWS_WITH(t.add_row({"c"}, {1.0}), Catch::Contains("row of table 'workers' has the wrong width"));
  r.tables.push_back(t);
  const TraceData back = results_from_json(results_to_json(r));
  CHECK(metric_value(back, "round_time") == 2.5);
  CHECK(text_value(back, "method") == "DiLoCo");
  CHECK(numeric_column(table_named(back, "workers"), "wait") == std::vector<double>{0.5, 0.0});
  CHECK(text_column(table_named(back, "workers"), "name") == std::vector<std::string>{"a", "b"});
  CHECK_THROWS_WITH(metric_value(back, "utilization"), Catch::Contains("no metric 'utilization'"));
  CHECK_THROWS_WITH(text_value(back, "model"), Catch::Contains("no text 'model'"));
  CHECK_THROWS_WITH(table_named(back, "links"), Catch::Contains("no table 'links'"));
  CHECK_THROWS_WITH(numeric_column(table_named(back, "workers"), "window"), Catch::Contains("no numeric column 'window'"));
  CHECK_THROWS_WITH(text_column(table_named(back, "workers"), "model"), Catch::Contains("no text column 'model'"));
}

TEST_CASE("results JSON: any text makes a readable document (control characters, invalid UTF-8)", "[output][results]") {
  TraceData r;
  r.summary_text.push_back({"message", std::string("a\x01\tb \"q\" \\ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")});
  r.summary_text.push_back({"path", std::string("bad\xff\xc3(end")});
  const TraceData back = results_from_json(results_to_json(r));
  CHECK(back.summary_text[0].value == r.summary_text[0].value);  // valid UTF-8 kept as it is
  CHECK(back.summary_text[1].value == "bad\xef\xbf\xbd\xef\xbf\xbd(end");  // each invalid byte: U+FFFD
  CHECK(results_to_json(r).find('\n') == std::string::npos);
}

TEST_CASE("results JSON: the fast reader of the canonical text and the general reader agree", "[output][results]") {
  // A space after the first brace leaves the canonical form: the general reader reads it.
  const std::string canonical = results_to_json(sample());
  const std::string spaced = "{ " + canonical.substr(1);
  const TraceData fast = results_from_json(canonical), general = results_from_json(spaced);
  CHECK(results_to_json(general) == canonical);
  REQUIRE(fast.summary.size() == general.summary.size());
  for (size_t i = 0; i < fast.summary.size(); ++i) CHECK(same_bits(fast.summary[i].value, general.summary[i].value));
  CHECK(fast.summary_text[0].value == general.summary_text[0].value);
  // An integer is an integer to both: "-0" reads as +0.0, "7" as 7.0.
  const std::string ints = R"({"format":"trainsim-result","version":1,"metrics":[{"name":"a","value":-0,"unit":"1"},)"
                           R"({"name":"b","value":7,"unit":"1"}],"texts":[],"tables":[]})";
  const TraceData i = results_from_json(ints);
  CHECK_FALSE(std::signbit(i.summary[0].value));
  CHECK(i.summary[1].value == 7.0);
  // A canonical-looking document with a mistake still gets the general reader's message.
  std::string bad = canonical;
  bad.insert(bad.find("\"tables\":[") + 10, "{\"name\":\"t\",\"numeric\":[{\"name\":\"a\",\"values\":[1,2]},{\"name\":\"b\",\"values\":[1]}],\"text\":[]},");
  CHECK_THROWS_WITH(results_from_json(bad), Catch::Contains("table t: column b has 1 rows, expected 2"));
}
