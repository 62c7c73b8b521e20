// Outputs only ever create or replace regular files, never over another run's file unless
// --force, with their folders created and every refusal naming the path and the reason
// (output/atomic_file.hpp, output/output_plan.hpp, docs/robustness.md "Outputs"; issue 10).
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "output/atomic_file.hpp"
#include "output/output_error.hpp"
#include "output/output_plan.hpp"
#include "scratch_dir.hpp"
#include "support/files.hpp"

using namespace trainsim;
using namespace trainsim::output;
using namespace trainsim::output::testing;
namespace fs = std::filesystem;

namespace {

using trainsim::testing::read_file;

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const OutputError& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("atomic file: --force never replaces a FIFO, a symbolic link or a device", "[output]") {
  // Regression: `--chrome-trace /dev/full --force` replaced a device node with a regular file.
  ScratchDir dir("special");
  const fs::path fifo = dir.path / "fifo", link = dir.path / "link", target = dir.path / "target";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  { std::ofstream(target) << "not mine"; }
  fs::create_symlink(target, link);
  CHECK_THAT(refusal([&] { write_text_file(fifo.string(), "x", Existing::Replace); }),
             Catch::Contains("is a FIFO (named pipe); trainsim only creates or replaces regular files"));
  CHECK_THAT(refusal([&] { write_text_file(link.string(), "x", Existing::Replace); }),
             Catch::Contains("is a symbolic link"));
  CHECK_THAT(refusal([&] { write_text_file(dir.path.string() + "/", "x", Existing::Replace); }),
             Catch::Contains("names a folder"));
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(read_file(target) == "not mine");
  if (::geteuid() == 0) {
    const fs::path device = dir.path / "full";
    REQUIRE(::mknod(device.c_str(), S_IFCHR | 0600, makedev(1, 7)) == 0);  // what /dev/full is
    CHECK_THAT(refusal([&] { write_text_file(device.string(), "x", Existing::Replace); }),
               Catch::Contains("is a device"));
    CHECK(fs::is_character_file(fs::symlink_status(device)));
  }
  // Nothing else was created: no temporary left behind.
  for (const auto& name : dir.entries()) CHECK(name.find(".tmp-") == std::string::npos);
}

TEST_CASE("atomic file: a file that appears while writing is never replaced without --force", "[output]") {
  // Regression: two runs writing the same output both exited 0 and the later silently won.
  ScratchDir dir("race");
  const fs::path target = dir.path / "t.txt";
  AtomicOutputFile file(target.string());
  { std::ofstream(file.temp_path()) << "mine"; }
  { std::ofstream(target) << "the other run's"; }  // appears meanwhile
  CHECK_THAT(refusal([&] { file.commit(); }), Catch::Contains("a file appeared at this path during the run") &&
                                                  Catch::Contains("pass --force to replace it"));
  CHECK(read_file(target) == "the other run's");
  CHECK(dir.entries() == std::vector<std::string>{"t.txt"});  // our temporary is gone too
  SECTION("with --force, a regular file is replaced") {
    write_text_file(target.string(), "forced", Existing::Replace);
    CHECK(read_file(target) == "forced");
  }
  SECTION("without --force, an existing file is refused when the output is committed") {
    AtomicOutputFile again(target.string());
    CHECK_THAT(refusal([&] { again.commit(); }), Catch::Contains("pass --force to replace it"));
    CHECK(read_file(target) == "the other run's");
  }
}

TEST_CASE("atomic file: missing parent folders are created: the temporary is created exclusively", "[output]") {
  ScratchDir dir("parents");
  const fs::path target = dir.path / "a" / "b" / "t.txt";
  // A stale file under the temporary's first name is neither truncated nor followed.
  fs::create_directories(target.parent_path());
  const fs::path stale = target.parent_path() / (".t.txt.tmp-" + std::to_string(::getpid()));
  { std::ofstream(stale) << "stale"; }
  write_text_file(target.string(), "new", Existing::Refuse);
  CHECK(read_file(target) == "new");
  CHECK(read_file(stale) == "stale");
}

TEST_CASE("output plan: checks every output before the run and cleans up the folders it made", "[output]") {
  ScratchDir dir("plan");
  SECTION("folders are created now and removed if nothing was written") {
    {
      OutputPlan plan(Existing::Refuse);
      plan.add((dir.path / "new" / "deep" / "t.h5").string(), "--trace");
      CHECK(fs::is_directory(dir.path / "new" / "deep"));
    }
    CHECK(dir.entries().empty());
  }
  SECTION("folders that received an output stay") {
    {
      OutputPlan plan(Existing::Refuse);
      plan.add((dir.path / "new" / "t.txt").string(), "--trace");
      write_text_file((dir.path / "new" / "t.txt").string(), "x", plan.existing());
    }
    CHECK(read_file(dir.path / "new" / "t.txt") == "x");
  }
  SECTION("an existing file, a parent that is a file, two outputs on one path") {
    { std::ofstream(dir.path / "exists.h5") << "x"; }
    OutputPlan plan(Existing::Refuse);
    CHECK(refusal([&] { plan.add((dir.path / "exists.h5").string(), "--trace"); }) ==
          (dir.path / "exists.h5").string() + ": error: key '--trace': the file exists; pass --force to replace it");
    CHECK_THAT(refusal([&] { plan.add((dir.path / "exists.h5" / "t.h5").string(), "--trace"); }),
               Catch::Contains("is not a folder"));
    plan.add((dir.path / "a.json").string(), "--chrome-trace");
    CHECK_THAT(refusal([&] { plan.add((dir.path / "." / "a.json").string(), "--trace"); }),
               Catch::Contains("key '--trace': the same file is also the output of --chrome-trace"));
  }
  SECTION("an unwritable folder is refused with the operating system's reason") {
    // /sys refuses new files even to root (sysfs): "Permission denied" or "Read-only file system".
    OutputPlan plan(Existing::Refuse);
    CHECK_THAT(refusal([&] { plan.add("/sys/trainsim-probe.h5", "--trace"); }),
               Catch::StartsWith("/sys/trainsim-probe.h5: error: key '--trace': cannot write in the folder '/sys': "));
    if (::geteuid() != 0) {
      fs::create_directory(dir.path / "ro");
      fs::permissions(dir.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
      CHECK_THAT(refusal([&] { plan.add((dir.path / "ro" / "t.h5").string(), "--trace"); }),
                 Catch::EndsWith("Permission denied"));
    }
  }
}
