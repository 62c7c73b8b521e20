// The Chrome trace export (sim/output/chrome_trace.hpp): GPUs without activity are left out by
// default and counted, kept with ChromeTraceOptions::all_gpus.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "output/chrome_trace.hpp"
#include "output/sample_trace.hpp"

using namespace trainsim::output;

namespace {

std::string chrome_json(const TraceData& t, bool all_gpus) {
  std::ostringstream os;
  write_chrome_trace(t, os, ChromeTraceOptions{all_gpus});
  return os.str();
}

bool names_process(const std::string& json, int gpu) {
  return json.find("\"name\":\"GPU " + std::to_string(gpu) + ": gpu" + std::to_string(gpu)) != std::string::npos;
}

}  // namespace

TEST_CASE("chrome trace: GPUs without activity are left out unless all_gpus", "[chrome]") {
  const TraceData t = testing::make_sample_trace(2);  // activities on GPUs 0 and 1 of 4
  CHECK(gpus_without_activity(t) == 2);
  const std::string shown = chrome_json(t, false);
  CHECK(names_process(shown, 0));
  CHECK(names_process(shown, 1));
  CHECK_FALSE(names_process(shown, 2));
  CHECK_FALSE(names_process(shown, 3));
  CHECK(shown.find("\"gpus_without_activity\":2,\"gpus_left_out\":2") != std::string::npos);

  const std::string all = chrome_json(t, true);
  for (int g = 0; g < 4; ++g) CHECK(names_process(all, g));
  CHECK(all.find("\"gpus_without_activity\":2,\"gpus_left_out\":0") != std::string::npos);
  // Process ids are GPU index + 1 either way: GPU 1 is process 2 in both files.
  CHECK(shown.find("\"ph\":\"M\",\"pid\":2,\"tid\":0,\"args\":{\"name\":\"GPU 1: gpu1") != std::string::npos);
  CHECK(all.find("\"ph\":\"M\",\"pid\":2,\"tid\":0,\"args\":{\"name\":\"GPU 1: gpu1") != std::string::npos);
}

TEST_CASE("chrome trace: every GPU with activity has its process", "[chrome]") {
  const TraceData t = testing::make_sample_trace(16);  // all 4 GPUs active
  CHECK(gpus_without_activity(t) == 0);
  const std::string json = chrome_json(t, false);
  for (int g = 0; g < 4; ++g) CHECK(names_process(json, g));
  CHECK(json.find("\"gpus_left_out\":0") != std::string::npos);
}
