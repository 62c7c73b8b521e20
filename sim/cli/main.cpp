#include "cli/main.hpp"

#include <cstring>
#include <iostream>
#include <string>

#include "core/error.hpp"
#include "trainsim/version.hpp"

namespace trainsim::cli {

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "trainsim " << kVersion << "\n";
    return exit_code::kOk;
  }
  std::cout << "usage: trainsim <command> [options]\n";
  return argc >= 2 ? exit_code::kBadInput : exit_code::kOk;
}

}  // namespace trainsim::cli
