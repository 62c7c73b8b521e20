#pragma once
// A small, strict command-line parser: declared options only (an unknown option is an error
// that suggests the nearest one), `--name value` or `--name=value`, flags, positionals.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainsim::cli {

struct OptionSpec {
  std::string name;  // without dashes
  std::string value_name;  // "" for a flag
  std::string help;
};

class Args {
 public:
  Args(std::string command, std::string usage, std::string description, std::vector<OptionSpec> options,
       std::string example);
  // Parses argv-style words (after the subcommand). Throws UsageError.
  void parse(const std::vector<std::string>& words);
  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  std::string help() const;
  bool wants_help() const { return help_; }

 private:
  std::string command_, usage_, description_, example_;
  std::vector<OptionSpec> options_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace trainsim::cli
