#pragma once
// A launch command as the words its program receives, each with where it was written, so that
// an error names the line and column of the flag. Two sources:
//  - words the user's shell already split (`trainsim import megatron -- --num-layers 24 ...`):
//    taken as they are, placed on one line as if joined by spaces;
//  - a pasted script or line (one argument holding spaces or line breaks): split as POSIX sh
//    would (quotes, backslashes, line continuations, comments), with the variables the text
//    itself assigns (`TP=8`, `export GPUS_PER_NODE=8`) expanded and unquoted expansions split
//    into words (`$DISTRIBUTED_ARGS`). What only a running shell knows (`$(...)`, arrays,
//    variables the text never assigns) stays unexpanded and is an error only if its value is
//    used.
#include <string>
#include <vector>

#include "core/error.hpp"

namespace trainsim::importer {

struct Word {
  std::string text;
  SourceLocation where;
  // A part of the word is a shell expansion the text does not define ("$NODE_RANK",
  // "$(hostname)"); `text` keeps it as written.
  bool unexpanded = false;
};

// One simple command: assignments before it are in `env` ("NAME=value"), the rest in `words`.
struct Command {
  std::vector<Word> env;
  std::vector<Word> words;
};

// The name errors show as the file of a command line.
inline constexpr const char* kCommandLineName = "<command line>";

// Words already split by a shell, placed at their column on line 1 of kCommandLineName.
std::vector<Command> commands_from_words(const std::vector<std::string>& words);

// A pasted text split into its simple commands (separated by line breaks, `;`, `&&`, `||`,
// `|`, `&`); redirections (`> log 2>&1`) are dropped. `origin` is where the text starts (its
// words report positions inside it). Throws InputError for an unclosed quote.
std::vector<Command> commands_from_text(const std::string& text, const SourceLocation& origin);

// The text of a word list joined by spaces (for messages and scenario comments).
std::string join_words(const std::vector<Word>& words);

}  // namespace trainsim::importer
