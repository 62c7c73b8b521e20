#include "config/yaml_scan.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include "config/yaml_reader.hpp"
#include "core/error.hpp"

namespace trainsim {
namespace {

std::string join_key(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Keys echoed in messages are cut: a 10 MB key name must not become a 10 MB message.
std::string shown(const std::string& text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return text;
  return text.substr(0, kMax) + "... (" + std::to_string(text.size()) + " characters)";
}

bool is_json(const std::string& file) {
  const auto dot = file.rfind('.');
  return dot != std::string::npos && file.substr(dot) == ".json";
}

SourceLocation at_offset(const std::string& text, const std::string& file, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  return {file, line, column};
}

SourceLocation at_mark(const YAML::Mark& m, const std::string& file) {
  if (m.is_null() || m.line < 0) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

// The structural checks, as yaml-cpp reports events. Tracks the key path of every node so that
// refusals (and syntax errors, see scan_yaml) name the key the user was writing.
class Probe : public YAML::EventHandler {
 public:
  Probe(const std::string& text, const std::string& file, const std::vector<std::string>& root_keys)
      : text_(text), file_(file), root_keys_(root_keys) {}

  struct Frame {
    bool map = false;
    bool flow = false;
    std::string path;
    YAML::Mark start;
    long long values_at_start = 0;
    YAML::anchor_t anchor = 0;
    bool expect_key = true;
    std::string key;
    int key_line = -1;  // 0-based line of `key`
    std::size_t index = 0;
  };

  // The key path of the node being read: what an error at this point is about.
  std::string context() const {
    if (stack_.empty()) return last_path_;
    const Frame& f = stack_.back();
    if (f.map) return f.expect_key ? f.path : join_key(f.path, shown(f.key));
    return f.path + "[" + std::to_string(f.index) + "]";
  }
  // The innermost open flow collection ('{' when `map`), or nullptr.
  const Frame* open_flow(bool map) const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
      if (it->flow && it->map == map) return &*it;
    return nullptr;
  }
  int documents() const { return documents_; }
  // Where the parse ended, for a byte found at the end of a prefix: the last node if it is on
  // `line` (0-based), else the collection that was open there.
  std::string context_on_line(int line) const { return last_line_ == line ? last_path_ : open_context_; }

  // The key a tab-indented `line` (0-based) of `text` is written as: its own key under the map
  // it was meant to continue (the pending key's value when that key has none on its line).
  std::string key_of_line(int line) const {
    // The line above opens a block ("key:" with nothing after it) that yaml-cpp had not reported
    // when the tab stopped it (it reads a token ahead): the tab line is that key's first entry,
    // under the chain of keys the text nests it in.
    if (const std::string opened = unreported_block_above(line); !opened.empty()) {
      const std::string own = line_key(line);
      return own.empty() ? opened : join_key(opened, shown(own));
    }
    std::string base;
    if (!stack_.empty()) {
      const Frame& f = stack_.back();
      if (!f.map) base = f.path + "[" + std::to_string(f.index) + "]";
      else if (f.expect_key) base = f.path;
      else base = line_has_value(f.key_line) ? f.path : join_key(f.path, shown(f.key));
    }
    const std::string own = line_key(line);
    return own.empty() ? base : join_key(base, shown(own));
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 1) return;
    const std::size_t pos = mark.pos < 0 ? text_.size() : static_cast<std::size_t>(mark.pos);
    std::string why;
    if (text_.compare(pos, 3, "---") == 0)
      why = "expected one YAML document, found a second one ('---'); each input file holds one";
    else if (pos < text_.size() && std::strchr(",]}", text_[pos]))
      why = "YAML syntax error: unexpected character outside any collection (a stray ',' or ']'?)";
    else
      why = "YAML syntax error: this line does not continue the document above it (check its indentation)";
    throw InputError(at_mark(mark, file_), "", why);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    last_path_ = context();
    seen(mark);
    auto it = anchor_values_.find(anchor);
    count(mark, it == anchor_values_.end() ? 1 : it->second);
    advance();
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag);
    if (tag == "!") check_quotes(mark);
    leaf(mark, anchor, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(mark, tag, anchor, style, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(mark, tag, anchor, style, true);
  }
  void OnMapEnd() override { close(); }

 private:
  InputError error(const YAML::Mark& mark, const std::string& key, const std::string& message) const {
    return InputError(at_mark(mark, file_), key, message);
  }

  void count(const YAML::Mark& mark, long long values) {
    values_ += values;
    if (values_ > kMaxInputValues)
      throw error(mark, context(),
                  "more than " + std::to_string(kMaxInputValues) +
                      " values (scalars, lists and maps, aliases expanded) in one file; input files are limited to "
                      "that many");
  }

  // Explicit tags change how a value is read ("!!str 8" is the string "8"); the loaders read
  // plain values only, so a tag would be silently ignored.
  void check_tag(const YAML::Mark& mark, const std::string& tag) const {
    if (tag.empty() || tag == "?" || tag == "!") return;
    const std::string core = "tag:yaml.org,2002:";  // how yaml-cpp spells "!!"
    const std::string written = tag.rfind(core, 0) == 0 ? "!!" + tag.substr(core.size()) : tag;
    throw error(mark, context(), "YAML tags ('" + shown(written) + "') are not supported; write the plain value");
  }

  // yaml-cpp reads an unclosed quote to the end of the file, swallowing every key after it.
  void check_quotes(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) return;
    const std::size_t begin = static_cast<std::size_t>(mark.pos);
    const char quote = text_[begin];
    if (quote != '"' && quote != '\'') return;
    std::size_t line_break = std::string::npos;
    for (std::size_t i = begin + 1; i < text_.size(); ++i) {
      const char c = text_[i];
      if (quote == '"' && c == '\\') {
        ++i;
        continue;
      }
      if (c == '\n' && line_break == std::string::npos) line_break = i;
      if (c != quote) continue;
      if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
        ++i;  // '' is an escaped quote
        continue;
      }
      if (line_break == std::string::npos) return;
      throw error(mark, context(),
                  std::string("this quoted string runs over the end of its line (is its closing ") + quote +
                      " missing?); write it on one line");
    }
    throw error(mark, context(), std::string("this quoted string is never closed (its closing ") + quote + " is missing)");
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* scalar) {
    const bool is_key = !stack_.empty() && stack_.back().map && stack_.back().expect_key;
    if (is_key && scalar) key(mark, *scalar);
    last_path_ = is_key ? join_key(stack_.back().path, shown(stack_.back().key)) : context();
    seen(mark);
    count(mark, 1);
    if (anchor) anchor_values_[anchor] = 1;
    advance();
  }

