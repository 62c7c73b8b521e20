// The programs file: written and read back unchanged, and every fault of a hand-edited file
// reported at its line with the key at fault.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/programs_file.hpp"
#include "program/format.hpp"
#include "support/programs.hpp"

using namespace trainsim;
using namespace trainsim::program;
namespace fs = std::filesystem;

namespace {

// Every kind of op, on two ranks with two groups.
ProgramSet every_op() {
  Builder b;
  const int cs = b.stream("compute"), ms = b.stream("comm");
  const int pp = b.slot("pp"), tp = b.slot("tp");
  const int g = b.group("pair", {3, 5}), t = b.group("tp", {3, 5});
  const int label = b.label("all_to_all per peer");
  b.job().kind = "training";
  b.job().values = {{"tokens_per_iteration", 4096}, {"gpus", 2}};
  for (int r = 0; r < 2; ++r) {
    Program p;
    ProgramWriter w(p);
    w.alloc(cs, MemoryCategory::Weights, 1e9);
    w.marker(cs, MarkerKind::Iteration, 0);
    w.compute(cs, 0.125, Role::Forward, 3.5e12);
    Collective tpc = testing::all_reduce(4e6, Granularity::ClosedForm, 2.5);
    w.collective(cs, tp, tpc, Role::TpComm);
    if (r == 0) w.send(cs, pp, 1, 2e6, (1ull << 62) + 7);
    else w.recv(cs, pp, 0, 2e6, (1ull << 62) + 7, tp, 4e6);
    const int e = w.record(cs);
    w.wait(ms, e);
    Collective a2a;
    a2a.kind = CollectiveKind::AllToAll, a2a.algorithm = CollectiveAlgorithm::Direct, a2a.per_peer = 0;
    p.values = {r == 0 ? 0.0 : 3e6, r == 0 ? 5e6 : 0.0};
    w.collective(ms, tp, a2a, Role::Collective, label);
    w.wait(cs, w.record(ms));
    w.free(cs, MemoryCategory::Weights, 1e9);
    w.marker(cs, MarkerKind::Iteration, 0, true);
    b.add_rank(r == 0 ? 3 : 5, p, {g, t}, r == 0 ? 1.0 : 1.25, {r, 0, 0, -1});
  }
  return b.finish();
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("trainsim-test-" + std::to_string(::getpid()) + "-" + name)).string();
}

ProgramsSpec spec_of(const std::string& path) {
  ProgramsSpec s;
  s.file = path;
  s.where = {"scenario.yaml", 3, 9};
  return s;
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

std::string dumped(const ProgramSet& set) {
  std::ostringstream os;
  write_programs(set, os);
  return os.str();
}

// The message of loading `text` (as file `name`), or "" when it loads.
std::string load_error(const std::string& name, const std::string& text, int gpus = 8) {
  const std::string path = write(name, text);
  try {
    load_programs_file(spec_of(path), gpus);
  } catch (const InputError& e) {
    fs::remove(path);
    std::string m = e.what();
    return m.substr(m.find(name));  // from the file name on (the directory differs per run)
  }
  fs::remove(path);
  return "";
}

// `text` with line `n` (1-based) replaced by `line`.
std::string with_line(const std::string& text, int n, const std::string& line) {
  std::istringstream in(text);
  std::ostringstream out;
  std::string l;
  for (int i = 1; std::getline(in, l); ++i) out << (i == n ? line : l) << "\n";
  return out.str();
}

int line_of(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string l;
  for (int i = 1; std::getline(in, l); ++i)
    if (l.find(needle) != std::string::npos) return i;
  return -1;
}

}  // namespace

TEST_CASE("a program set written and read back is unchanged", "[program]") {
  const ProgramSet set = every_op();
  const std::string text = dumped(set);
  const std::string path = write("roundtrip.jsonl", text);
  const ProgramSet back = load_programs_file(spec_of(path), 8).set;
  fs::remove(path);
  CHECK(back.streams == set.streams);
  CHECK(back.slots == set.slots);
  CHECK(back.labels == set.labels);
  CHECK(back.job.kind == set.job.kind);
  CHECK(back.job.values == set.job.values);
  REQUIRE(back.groups.size() == set.groups.size());
  for (size_t g = 0; g < set.groups.size(); ++g) {
    CHECK(back.groups[g].name == set.groups[g].name);
    CHECK(back.groups[g].gpus == set.groups[g].gpus);
  }
  CHECK(back.programs == set.programs);
  REQUIRE(back.ranks.size() == set.ranks.size());
  for (size_t r = 0; r < set.ranks.size(); ++r) {
    CHECK(back.ranks[r].gpu == set.ranks[r].gpu);
    CHECK(back.ranks[r].program == set.ranks[r].program);
    CHECK(back.ranks[r].groups == set.ranks[r].groups);
    CHECK(back.ranks[r].compute_scale == set.ranks[r].compute_scale);
    CHECK(back.ranks[r].info == set.ranks[r].info);
  }
  // Byte-identical when written again.
  CHECK(dumped(back) == text);
}

