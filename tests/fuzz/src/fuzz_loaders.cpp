// libFuzzer entry point for the scenario, platform and bandwidth-matrix loaders (tests/fuzz/).
// A Finding aborts, which libFuzzer reports as a crash and saves as a reproducer.
#include <cstdio>
#include <cstdlib>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    trainsim::fuzz::load_fuzz_input(data, size);
  } catch (const trainsim::fuzz::Finding& f) {
    std::fprintf(stderr, "fuzz finding: %s\n", f.what());
    std::abort();
  }
  return 0;
}