  void seen(const YAML::Mark& mark) {
    last_line_ = mark.line;
    if (mark.pos >= 0) last_pos_ = static_cast<std::size_t>(mark.pos);
    closing_ = false;
  }

 public:
  std::size_t last_pos() const { return last_pos_; }

 private:

  void key(const YAML::Mark& mark, const std::string& name) {
    Frame& f = stack_.back();
    f.key = name;
    f.key_line = mark.line;
    const std::string path = join_key(f.path, shown(name));
    if (name == "<<")
      throw error(mark, path,
                  "YAML merge keys ('<<: *anchor') are not supported; write the keys out in full (anchors and "
                  "aliases of whole values are fine)");
    if (stack_.size() == 1 && !root_keys_.empty() &&
        std::find(root_keys_.begin(), root_keys_.end(), name) == root_keys_.end())
      throw error(mark, path, unknown_key_message(shown(name), root_keys_));
  }

  void advance() {
    if (stack_.empty()) return;
    Frame& f = stack_.back();
    if (f.map) f.expect_key = !f.expect_key;
    else ++f.index;
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, YAML::EmitterStyle::value style,
            bool map) {
    check_tag(mark, tag);
    Frame f;
    f.map = map;
    f.flow = style == YAML::EmitterStyle::Flow;
    f.path = context();
    f.start = mark;
    f.anchor = anchor;
    last_path_ = f.path;
    seen(mark);
    count(mark, 1);
    f.values_at_start = values_;
    if (static_cast<int>(stack_.size()) >= kMaxInputDepth)
      throw error(mark, shown(f.path),
                  "lists and maps nested more than " + std::to_string(kMaxInputDepth) + " deep; inputs are limited to " +
                      std::to_string(kMaxInputDepth) + " levels");
    stack_.push_back(std::move(f));
  }

