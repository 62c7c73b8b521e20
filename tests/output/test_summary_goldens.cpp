// The terminal summaries of one shipped scenario per job kind, pinned byte for byte
// (tests/output/golden/<scenario path with '/' as '_'>.txt), as SimGrid's examples pin what they
// print: a change of a label, a format, a column or a line shows up here, not only in the
// numeric goldens (tests/golden). The source folder is written as <source> (the programs job
// prints its file's path). After a reviewed change of the text:
//   TRAINSIM_UPDATE_GOLDEN=1 build/tests/test_output "[summary-golden]"
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "jobs/load.hpp"
#include "engine/isolated.hpp"
#include "jobs/run_job.hpp"

using namespace trainsim;
namespace fs = std::filesystem;

TEST_CASE("summary goldens: one shipped scenario per job kind prints its pinned text", "[output][summary-golden]") {
  const fs::path source = TRAINSIM_SOURCE_DIR;
  const std::vector<std::string> scenarios = {"tutorial/gpt-1.7b-32gpu.yaml", "tutorial/streaming-diloco-two-dc.yaml",
                                              "nccl/dgx-a100-allreduce-1node.yaml", "programs/tp-overlap.yaml"};
  std::vector<std::function<std::string()>> jobs;
  for (const auto& rel : scenarios)
    jobs.push_back([&source, rel] {
      std::string text = run_job(load_scenario_file((source / "scenarios" / rel).string()), {false, true}).report();
      // The folder as given and as resolved (the loader may resolve links).
      for (const std::string& root : {fs::canonical(source).string(), source.string()})
        for (size_t at = text.find(root); at != std::string::npos; at = text.find(root, at))
          text.replace(at, root.size(), "<source>");
      return text;
    });
  std::vector<ChildFailure> failures;
  const auto texts = run_isolated_all(jobs, 2, &failures);
  const bool update = std::getenv("TRAINSIM_UPDATE_GOLDEN") != nullptr;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    INFO("scenario " << scenarios[i]);
    REQUIRE_FALSE(failures[i].failed);
    std::string name = scenarios[i];
    for (char& c : name)
      if (c == '/') c = '_';
    const fs::path golden = source / "tests/output/golden" / (name + ".txt");
    if (update) {
      fs::create_directories(golden.parent_path());
      std::ofstream(golden, std::ios::binary) << texts[i];
      continue;
    }
    std::ifstream in(golden, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream want;
    want << in.rdbuf();
    CHECK(texts[i] == want.str());
  }
}
