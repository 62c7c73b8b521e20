// Child-process runs (engine/isolated.hpp): what the parent had buffered for its standard
// output before a fork must reach the terminal once, however the child uses its own copy.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "engine/isolated.hpp"

using namespace trainsim;

TEST_CASE("A child run does not print the parent's buffered output a second time") {
  // Standard output into a pipe (a file, not a terminal: fully buffered, as under CI or `| tee`).
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(stdout);
  const int saved = ::dup(1);
  REQUIRE(::dup2(fds[1], 1) == 1);
  ::close(fds[1]);
  std::ios::sync_with_stdio(true);
  std::cout << "parent line\n";  // buffered, not yet written
  std::printf("parent printf\n");
  // A job that writes and flushes its standard output (as a library printing a warning would).
  const std::string r = run_isolated([] {
    std::cout << "child line" << std::endl;
    std::fflush(stdout);
    return std::string("done");
  });
  std::cout.flush();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  CHECK(r == "done");
  const auto count = [&](const std::string& what) {
    size_t c = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++c;
    return c;
  };
  CHECK(count("parent line") == 1);
  CHECK(count("parent printf") == 1);
  CHECK(count("child line") == 1);
}