  void close() {
    if (stack_.empty()) return;
    if (!closing_) open_context_ = context();
    closing_ = true;
    const Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchor) anchor_values_[f.anchor] = values_ - f.values_at_start + 1;
    advance();
  }

  // Line `line` (0-based) of the text, without its newline.
  std::string line_text(int line) const {
    std::size_t start = 0;
    for (int l = 0; l < line; ++l) {
      start = text_.find('\n', start);
      if (start == std::string::npos) return "";
      ++start;
    }
    return text_.substr(start, text_.find('\n', start) - start);
  }
  // "key" of a "  key: value" line, or "".
  std::string line_key(int line) const {
    const std::string t = line_text(line);
    const std::size_t begin = t.find_first_not_of(" \t-");
    const std::size_t colon = t.find(':', begin == std::string::npos ? 0 : begin);
    if (begin == std::string::npos || colon == std::string::npos) return "";
    std::string key = t.substr(begin, colon - begin);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    for (char c : key)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return "";
    return key;
  }
  // The key path of the nearest content line above `line` when that line is a "key:" opening a
  // block the parser has not reported (the innermost frame still expects a key), built from the
  // text: each less indented valueless "key:" line above it adds its key. "" when the line above
  // has a value, the block was reported, or the chain passes a list item (then the frames know).
  std::string unreported_block_above(int line) const {
    if (!stack_.empty() && !(stack_.back().map && stack_.back().expect_key)) return "";
    auto indent = [&](const std::string& t) { return t.find_first_not_of(' '); };
    auto content = [&](const std::string& t) {
      const std::size_t i = t.find_first_not_of(" \t");
      return i != std::string::npos && t[i] != '#';
    };
    int above = line - 1;
    while (above >= 0 && !content(line_text(above))) --above;
    if (above < 0 || line_key(above).empty() || line_has_value(above)) return "";
    std::vector<std::string> chain;
    std::size_t level = std::string::npos;
    for (int l = above; l >= 0; --l) {
      const std::string t = line_text(l);
      if (!content(t)) continue;
      const std::size_t i = indent(t);
      if (level != std::string::npos && i >= level) continue;
      if (t[i] == '-' || t[i] == '\t' || line_key(l).empty() || (l != above && line_has_value(l))) return "";
      chain.push_back(line_key(l));
      level = i;
      if (i == 0) break;
    }
    if (level != 0) return "";
    std::string path;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) path = join_key(path, shown(*it));
    return path;
  }
  // Whether a "key: value" line holds a value after its ':' (not only a comment).
  bool line_has_value(int line) const {
    const std::string t = line_text(line);
    const std::size_t colon = t.find(':');
    if (colon == std::string::npos) return false;
    const std::size_t v = t.find_first_not_of(" \t", colon + 1);
    return v != std::string::npos && t[v] != '#';
  }

  const std::string& text_;
  const std::string& file_;
  const std::vector<std::string>& root_keys_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, long long> anchor_values_;
  long long values_ = 0;
  int documents_ = 0;
  std::string last_path_;     // the key path of the last node reported
  int last_line_ = -1;        // its line (0-based)
  std::size_t last_pos_ = 0;  // its byte offset
  std::string open_context_;  // the context when the first collection of a run of closes ended
  bool closing_ = false;
};

