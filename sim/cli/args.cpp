#include "cli/args.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace trainsim::cli {

namespace {

// Options that no longer exist, with what replaced them (GUIDE decision 1: one name per meaning).
struct RetiredOption {
  const char* name;
  const char* instead;
};
const RetiredOption kRetired[] = {
    {"memory-limit",
     "it had two meanings; use --host-memory-limit SIZE (the host RAM a simulation may use) or "
     "--gpu-memory-limit SIZE (the memory per GPU a configuration may use, configure and compare)"},
};

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Args::Args(std::string command, std::string usage, std::string description, std::vector<OptionSpec> options,
           std::string example)
    : command_(std::move(command)),
      usage_(std::move(usage)),
      description_(std::move(description)),
      example_(std::move(example)),
      options_(std::move(options)) {}

void Args::parse(const std::vector<std::string>& words) {
  bool options_ended = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (options_ended || w.size() < 2 || w[0] != '-') {
      positionals_.push_back(w);
      continue;
    }
    if (w == "--") {
      options_ended = true;
      continue;
    }
    if (w == "-h" || w == "--help") {
      help_ = true;
      continue;
    }
    if (w[1] != '-') {
      // A single-dash word: trainsim has no short options besides -h.
      const std::string letters = w.substr(1);
      std::vector<std::string> starting;
      for (const auto& o : options_)
        if (o.name.rfind(letters, 0) == 0) starting.push_back(o.name);
      std::string hint;
      if (starting.size() == 1) hint = " (did you mean '--" + starting.front() + "'?)";
      throw UsageError("unknown option '" + w + "' for '" + command_ + "'" + hint +
                       "; options are spelt in full with two dashes (see 'trainsim " + command_ + " --help')");
    }
    std::string name = w.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = std::find_if(options_.begin(), options_.end(), [&](const OptionSpec& o) { return o.name == name; });
    if (it == options_.end()) {
      for (const auto& r : kRetired)
        if (name == r.name) throw UsageError("option '--" + name + "' no longer exists: " + r.instead);
      std::string best;
      size_t best_d = 3;
      for (const auto& o : options_)
        if (size_t d = edit_distance(name, o.name); d < best_d) best_d = d, best = o.name;
      throw UsageError("unknown option '--" + name + "' for '" + command_ + "'" +
                       (best.empty() ? std::string() : " (did you mean '--" + best + "'?)"));
    }
    if (values_.count(name)) throw UsageError("option '--" + name + "' is given twice");
    if (it->value_name.empty()) {
      if (has_value) throw UsageError("option '--" + name + "' takes no value");
      values_[name] = "";
      continue;
    }
    if (!has_value) {
      if (i + 1 >= words.size()) throw UsageError("option '--" + name + "' needs a value <" + it->value_name + ">");
      value = words[++i];
      // `--trace --force` would otherwise write a file named "--force".
      if (value.rfind("--", 0) == 0)
        throw UsageError("option '--" + name + "' needs a value <" + it->value_name + ">, got the option '" + value +
                         "'");
    }
    if (value.empty()) throw UsageError("option '--" + name + "' needs a non-empty value <" + it->value_name + ">");
    values_[name] = value;
  }
}

bool Args::flag(const std::string& name) const { return values_.count(name) > 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

long long Args::integer(const std::string& name, long long fallback, long long min, long long max) const {
  const auto text = value(name);
  if (!text) return fallback;
  const std::string& s = *text;
  const size_t digits_from = !s.empty() && s[0] == '-' ? 1 : 0;
  const bool digits = s.size() > digits_from && s.find_first_not_of("0123456789", digits_from) == std::string::npos;
  errno = 0;
  const long long v = digits ? std::strtoll(s.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE || v < min || v > max)
    throw UsageError("option '--" + name + "' needs an integer from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + s + "'");
  return v;
}

const std::string& Args::single_positional(const std::string& what) const {
  if (positionals_.size() == 1) return positionals_.front();
  std::string got = positionals_.empty() ? "none" : std::to_string(positionals_.size()) + ":";
  for (const auto& p : positionals_) got += " '" + p + "'";
  throw UsageError("'" + command_ + "' needs one " + what + ", got " + got + " (see 'trainsim " + command_ +
                   " --help')");
}

std::string Args::help() const {
  std::ostringstream os;
  os << "usage: trainsim " << command_ << " " << usage_ << "\n\n" << description_ << "\n\noptions:\n";
  for (const auto& o : options_) {
    std::string left = "--" + o.name + (o.value_name.empty() ? "" : " <" + o.value_name + ">");
    // Option names up to 28 characters ("--chrome-trace <FILE.json>") keep the help column.
    os << "  " << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << o.help << "\n";
  }
  // An example of several commands (run in order) is one per line.
  std::string example;
  for (char c : example_) example += c == '\n' ? std::string("\n  ") : std::string(1, c);
  os << "  -h, --help                  show this help\n\nexample:\n  " << example << "\n";
  return os.str();
}

}  // namespace trainsim::cli
