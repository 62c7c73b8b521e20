// profile-bandwidth on hundreds of nodes runs for minutes: a bar of its rounds (issue 10).
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "config/loader.hpp"
#include "configurator/training_bridge.hpp"
#include "core/progress.hpp"
#include "engine/isolated.hpp"
#include "tiny_cluster.hpp"

using namespace trainsim;

TEST_CASE("the bandwidth profile draws a bar of its rounds on a terminal, nothing when quiet", "[bandwidth-profile]") {
  const PlatformSpec platform = load_platform_text(testing::tiny_platform(4, false), "tiny.yaml");
  auto drawn = [&](bool quiet) {
    return run_isolated([&] {  // one engine per process
      std::FILE* f = std::tmpfile();
      ProgressOptions progress;
      progress.stream = f;
      progress.terminal = true;
      progress.quiet = quiet;
      progress.min_redraw_s = 0;
      configurator::profile_bandwidth_here(platform, 0, {}, configurator::kProfileMessageBytes, &progress);
      std::rewind(f);
      std::string text;
      for (int c; (c = std::fgetc(f)) != EOF;) text += char(c);
      std::fclose(f);
      return text;
    });
  };
  // 4 nodes: 3 rounds of 2 pairs (circle method), then the diagonal: 4 rounds.
  const std::string text = drawn(false);
  CHECK(text.find("bandwidth profile [") != std::string::npos);
  CHECK(text.find(" 1/4 rounds") != std::string::npos);
  CHECK(text.find(" 4/4 rounds") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(drawn(true).empty());
}