// yaml-cpp spends 100 to 250 ns per byte on a plain scalar, and reads a whole value before
// reporting it: a 15 MiB value would take seconds per pass. The text reaches yaml-cpp through
// this buffer, which stops the scan once kMaxValueBytes have been read past the last value
// reported (a value or comment run of that size is never a real input).
constexpr std::size_t kMaxValueBytes = 4u << 20;

struct RunawayValue {
  std::size_t from;  // where the last value was reported
};

// What a runaway stretch of text (kMaxValueBytes without a complete value) holds when it is one
// huge flow collection: yaml-cpp scans a whole flow collection before it reports its events, so
// the depth and value limits (Probe) cannot fire inside it. Flow brackets open where a value
// starts (after '[', '{', ',', ':', '-' or at the stretch's start), quoted strings are skipped;
// plain scalars cannot hold brackets or commas in flow context. Returns the offset and message
// of the first limit passed, or an offset of npos.
std::pair<std::size_t, std::string> flow_limits(const std::string& text, std::size_t from) {
  const std::size_t end = std::min(text.size(), from + kMaxValueBytes + 1);
  int depth = 0;
  long long values = 0;
  char before = '[';  // the last character that is not a space
  for (std::size_t i = from; i < end; ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    const bool value_start = before == '[' || before == '{' || before == ',' || before == ':' || before == '-';
    if ((c == '"' || c == '\'') && value_start) {
      for (++i; i < end && text[i] != c; ++i)
        if (c == '"' && text[i] == '\\') ++i;
    } else if ((c == '[' || c == '{') && value_start) {
      if (++depth > kMaxInputDepth)
        return {i, "lists and maps nested more than " + std::to_string(kMaxInputDepth) +
                       " deep; inputs are limited to " + std::to_string(kMaxInputDepth) + " levels"};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth > 0 && ++values > kMaxInputValues) {
      return {i, "more than " + std::to_string(kMaxInputValues) +
                     " values (scalars, lists and maps, aliases expanded) in one file; input files are limited to "
                     "that many"};
    }
    before = i < end ? text[i] : c;
  }
  return {std::string::npos, ""};
}

class GuardedBuffer : public std::streambuf {
 public:
  GuardedBuffer(const std::string& text, const Probe& probe) : text_(text), probe_(probe) {}

 protected:
  int_type underflow() override {
    if (next_ >= text_.size()) return traits_type::eof();
    if (next_ > probe_.last_pos() + kMaxValueBytes) throw RunawayValue{probe_.last_pos()};
    const std::size_t n = std::min<std::size_t>(64u << 10, text_.size() - next_);
    char* begin = const_cast<char*>(text_.data()) + next_;
    setg(begin, begin, begin + n);
    next_ += n;
    return traits_type::to_int_type(*gptr());
  }

 private:
  const std::string& text_;
  const Probe& probe_;
  std::size_t next_ = 0;
};

// The key path at `offset`: where a stray byte sits, for its message.
std::string context_at(const std::string& text, const std::string& file, std::size_t offset) {
  const std::string prefix = text.substr(0, offset);
  const std::vector<std::string> no_keys;
  Probe probe(prefix, file, no_keys);
  std::istringstream in(prefix);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(probe);
  } catch (const std::exception&) {
    // A prefix is often not a complete document: the context so far is what we want.
    return probe.context();
  }
  const int line = static_cast<int>(std::count(prefix.begin(), prefix.end(), '\n'));
  return probe.context_on_line(line);
}

