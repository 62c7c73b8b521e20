// The completed-runs journal that lets an interrupted sweep resume (core/journal.hpp).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/journal.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

namespace {
std::string fresh_output(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("trainsim-journal-" + name + "-" + std::to_string(::getpid()) + ".h5");
  fs::remove(p.string() + ".partial");
  return p.string();
}
}  // namespace

TEST_CASE("journal: records survive a restart and finish() removes the file") {
  const std::string out = fresh_output("restart");
  {
    RunJournal j(out);
    CHECK(j.completed().empty());
    j.record("model=1b method=diloco gbps=10", "0.93");
    j.record("tab\tand\nnewline\\", "multi\nline\tresult");
  }
  RunJournal again(out);
  CHECK(again.completed().size() == 2);
  CHECK(again.done("model=1b method=diloco gbps=10"));
  CHECK(again.result("model=1b method=diloco gbps=10") == "0.93");
  CHECK(again.result("tab\tand\nnewline\\") == "multi\nline\tresult");
  CHECK_FALSE(again.done("never ran"));
  CHECK_THROWS_AS(again.result("never ran"), InternalError);
  again.finish();
  CHECK_FALSE(fs::exists(out + ".partial"));
}

TEST_CASE("journal: a line cut short by an interruption is ignored, a foreign line refused") {
  const std::string out = fresh_output("cut");
  std::ofstream(out + ".partial") << "a\t1\nb\t2\nc\t3";  // the last record lost its newline
  RunJournal j(out);
  CHECK(j.completed().size() == 2);
  CHECK_FALSE(j.done("c"));
  j.finish();
  std::ofstream(out + ".partial") << "a\t1\nnot a journal\n";
  CHECK_THROWS_WITH(RunJournal(out), Catch::Contains(":2:1: error:") && Catch::Contains("not a sweep journal line"));
  fs::remove(out + ".partial");
}

TEST_CASE("journal: escaping round-trips every byte") {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  CHECK(RunJournal::unescape(RunJournal::escape(all)) == all);
  CHECK(RunJournal::escape("a\tb\nc\\") == "a\\tb\\nc\\\\");
}
