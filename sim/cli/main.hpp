#pragma once
namespace trainsim::cli {
// Entry point of the `trainsim` command; returns the process exit code (core/error.hpp).
int main(int argc, char** argv);
}  // namespace trainsim::cli
