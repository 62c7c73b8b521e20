// The strict YAML reader: locations, key paths, suggestions, quantities, duplicates.
#include <catch2/catch.hpp>

#include <functional>

#include "config/yaml_reader.hpp"
#include "support/input_error.hpp"

using namespace trainsim;
using testing::message_of;

namespace {
YamlMap root_of(const std::string& text, const std::string& path = "p") {
  return YamlMap(parse_yaml(text, "t.yaml"), "t.yaml", path);
}
}  // namespace

TEST_CASE("reader: quantities are parsed with units and refused bare") {
  auto m = root_of("bw: 200Gbps\nlat: 1.5us\nmem: 80GiB\nbare: 200\nneg: -1us\nzero: 0GB/s\n");
  CHECK(m.get_quantity("bw", units::Kind::Bandwidth, Bound::Positive) == Approx(25e9));
  CHECK(m.get_quantity("lat", units::Kind::Time, Bound::NonNegative) == Approx(1.5e-6));
  CHECK(m.get_quantity("mem", units::Kind::Size, Bound::Positive) == Approx(80.0 * (1ull << 30)));
  CHECK(message_of([&] { m.get_quantity("bare", units::Kind::Bandwidth, Bound::Positive); }) ==
        "t.yaml:4:7: error: key 'p.bare': expected a bandwidth with a unit (one of: " +
            units::accepted_units(units::Kind::Bandwidth) + "), got the bare number \"200\"");
  CHECK(message_of([&] { m.get_quantity("neg", units::Kind::Time, Bound::NonNegative); }) ==
        "t.yaml:5:6: error: key 'p.neg': expected a non-negative time, got \"-1us\"");
  CHECK(message_of([&] { m.get_quantity("zero", units::Kind::Bandwidth, Bound::Positive); }) ==
        "t.yaml:6:7: error: key 'p.zero': expected a positive bandwidth, got \"0GB/s\"");
  CHECK(m.optional_quantity("absent", units::Kind::Time, Bound::NonNegative, 7.0) == 7.0);
}

TEST_CASE("reader: unknown keys are refused with the nearest known key") {
  auto m = root_of("bandwidht: 1Gbps\nlatency: 1us\n");
  m.get_quantity("latency", units::Kind::Time, Bound::NonNegative);
  m.optional_quantity("bandwidth", units::Kind::Bandwidth, Bound::Positive, 1.0);
  CHECK(message_of([&] { m.finish(); }) ==
        "t.yaml:1:1: error: key 'p.bandwidht': unknown key 'bandwidht' (did you mean 'bandwidth'?)");
  auto far = root_of("zzz: 1\nlatency: 1us\n");
  far.get_quantity("latency", units::Kind::Time, Bound::NonNegative);
  far.has("count");
  CHECK(message_of([&] { far.finish(); }) ==
        "t.yaml:1:1: error: key 'p.zzz': unknown key 'zzz'; allowed keys here: count, latency");
}

TEST_CASE("reader: missing keys point at the map, wrong types say what was found") {
  auto m = root_of("a: [1, 2]\nb: {x: 1}\nc: abc\nd: '12'\ne: 12\nf:\n");
  CHECK(message_of([&] { m.get_string("nope"); }) ==
        "t.yaml:1:1: error: key 'p.nope': required key is missing");
  CHECK(message_of([&] { m.get_map("a"); }) == "t.yaml:1:4: error: key 'p.a': expected a map, got a list");
  CHECK(message_of([&] { m.get_string("b"); }) == "t.yaml:2:4: error: key 'p.b': expected a string, got a map");
  CHECK(message_of([&] { m.get_int("c", 0, 10); }) ==
        "t.yaml:3:4: error: key 'p.c': expected an integer between 0 and 10, got \"abc\"");
  CHECK(message_of([&] { m.get_int("d", 0, 100); }) ==
        "t.yaml:4:4: error: key 'p.d': expected an integer between 0 and 100, got the string \"12\"");
  CHECK(message_of([&] { m.get_int("e", 0, 10); }) ==
        "t.yaml:5:4: error: key 'p.e': expected an integer between 0 and 10, got 12");
  CHECK(m.get_int("e", 0, 100) == 12);
  // An empty value is located at its key (yaml-cpp has no position for it).
  CHECK(message_of([&] { m.get_map("f"); }) == "t.yaml:6:1: error: key 'p.f': expected a map, got nothing");
}

