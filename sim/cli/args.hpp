#pragma once
// A small, strict command-line parser: declared options only (an unknown option is an error
// that suggests the nearest one), `--name value` or `--name=value`, flags, positionals.
// Every word starting with '-' is an option (`-q` is an unknown option, not a file name);
// `--` ends the options. An option given twice, an empty value, or an option name where a value
// is expected are usage errors: a silently ignored word is a wrong run.
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
  // An integer option in [min, max] (decimal digits, optional leading '-'), or `fallback` when
  // absent. UsageError naming the option and the range otherwise (`--seed -5` is refused, not
  // wrapped).
  long long integer(const std::string& name, long long fallback, long long min, long long max) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // The one positional argument (`what`: "scenario file"); a one-line UsageError otherwise.
  const std::string& single_positional(const std::string& what) const;
  std::string help() const;
  const std::string& example() const { return example_; }
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
