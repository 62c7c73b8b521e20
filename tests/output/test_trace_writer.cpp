#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include "core/error.hpp"
#include "h5_read.hpp"
#include "output/output_error.hpp"
#include "output/trace_writer.hpp"
#include "sample_trace.hpp"
#include "scratch_dir.hpp"
#include "support/files.hpp"

using namespace trainsim;
using namespace trainsim::output;
using namespace trainsim::output::testing;
namespace fs = std::filesystem;

namespace {

using trainsim::testing::read_file;

struct OpenFile {
  hid_t id;
  explicit OpenFile(const fs::path& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    if (id < 0) throw std::runtime_error("cannot open " + path.string());
  }
  ~OpenFile() { H5Fclose(id); }
};

bool exists(hid_t file, const char* path) { return H5Lexists(file, path, H5P_DEFAULT) > 0; }

}  // namespace

TEST_CASE("label table interns in first-use order", "[trace]") {
  TraceData t;
  CHECK(t.label("a") == 0);
  CHECK(t.label("b") == 1);
  CHECK(t.label(std::string_view("a")) == 0);
  CHECK(t.labels.names() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("activity kinds have distinct stable names", "[trace]") {
  std::set<std::string> names;
  for (std::size_t k = 0; k < kActivityKindCount; ++k) {
    std::string name = activity_kind_name(static_cast<ActivityKind>(k));
    CHECK(name != "unknown");
    names.insert(name);
  }
  CHECK(names.size() == kActivityKindCount);
  CHECK(std::string(activity_kind_name(ActivityKind::BackwardWeight)) == "backward_weight");
  CHECK(std::string(activity_kind_name(static_cast<ActivityKind>(kActivityKindCount))) == "unknown");
  CHECK(sizeof(ActivityRecord) == 64);
}

TEST_CASE("link utilization is busy time over makespan", "[trace]") {
  LinkStats link{"l", "nic", 1e9, 0, 0, 3.0};
  CHECK(link_utilization(link, 12.0) == Approx(0.25));
  CHECK(std::isnan(link_utilization(link, 0.0)));
}

TEST_CASE("a written trace reads back with the documented layout", "[trace][hdf5]") {
  ScratchDir dir("readback");
  TraceData data = make_sample_trace();
  write_trace_hdf5(data, (dir.path / "t.h5").string());
  CHECK(dir.entries() == std::vector<std::string>{"t.h5"});  // no temporary left behind

  OpenFile f(dir.path / "t.h5");
  CHECK(read_attr_string(f.id, "format") == "trainsim-trace");
  CHECK(read_attr<int32_t>(f.id, "format_version", H5T_NATIVE_INT32) == kTraceFormatVersion);
  CHECK(read_attr<uint64_t>(f.id, "seed", H5T_NATIVE_UINT64) == 42);
  CHECK(read_attr<double>(f.id, "makespan", H5T_NATIVE_DOUBLE) == 8.0);
  CHECK(read_attr_string(f.id, "scenario_file") == "examples/sample.yaml");
  CHECK(read_attr_string(f.id, "command_line") == data.command_line);
  CHECK(read_attr_string(f.id, "trainsim_version") == "0.1.0");
  CHECK(read_attr_string(f.id, "simgrid_version") == "3.32");
  {
    H5Closer ds{must(H5Dopen2(f.id, "/scenario/text", H5P_DEFAULT), "text"), H5Dclose};
    H5Closer type{H5Dget_type(ds.id), H5Tclose};
    REQUIRE(H5Tis_variable_str(type.id) > 0);
    char* raw = nullptr;
    H5Closer mem{H5Tcopy(type.id), H5Tclose};
    must(H5Dread(ds.id, mem.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, &raw), "text");
    CHECK(std::string(raw) == data.scenario_text);
    H5free_memory(raw);
  }
  CHECK(read_strings(f.id, "/labels") == std::vector<std::string>{"fwd", "bwd", "send µ-batch"});

  const std::size_t n = data.activities.size();
  auto start = read_f64(f.id, "/activities/start");
  auto end = read_f64(f.id, "/activities/end");
  auto bytes = read_f64(f.id, "/activities/bytes");
  auto flops = read_f64(f.id, "/activities/flops");
  auto gpu = read_i32(f.id, "/activities/gpu");
  auto peer = read_i32(f.id, "/activities/peer");
  auto stage = read_i32(f.id, "/activities/stage");
  auto mb = read_i32(f.id, "/activities/micro_batch");
  auto chunk = read_i32(f.id, "/activities/chunk");
  auto step = read_i32(f.id, "/activities/step");
  auto label = read_i32(f.id, "/activities/label");
  auto kind = read_numbers<uint8_t>(f.id, "/activities/kind", H5T_NATIVE_UINT8);
  REQUIRE(start.size() == n);
  REQUIRE(kind.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    const ActivityRecord& a = data.activities[i];
    CHECK(start[i] == a.start);
    CHECK(end[i] == a.end);
    CHECK(bytes[i] == a.bytes);
    CHECK(flops[i] == a.flops);
    CHECK(gpu[i] == a.gpu);
    CHECK(peer[i] == a.peer);
    CHECK(stage[i] == a.stage);
    CHECK(mb[i] == a.micro_batch);
    CHECK(chunk[i] == a.chunk);
    CHECK(step[i] == a.step);
    CHECK(label[i] == a.label);
    CHECK(kind[i] == static_cast<uint8_t>(a.kind));
  }
  auto kind_names = read_strings(f.id, "/activities/kind_names");
  REQUIRE(kind_names.size() == kActivityKindCount);
  CHECK(kind_names[static_cast<int>(ActivityKind::PpSend)] == "pp_send");
  {  // the kind column is an HDF5 enum whose names match kind_names
    H5Closer ds{must(H5Dopen2(f.id, "/activities/kind", H5P_DEFAULT), "kind"), H5Dclose};
    H5Closer type{H5Dget_type(ds.id), H5Tclose};
    REQUIRE(H5Tget_class(type.id) == H5T_ENUM);
    char name[64];
    uint8_t value = static_cast<uint8_t>(ActivityKind::OuterSync);
    REQUIRE(H5Tenum_nameof(type.id, &value, name, sizeof name) >= 0);
    CHECK(std::string(name) == "outer_sync");
  }
  {
    H5Closer ds{must(H5Dopen2(f.id, "/activities/flops", H5P_DEFAULT), "flops"), H5Dclose};
    CHECK(read_attr_string(ds.id, "unit") == "FLOP");
  }

  CHECK(read_strings(f.id, "/links/name") == std::vector<std::string>{"nvlink-0", "nic-0"});
  CHECK(read_strings(f.id, "/links/tier") == std::vector<std::string>{"nvlink", "nic"});
  CHECK(read_f64(f.id, "/links/bandwidth") == std::vector<double>{450e9, 50e9});
  CHECK(read_f64(f.id, "/links/latency") == std::vector<double>{1e-6, 5e-6});
  CHECK(read_f64(f.id, "/links/bytes") == std::vector<double>{1e9, 2e8});
  CHECK(read_f64(f.id, "/links/busy_time") == std::vector<double>{2.0, 4.0});
  CHECK(read_f64(f.id, "/links/utilization") == std::vector<double>{0.25, 0.5});  // 2/8, 4/8

  CHECK(read_i32(f.id, "/link_series/link") == std::vector<int32_t>{0, 1});
  CHECK(read_f64(f.id, "/link_series/bytes") == data.link_series.bytes);
  {
    H5Closer g{must(H5Gopen2(f.id, "/link_series", H5P_DEFAULT), "link_series"), H5Gclose};
    CHECK(read_attr<double>(g.id, "bin_width", H5T_NATIVE_DOUBLE) == 1.0);
  }

  CHECK(read_strings(f.id, "/gpus/name") == std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3"});
  CHECK(read_strings(f.id, "/gpus/node") == std::vector<std::string>{"node0", "node0", "node1", "node1"});
  CHECK(read_i32(f.id, "/gpus/stage") == std::vector<int32_t>{0, 0, 1, 1});
  CHECK(read_i32(f.id, "/gpus/local_index") == std::vector<int32_t>{0, 1, 0, 1});

  CHECK(read_strings(f.id, "/summary/name") == std::vector<std::string>{"makespan", "throughput"});
  CHECK(read_f64(f.id, "/summary/value") == std::vector<double>{8.0, 1234.5});
  CHECK(read_strings(f.id, "/summary/unit") == std::vector<std::string>{"s", "tokens/s"});
  CHECK(read_strings(f.id, "/summary_text/value") == std::vector<std::string>{"1f1b", "H200"});

  CHECK(read_f64(f.id, "/tables/sweep/tp") == std::vector<double>{1, 2, 4});
  CHECK(read_f64(f.id, "/tables/sweep/time") == std::vector<double>{3.5, 2.0, 1.25});
  CHECK(read_strings(f.id, "/tables/sweep/plan") == std::vector<std::string>{"a", "b", "c"});
  CHECK(rows_of(f.id, "/tables/empty/x") == 0);
}

TEST_CASE("an empty trace has every dataset, with zero rows", "[trace][hdf5]") {
  ScratchDir dir("empty");
  TraceData data;
  Table table;
  table.name = "nothing";
  table.text_names = {"who"};
  table.text_columns = {{}};
  data.tables.push_back(table);
  write_trace_hdf5(data, (dir.path / "e.h5").string());
  OpenFile f(dir.path / "e.h5");
  for (const char* path : {"/labels", "/activities/start", "/activities/kind", "/activities/label", "/links/name",
                           "/links/utilization", "/link_series/link", "/link_series/bytes", "/gpus/name",
                           "/summary/name", "/summary/value", "/summary_text/value", "/tables/nothing/who"}) {
    INFO(path);
    REQUIRE(exists(f.id, path));
    CHECK(rows_of(f.id, path) == 0);
  }
  CHECK(rows_of(f.id, "/activities/kind_names") == kActivityKindCount);
  CHECK(read_strings(f.id, "/links/name").empty());
}

TEST_CASE("many activities span several chunks and slabs and read back intact", "[trace][hdf5]") {
  ScratchDir dir("slabs");
  TraceData data = make_sample_trace(1000);
  TraceWriteOptions options;
  options.chunk_rows = 7;  // slabs of 112 rows: partial last chunk and partial last slab
  write_trace_hdf5(data, (dir.path / "s.h5").string(), options);
  OpenFile f(dir.path / "s.h5");
  auto start = read_f64(f.id, "/activities/start");
  auto label = read_i32(f.id, "/activities/label");
  auto kind = read_numbers<uint8_t>(f.id, "/activities/kind", H5T_NATIVE_UINT8);
  REQUIRE(start.size() == 1000);
  for (std::size_t i = 0; i < 1000; ++i) {
    if (start[i] != 0.5 * static_cast<double>(i) || label[i] != static_cast<int32_t>(i % 3) ||
        kind[i] != static_cast<uint8_t>(kSampleKinds[i % 4]))
      FAIL("row " << i << " differs");
  }
}

TEST_CASE("the same data gives a byte-identical file", "[trace][hdf5]") {
  ScratchDir dir("identical");
  TraceData data = make_sample_trace(5000);
  TraceWriteOptions options;
  options.chunk_rows = 512;
  write_trace_hdf5(data, (dir.path / "a.h5").string(), options);
  write_trace_hdf5(data, (dir.path / "b.h5").string(), options);
  std::string a = read_file(dir.path / "a.h5"), b = read_file(dir.path / "b.h5");
  REQUIRE(a.size() > 1000);
  CHECK(a == b);
  // And a different value does change the file (the comparison can fail).
  data.activities[4321].flops += 1;
  write_trace_hdf5(data, (dir.path / "c.h5").string(), options);
  CHECK(read_file(dir.path / "c.h5") != a);
}

TEST_CASE("a failure half-way removes the temporary and leaves the target as it was", "[trace][hdf5]") {
  ScratchDir dir("failure");
  fs::path target = dir.path / "t.h5";
  { std::ofstream(target) << "previous trace"; }
  TraceWriteOptions options;
  options.existing = Existing::Replace;
  std::vector<std::string> seen;
  options.after_section = [&](const char* section) {
    seen.push_back(section);
    // The temporary exists while writing, next to the target.
    CHECK(dir.entries() == std::vector<std::string>{".t.h5.tmp-" + std::to_string(::getpid()), "t.h5"});
    if (std::string(section) == "links") throw std::runtime_error("simulated failure");
  };
  CHECK_THROWS_WITH(write_trace_hdf5(make_sample_trace(), target.string(), options), "simulated failure");
  CHECK(seen == std::vector<std::string>{"provenance", "labels", "activities", "links"});
  CHECK(read_file(target) == "previous trace");
  CHECK(dir.entries() == std::vector<std::string>{"t.h5"});
}

TEST_CASE("inconsistent data is refused and leaves nothing behind", "[trace][hdf5]") {
  ScratchDir dir("invalid");
  fs::path target = dir.path / "t.h5";
  { std::ofstream(target) << "previous trace"; }
  TraceWriteOptions replace;
  replace.existing = Existing::Replace;
  SECTION("label index out of range (found while writing the activities)") {
    TraceData data = make_sample_trace();
    data.activities.back().label = 3;
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  SECTION("activity ending before it starts") {
    TraceData data = make_sample_trace();
    data.activities[2].end = data.activities[2].start - 1;
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  SECTION("gpu outside the GPU table") {
    TraceData data = make_sample_trace();
    data.activities[0].peer = 4;
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  SECTION("table columns of different lengths") {
    TraceData data = make_sample_trace();
    data.tables[0].text_columns[0].pop_back();
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  SECTION("table name with a slash") {
    TraceData data = make_sample_trace();
    data.tables[0].name = "a/b";
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  SECTION("link series of the wrong size") {
    TraceData data = make_sample_trace();
    data.link_series.bytes.pop_back();
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), InternalError);
  }
  CHECK(read_file(target) == "previous trace");
  CHECK(dir.entries() == std::vector<std::string>{"t.h5"});
}

TEST_CASE("an unusable output path is an OutputError naming it", "[trace][hdf5]") {
  ScratchDir dir("unwritable");
  TraceData data = make_sample_trace();
  SECTION("missing folders are created") {
    const fs::path path = dir.path / "missing" / "deeper" / "t.h5";
    write_trace_hdf5(data, path.string());
    CHECK(fs::is_regular_file(path));
  }
  SECTION("a parent that is a file") {
    { std::ofstream(dir.path / "file") << "x"; }
    std::string path = (dir.path / "file" / "t.h5").string();
    try {
      write_trace_hdf5(data, path);
      FAIL("no exception");
    } catch (const OutputError& e) {
      CHECK(e.where().file == path);
      CHECK_THAT(e.what(), Catch::Contains("Not a directory"));
    }
    CHECK(dir.entries() == std::vector<std::string>{"file"});
  }
  SECTION("target is a directory") {
    fs::create_directory(dir.path / "t.h5");
    CHECK_THROWS_AS(write_trace_hdf5(data, (dir.path / "t.h5").string()), OutputError);
    CHECK(fs::is_directory(dir.path / "t.h5"));
    CHECK(dir.entries() == std::vector<std::string>{"t.h5"});
  }
  SECTION("directory not writable") {
    if (::geteuid() == 0) {
      WARN("running as root: permissions do not stop root, read-only directory case not exercised");
      return;
    }
    fs::path target = dir.path / "t.h5";
    { std::ofstream(target) << "previous trace"; }
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);
    TraceWriteOptions replace;
    replace.existing = Existing::Replace;
    CHECK_THROWS_AS(write_trace_hdf5(data, target.string(), replace), OutputError);
    fs::permissions(dir.path, fs::perms::owner_all);
    CHECK(read_file(target) == "previous trace");
    CHECK(dir.entries() == std::vector<std::string>{"t.h5"});
  }
}

// Produces the sample trace for tests/python/test_trace_schema.py (which runs
// `test_output "[sample]"` with TRAINSIM_SAMPLE_TRACE set to a path of its own). Without the
// variable it writes <build>/sample_trace.h5.
TEST_CASE("sample trace for the Python schema test", "[sample]") {
  const char* env = std::getenv("TRAINSIM_SAMPLE_TRACE");
  std::string path = env && *env ? env : std::string(TRAINSIM_BINARY_DIR) + "/sample_trace.h5";
  TraceWriteOptions replace;  // rerun after rerun
  replace.existing = Existing::Replace;
  write_trace_hdf5(make_sample_trace(), path, replace);
  OpenFile f(path);
  CHECK(rows_of(f.id, "/activities/start") == 16);
}

// Not run by default (hidden tag): `test_output "[.perf]"` writes 10 million activities and
// prints the time; the brief asks for "seconds".
TEST_CASE("10 million activities write in seconds", "[.perf]") {
  ScratchDir dir("perf");
  TraceData data = make_sample_trace(0);
  data.activities.reserve(10'000'000);
  // Realistic times have noisy mantissas, which compress far less than the sample's formula:
  // jitter them with a fixed LCG so the measurement is not flattered by compression.
  uint64_t lcg = 12345;
  for (std::size_t i = 0; i < 10'000'000; ++i) {
    ActivityRecord a = sample_activity(i);
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    double jitter = static_cast<double>(lcg >> 11) * 0x1.0p-53;
    a.start += jitter * 0.1;
    a.end = a.start + 0.25 * (1 + jitter);
    a.bytes *= jitter;
    data.activities.push_back(a);
  }
  auto t0 = std::chrono::steady_clock::now();
  write_trace_hdf5(data, (dir.path / "big.h5").string());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto size = fs::file_size(dir.path / "big.h5");
  WARN("10M activities: " << seconds << " s, " << size / 1e6 << " MB on disk");
  CHECK(seconds < 30);
}