// Text only: YAML is UTF-8 text without control characters.
void check_text(const std::string& text, const std::string& file) {
  auto starts = [&](const char* bom, std::size_t n) { return text.size() >= n && std::memcmp(text.data(), bom, n) == 0; };
  if (starts("\xFF\xFE", 2) || starts("\xFE\xFF", 2) || starts("\x00\x00\xFE\xFF", 4))
    throw InputError({file, 1, 1}, "", "the file is UTF-16 or UTF-32; save it as UTF-8");
  const std::size_t n = text.size();
  for (std::size_t i = starts("\xEF\xBB\xBF", 3) ? 3 : 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c >= 0x20 && c != 0x7F) || c == '\n' || c == '\r' || c == '\t') continue;
      char what[64];
      std::snprintf(what, sizeof what, "byte 0x%02X", c);
      throw InputError(at_offset(text, file, i), context_at(text, file, i),
                       std::string("the file is not text: it holds the control character ") + what +
                           " (a binary file, or a stray character?); expected " + (is_json(file) ? "JSON" : "YAML") +
                           " text");
    }
    // UTF-8: a lead byte and its continuation bytes (no overlong 2-byte forms, no surrogates).
    const int length = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    bool ok = length > 0 && i + length <= n;
    for (int k = 1; ok && k < length; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && length == 3 && c == 0xED) ok = static_cast<unsigned char>(text[i + 1]) < 0xA0;
    if (ok && length == 3 && c == 0xE0) ok = static_cast<unsigned char>(text[i + 1]) >= 0xA0;
    if (!ok) {
      char what[64];
      std::snprintf(what, sizeof what, "byte 0x%02X", c);
      throw InputError(at_offset(text, file, i), context_at(text, file, i),
                       std::string("the file is not UTF-8 text: ") + what +
                           " does not start a UTF-8 character (a binary file, or text saved as Latin-1?); save it "
                           "as UTF-8");
    }
    i += length - 1;
  }
}

// `line` or the line before it (0-based) if its indentation holds a tab, else -1. yaml-cpp
// reports a tab-indented line as "illegal map value" or "illegal tab when looking for
// indentation", on that line or the next.
int tab_indented_line(const std::string& text, int line) {
  std::size_t start = 0;
  for (int l = 0; l <= line; ++l) {
    if (l >= line - 1)
      for (std::size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i)
        if (text[i] == '\t') return l;
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return -1;
}

// yaml-cpp's wording, in the user's terms.
std::string plain_message(const std::string& msg) {
  namespace E = YAML::ErrorMsg;
  if (msg == E::END_OF_MAP)
    return "bad indentation: this line is indented differently from the keys above it (or a '- ' list item "
           "appears among the keys of a map)";
  if (msg == E::END_OF_SEQ) return "bad indentation: the items of a list must all start with '- ' at the same column";
  if (msg == E::MAP_VALUE)
    return "unexpected ':' here (two 'key: value' pairs on one line, a missing space after ':', or a value that "
           "needs quotes?)";
  if (msg == E::BLOCK_ENTRY) return "a '- ' list item where a key was expected (check the indentation)";
  if (msg == E::MAP_KEY) return "a key where none can start (check the indentation)";
  if (msg == E::FLOW_END) return "a closing '}' or ']' that does not match the '{' or '[' still open (or no '{' or '[' is open)";
  if (msg == E::UNKNOWN_TOKEN) return "a value cannot start with '@' or '`' (reserved in YAML); quote it";
  if (msg == E::UNKNOWN_ANCHOR) return "this alias ('*name') refers to no anchor ('&name') defined above it";
  if (msg == E::EOF_IN_SCALAR) return "the file ends inside a quoted string (a missing closing quote)";
  if (msg == E::DOC_IN_SCALAR) return "'---' or '...' inside a value";
  if (msg.rfind(E::INVALID_ESCAPE, 0) == 0) {
    const std::string rest = msg.substr(std::strlen(E::INVALID_ESCAPE));
    const std::string escape = rest.empty() ? "a backslash before a control character" : "'\\" + rest + "'";
    return "unknown escape " + escape +
           " in a double-quoted string (write '\\\\' for a backslash, or use single quotes)";
  }
  if (msg.rfind(E::INVALID_UNICODE, 0) == 0 || msg == E::INVALID_HEX)
    return "a bad '\\x', '\\u' or '\\U' escape in a double-quoted string";
  return msg;
}

}  // namespace

