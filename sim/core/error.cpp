#include "core/error.hpp"

namespace trainsim {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

namespace {

// A message is one line of bounded length whatever the input echoes into it: line breaks of a
// quoted value are shown as "\n", and a huge key or value is cut in the middle.
std::string one_line(const std::string& text, std::size_t max) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  if (out.size() <= max) return out;
  const std::size_t keep = max / 2;
  return out.substr(0, keep) + " [... " + std::to_string(out.size() - 2 * keep) + " characters ...] " +
         out.substr(out.size() - keep);
}

std::string format(const SourceLocation& w, const std::string& key, const std::string& msg) {
  std::string s = one_line(w.str(), 1000) + ": error: ";
  if (!key.empty()) s += "key '" + one_line(key, 200) + "': ";
  return s + one_line(msg, 2000);
}

}  // namespace

InputError::InputError(SourceLocation where, std::string key, std::string message)
    : std::runtime_error(format(where, key, message)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace trainsim
