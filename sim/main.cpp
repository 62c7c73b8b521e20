// `trainsim`: a thin main over the library; all logic lives in sim/cli.
#include "cli/main.hpp"

int main(int argc, char** argv) { return trainsim::cli::main(argc, argv); }
