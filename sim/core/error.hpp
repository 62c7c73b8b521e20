#pragma once
// Errors a user can act on. InputError always names where the problem is (file, line, column)
// and which key or value is wrong, so the CLI can print it as `file:line:col: error: ...`.
#include <stdexcept>
#include <string>

namespace trainsim {

struct SourceLocation {
  std::string file;  // path as given by the user ("" when not from a file)
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string str() const;  // "file:line:col" (omitting unknown parts)
};

// Bad input: a file, a key, a value or a combination the simulator refuses. Exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(SourceLocation where, std::string key, std::string message);
  const SourceLocation& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  SourceLocation where_;
  std::string key_;
  std::string message_;
};

// A bug or an impossible state inside trainsim. Exit code 3.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Process exit codes, listed by `trainsim --help` and docs/robustness.md.
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kBadInput = 2;
inline constexpr int kInternal = 3;
inline constexpr int kInterrupted = 130;
}  // namespace exit_code

}  // namespace trainsim