TEST_CASE("a programs file's faults are reported at their line and key", "[program]") {
  const std::string good = dumped(every_op());
  REQUIRE(load_error("good.jsonl", good) == "");
  const int compute = line_of(good, "\"op\":\"compute\"");
  const int send = line_of(good, "\"op\":\"send\"");
  const int rank1 = line_of(good, "\"rank\":1");

  CHECK(load_error("f1.jsonl", "") == "f1.jsonl:1: error: the file is empty; expected a programs file (docs/programs.md)");
  CHECK(load_error("f2.jsonl", with_line(good, 1, "{\"format\":\"chakra\"}")) ==
        "f2.jsonl:1:2: error: key 'header.format': not a trainsim programs file; expected \"format\": \"trainsim-programs\"");
  CHECK_THAT(load_error("f3.jsonl", with_line(good, 1, "{\"format\":\"trainsim-programs\",\"version\":2}")),
             Catch::StartsWith("f3.jsonl:1:31: error: key 'header.version': version 2 is not supported; this trainsim reads version 1"));
  CHECK(load_error("f4.jsonl", with_line(good, compute, "{\"op\":\"compute\",\"stream\":\"compute\",\"secs\":1}")) ==
        "f4.jsonl:" + std::to_string(compute) + ":1: error: key 'op.seconds': missing; every op line needs it");
  CHECK(load_error("f5.jsonl", with_line(good, compute, "{\"op\":\"compute\",\"stream\":\"compute\",\"seconds\":1,\"secs\":1}")) ==
        "f5.jsonl:" + std::to_string(compute) + ":48: error: key 'op.secs': unknown key; op lines take: op, "
        "stream, role, label, seconds, flops");
  CHECK(load_error("f6.jsonl", with_line(good, compute, "{\"op\":\"compute\",\"stream\":\"compute\",\"seconds\":-1}")) ==
        "f6.jsonl:" + std::to_string(compute) + ":36: error: key 'op.seconds': value -1 is out of range; expected >= 0");
  CHECK(load_error("f7.jsonl", with_line(good, compute, "{\"op\":\"kompute\",\"stream\":\"compute\",\"seconds\":1}")) ==
        "f7.jsonl:" + std::to_string(compute) + ":2: error: key 'op.op': unknown value \"kompute\"; expected one of: compute, "
        "send, recv, collective, record, wait, alloc, free, marker");
  CHECK(load_error("f8.jsonl", with_line(good, compute, "{\"op\":\"compute\",\"stream\":\"gpu\",\"seconds\":1}")) ==
        "f8.jsonl:" + std::to_string(compute) + ":17: error: key 'op.stream': unknown stream \"gpu\"; expected one of: compute, comm");
  CHECK(load_error("f9.jsonl", with_line(good, compute, "[1, 2]")) ==
        "f9.jsonl:" + std::to_string(compute) + ":1: error: expected a JSON object on each line, got a list");
  CHECK_THAT(load_error("f10.jsonl", with_line(good, compute, "{\"op\": ")),
             Catch::StartsWith("f10.jsonl:" + std::to_string(compute) + ":8: error: not valid JSON"));
  // Faults found by validate() point at the op, rank or group line.
  std::string bad_peer = good;
  bad_peer = with_line(bad_peer, send, "{\"op\":\"send\",\"stream\":\"compute\",\"slot\":\"pp\",\"peer\":4,\"bytes\":2000000.0,\"tag\":4611686018427387911}");
  CHECK(load_error("f11.jsonl", bad_peer) == "f11.jsonl:" + std::to_string(send) +
                                                 ": error: key 'op.peer': peer 4 is outside group 'pair' of 2 ranks (rank 0)");
  CHECK(load_error("f12.jsonl", good, 5) == "f12.jsonl:2: error: key 'group.gpus': GPU 5 of group 'pair' is outside 0..4");
  CHECK(load_error("f13.jsonl", with_line(good, rank1, "{\"rank\":1,\"gpu\":5,\"program\":0,\"groups\":{\"pp\":\"pair\",\"tp\":\"pear\"}}")) ==
        "f13.jsonl:" + std::to_string(rank1) + ":31: error: key 'rank.groups': slot \"tp\" names \"pear\", which is not a group of the file");
  // Not a regular file (a device would be read for ever).
  try {
    load_programs_file(spec_of("/dev/zero"), 8);
    FAIL("expected /dev/zero to be refused");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "scenario.yaml:3:9: error: key 'job.file': '/dev/zero' is not a regular file; expected a programs file");
  }
  // Cut short, or with more than the header announces.
  const std::string cut = good.substr(0, good.rfind("{\"rank\":1"));
  CHECK(load_error("f14.jsonl", cut) == "f14.jsonl:" + std::to_string(rank1 - 1) +
                                            ": error: the file ends before rank 1 of the 2 its header announces");
  CHECK(load_error("f15.jsonl", good + "{\"rank\":2}\n") ==
        "f15.jsonl:" + std::to_string(rank1 + 1) + ":1: error: unexpected line after the last rank; the header announces 2 ranks");
}
