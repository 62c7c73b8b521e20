#pragma once
// The subcommands of `trainsim`. Each takes the words after its name and returns an exit code.
#include <string>
#include <vector>

namespace trainsim::cli {

int run_command(const std::vector<std::string>& words);
int sweep_command(const std::vector<std::string>& words);
int profile_bandwidth_command(const std::vector<std::string>& words);
int configure_command(const std::vector<std::string>& words);
int compare_command(const std::vector<std::string>& words);
int import_command(const std::vector<std::string>& words);
int export_command(const std::vector<std::string>& words);
int report_command(const std::vector<std::string>& words);
int batch_command(const std::vector<std::string>& words);
int merge_command(const std::vector<std::string>& words);

}  // namespace trainsim::cli