TEST_CASE("reader: enums list the allowed values and suggest one") {
  enum class K { A, B };
  const std::vector<std::pair<std::string, K>> values = {{"nvswitch", K::A}, {"nvlink_mesh", K::B}};
  auto m = root_of("k: nvswich\nok: nvlink_mesh\nl: [nvswitch, nvswitch]\n");
  CHECK(m.get_enum("ok", values) == K::B);
  CHECK(message_of([&] { m.get_enum("k", values); }) ==
        "t.yaml:1:4: error: key 'p.k': expected one of: nvswitch, nvlink_mesh; got \"nvswich\" (did you "
        "mean 'nvswitch'?)");
  CHECK(message_of([&] { m.get_enum_list("l", values); }) ==
        "t.yaml:3:15: error: key 'p.l[1]': \"nvswitch\" is listed twice");
  CHECK(m.optional_enum("absent", values, K::A) == K::A);
}

TEST_CASE("reader: duplicate keys, syntax errors and extra documents are input errors") {
  CHECK(message_of([] { root_of("a: 1\nb: 2\na: 3\n"); }) ==
        "t.yaml:3:1: error: key 'p.a': duplicate key 'a' (first given at line 1)");
  CHECK(message_of([] { parse_yaml("a: [1, 2\nb: 3\n", "t.yaml"); }) ==
        "t.yaml:1:4: error: key 'a': YAML syntax error: this '[' is never closed (a missing ']', or a missing ',' "
        "between its entries)");
  CHECK(message_of([] { parse_yaml("a: 1\n---\nb: 2\n", "t.yaml"); }) ==
        "t.yaml:2:1: error: expected one YAML document, found a second one ('---'); each input file holds one");
  CHECK(parse_yaml("", "t.yaml").IsNull());
}

TEST_CASE("reader: booleans, numbers and lists are strict") {
  auto m = root_of("t: true\ny: yes\nn: 1.5\nq: '1.5'\nli: [1, 2, x]\nls: [a, [b]]\n");
  CHECK(m.optional_bool("t", false));
  CHECK(message_of([&] { m.optional_bool("y", false); }) ==
        "t.yaml:2:4: error: key 'p.y': expected true or false, got \"yes\"");
  CHECK(m.get_number("n", 1, 2) == 1.5);
  CHECK(message_of([&] { m.get_number("n", 2, 3); }) ==
        "t.yaml:3:4: error: key 'p.n': expected a number between 2 and 3, got 1.5");
  CHECK(message_of([&] { m.get_number("q", 0, 3); }) ==
        "t.yaml:4:4: error: key 'p.q': expected a number between 0 and 3, got the string \"1.5\"");
  CHECK(message_of([&] { m.get_int_list("li", 0, 9); }) ==
        "t.yaml:5:12: error: key 'p.li[2]': expected an integer between 0 and 9, got \"x\"");
  CHECK(message_of([&] { m.get_string_list("ls"); }) ==
        "t.yaml:6:9: error: key 'p.ls[1]': expected a string, got a list");
}

TEST_CASE("reader: suggestions use edit distance with a length-scaled limit") {
  CHECK(did_you_mean("bandwith", {"latency", "bandwidth"}) == "did you mean 'bandwidth'?");
  CHECK(did_you_mean("a100-80gb", {"A100-40GB", "A100-80GB"}) == "did you mean 'A100-80GB'?");
  CHECK(did_you_mean("qqqqqq", {"latency", "bandwidth"}).empty());
}

TEST_CASE("reader: forbidden keys name the reason and are never suggested") {
  auto m = root_of("kind: x\nnodes_per_leaf: 4\n");
  CHECK(message_of([&] { m.forbid("nodes_per_leaf", "not with this kind"); }) ==
        "t.yaml:2:17: error: key 'p.nodes_per_leaf': not with this kind");
  auto n = root_of("kind: x\nnodes_per_lef: 4\n");
  n.get_string("kind");
  n.forbid("nodes_per_leaf", "no");
  CHECK(message_of([&] { n.finish(); }) ==
        "t.yaml:2:1: error: key 'p.nodes_per_lef': unknown key 'nodes_per_lef'; allowed keys here: kind");
}