std::string unknown_key_message(const std::string& key, std::vector<std::string> known) {
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  std::string msg = "unknown key '" + key + "'";
  if (std::string hint = did_you_mean(key, known); !hint.empty()) return msg + " (" + hint + ")";
  if (!known.empty()) msg += "; allowed keys here: " + join_names(known);
  return msg;
}

void scan_yaml(const std::string& text, const std::string& file, const std::vector<std::string>& root_keys) {
  if (text.size() > kMaxInputBytes)
    throw InputError({file, 0, 0}, "",
                     "the file is " + std::to_string(text.size() >> 20) + " MiB; input files are limited to " +
                         std::to_string(kMaxInputBytes >> 20) + " MiB");
  check_text(text, file);
  const std::string syntax = is_json(file) ? "JSON syntax error: " : "YAML syntax error: ";
  Probe probe(text, file, root_keys);
  GuardedBuffer buffer(text, probe);
  std::istream in(&buffer);
  in.exceptions(std::ios::badbit);  // RunawayValue passes through the stream
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(probe)) {
    }
  } catch (const RunawayValue& runaway) {
    if (auto [at, what] = flow_limits(text, runaway.from); at != std::string::npos)
      throw InputError(at_offset(text, file, at), probe.context(), what);
    throw InputError(at_offset(text, file, runaway.from), probe.context(),
                     "more than " + std::to_string(kMaxValueBytes >> 20) +
                         " MiB of text follow here without a complete value (one huge value, or a huge comment); "
                         "values are names, numbers and paths, far shorter");
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? -1 : e.mark.line;
    if (line >= 0) {
      if (int tab = tab_indented_line(text, line); tab >= 0) {
        std::size_t start = 0;
        for (int l = 0; l < tab; ++l) start = text.find('\n', start) + 1;
        const std::size_t column = text.find('\t', start) - start;
        throw InputError({file, tab + 1, static_cast<int>(column) + 1}, probe.key_of_line(tab),
                         syntax + "this line is indented with a tab; YAML indents with spaces only");
      }
    }
    namespace E = YAML::ErrorMsg;
    // YAML limits a plain key to 1024 characters; yaml-cpp then reports the ':' after it.
    if (e.msg == E::MAP_VALUE && e.mark.column > 1024)
      throw InputError(at_mark(e.mark, file), probe.context(),
                       syntax + "a key longer than 1024 characters (YAML's limit for a key); keys are short names");
    // A ',' ']' or '}' where a block map or list continues: a stray character.
    if ((e.msg == E::END_OF_MAP || e.msg == E::END_OF_SEQ) && e.mark.pos >= 0 &&
        static_cast<std::size_t>(e.mark.pos) < text.size() && std::strchr(",]}", text[e.mark.pos]))
      throw InputError(at_mark(e.mark, file), probe.context(),
                       syntax + "a stray '" + std::string(1, text[e.mark.pos]) + "' outside any '[' or '{'");
    const bool map_flow = e.msg == E::END_OF_MAP_FLOW, seq_flow = e.msg == E::END_OF_SEQ_FLOW;
    if (map_flow || seq_flow) {
      // yaml-cpp points past the problem; the bracket that is never closed is what to fix.
      if (const Probe::Frame* open = probe.open_flow(map_flow))
        throw InputError(at_mark(open->start, file), open->path,
                         syntax + "this '" + (map_flow ? "{" : "[") + "' is never closed (a missing '" +
                             (map_flow ? "}" : "]") + "', or a missing ',' between its entries)");
    }
    throw InputError(at_mark(e.mark, file), probe.context(), syntax + plain_message(e.msg));
  }
}

}  // namespace trainsim
