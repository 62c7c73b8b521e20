#include "importer/command_line.hpp"

#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace trainsim::importer {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// "NAME=..." (a shell assignment word), by its first characters.
bool is_assignment(const std::string& text) {
  if (text.empty() || !name_start(text[0])) return false;
  size_t i = 1;
  while (i < text.size() && name_char(text[i])) ++i;
  return i < text.size() && text[i] == '=';
}

// Integer arithmetic of `$(( ))`: + - * / % and parentheses over numbers and variable names.
class Arithmetic {
 public:
  // `depth`: how many variables deep this evaluation is (A=$((B)), B=$((A)) must end).
  Arithmetic(const std::string& text, const std::map<std::string, std::string>& vars, int depth = 0)
      : s_(text), vars_(vars), depth_(depth) {}
  std::optional<long long> value() {
    auto v = sum();
    skip();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::optional<long long> atom() {
    skip();
    if (pos_ >= s_.size() || nest_ > 64) return std::nullopt;  // no recursion without end
    ++nest_;
    auto v = term();
    --nest_;
    return v;
  }
  std::optional<long long> term() {
    if (s_[pos_] == '(') {
      ++pos_;
      auto v = sum();
      skip();
      if (!v || pos_ >= s_.size() || s_[pos_] != ')') return std::nullopt;
      ++pos_;
      return v;
    }
    if (s_[pos_] == '-') {
      ++pos_;
      auto v = atom();
      if (!v || *v == std::numeric_limits<long long>::min()) return std::nullopt;
      return -*v;
    }
    if (std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      long long v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        if (v > (1LL << 50)) return std::nullopt;
        v = v * 10 + (s_[pos_++] - '0');
      }
      return v;
    }
    if (s_[pos_] == '$') ++pos_;
    bool braced = pos_ < s_.size() && s_[pos_] == '{';
    if (braced) ++pos_;
    size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    std::string name = s_.substr(start, pos_ - start);
    if (braced) {
      if (pos_ >= s_.size() || s_[pos_] != '}') return std::nullopt;
      ++pos_;
    }
    auto it = vars_.find(name);
    if (it == vars_.end() || depth_ >= 16) return std::nullopt;
    Arithmetic inner(it->second, vars_, depth_ + 1);
    return inner.value();
  }
  std::optional<long long> product() {
    auto v = atom();
    for (;;) {
      skip();
      if (!v || pos_ >= s_.size() || (s_[pos_] != '*' && s_[pos_] != '/' && s_[pos_] != '%')) return v;
      const char op = s_[pos_++];
      auto r = atom();
      if (!r || ((op == '/' || op == '%') && (*r == 0 || (*r == -1 && *v == std::numeric_limits<long long>::min()))))
        return std::nullopt;
      long long out = 0;
      if (op == '*' && __builtin_mul_overflow(*v, *r, &out)) return std::nullopt;
      v = op == '*' ? out : op == '/' ? *v / *r : *v % *r;
    }
  }
  std::optional<long long> sum() {
    auto v = product();
    for (;;) {
      skip();
      if (!v || pos_ >= s_.size() || (s_[pos_] != '+' && s_[pos_] != '-')) return v;
      const char op = s_[pos_++];
      auto r = product();
      long long out = 0;
      if (!r || (op == '+' ? __builtin_add_overflow(*v, *r, &out) : __builtin_sub_overflow(*v, *r, &out)))
        return std::nullopt;
      v = out;
    }
  }

  const std::string& s_;
  const std::map<std::string, std::string>& vars_;
  int depth_ = 0, nest_ = 0;
  size_t pos_ = 0;
};

// The splitter: one pass over the text, building words and commands.
class Splitter {
 public:
  Splitter(const std::string& text, const SourceLocation& origin) : s_(text), origin_(origin) {}

  std::vector<Command> run() {
    while (i_ < s_.size()) step();
    end_word();
    end_command();
    return std::move(commands_);
  }

 private:
  SourceLocation here() const {
    SourceLocation w;
    w.file = origin_.file.empty() ? kCommandLineName : origin_.file;
    const int base_line = origin_.line > 0 ? origin_.line : 1;
    const int base_col = origin_.column > 0 ? origin_.column : 1;
    w.line = base_line + line_ - 1;
    w.column = line_ == 1 ? base_col + col_ - 1 : col_;
    return w;
  }
  void advance(size_t n = 1) {
    for (size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') ++line_, col_ = 1;
      else ++col_;
    }
  }
  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  void start_word() {
    if (in_word_) return;
    in_word_ = true;
    word_ = Word{"", expansion_at_ ? *expansion_at_ : here(), false};
    // An assignment before the command (or after `export`) is never split into words.
    assignment_ = (command_.words.empty() || exporting()) && is_assignment(s_.substr(i_, 256));
  }
  bool exporting() const {
    return !command_.words.empty() && (command_.words[0].text == "export" || command_.words[0].text == "declare");
  }
  void end_word() {
    if (!in_word_) return;
    in_word_ = false;
    if (discard_next_word_) {  // the target of a redirection
      discard_next_word_ = false;
      return;
    }
    if (command_.words.empty() && is_assignment(word_.text)) command_.env.push_back(word_);
    else command_.words.push_back(word_);
  }
  void end_command() {
    if (!command_.words.empty() && exporting()) {
      for (size_t k = 1; k < command_.words.size(); ++k) assign(command_.words[k]);
    } else if (command_.words.empty()) {
      for (const auto& a : command_.env) assign(a);
    } else {
      commands_.push_back(command_);
    }
    command_ = Command{};
  }
  void assign(const Word& w) {
    if (!is_assignment(w.text)) return;
    const size_t eq = w.text.find('=');
    const std::string name = w.text.substr(0, eq);
    vars_[name] = w.text.substr(eq + 1);
    if (w.unexpanded) tainted_.insert(name);
    else tainted_.erase(name);
  }

  // Appends text produced by an expansion: unquoted, its blanks separate words. A value that
  // holds unexpanded parts (`CMD="python $UNSET/x.py"`) marks the words they land in.
  void append_expansion(const std::string& value, bool quoted, bool tainted = false) {
    auto mark = [&] {
      if (tainted && word_.text.find_first_of("$`") != std::string::npos) word_.unexpanded = true;
    };
    if (quoted || assignment_) {
      start_word();
      word_.text += value;
      mark();
      return;
    }
    // Blanks inside a substitution the text could not run (`$(...)`, backquotes) split nothing:
    // the shell would have replaced the whole substitution.
    int depth = 0;
    bool backquote = false;
    for (size_t k = 0; k < value.size(); ++k) {
      const char c = value[k];
      if (tainted) {
        if (c == '`') backquote = !backquote;
        else if (c == '$' && k + 1 < value.size() && value[k + 1] == '(') ++depth;
        else if (c == ')' && depth > 0) --depth;
      }
      if ((c == ' ' || c == '\t' || c == '\n') && depth == 0 && !backquote) {
        if (in_word_) {
          const SourceLocation at = word_.where;
          end_word();
          pending_where_ = at;
        }
      } else {
        if (!in_word_) {
          start_word();
          if (pending_where_) word_.where = *pending_where_;
        }
        word_.text += c;
        mark();
      }
    }
  }
  void append_unexpanded(const std::string& raw) {
    start_word();
    word_.text += raw;
    word_.unexpanded = true;
  }

  // At a '$': variable, ${...}, $(...), $((...)). A word it starts begins at the '$'.
  void dollar(bool quoted) {
    expansion_at_ = here();
    expand(quoted);
    expansion_at_.reset();
  }
  void expand(bool quoted) {
    const size_t start = i_;
    if (peek(1) == '(') {
      // $(( arithmetic )) or $( command ): up to the parenthesis that closes the first one.
      size_t depth = 0, j = i_ + 1;
      for (; j < s_.size(); ++j) {
        if (s_[j] == '(') ++depth;
        else if (s_[j] == ')' && --depth == 0) break;
      }
      const std::string raw = s_.substr(start, std::min(j + 1, s_.size()) - start);
      advance(raw.size());
      const bool arithmetic = raw.size() >= 6 && raw[2] == '(' && raw[raw.size() - 2] == ')';
      if (auto v = arithmetic ? Arithmetic(raw.substr(3, raw.size() - 5), vars_).value() : std::nullopt)
        append_expansion(std::to_string(*v), quoted);
      else
        append_unexpanded(raw);
      return;
    }
    if (peek(1) == '{') {
      const size_t close = s_.find('}', i_);
      const std::string raw = s_.substr(start, close == std::string::npos ? std::string::npos : close + 1 - start);
      advance(raw.size());
      const std::string body = raw.size() >= 3 ? raw.substr(2, raw.size() - 3) : "";
      size_t n = 0;
      while (n < body.size() && name_char(body[n])) ++n;
      const std::string name = body.substr(0, n), rest = body.substr(n);
      auto it = vars_.find(name);
      if (!name.empty() && name_start(name[0]) && rest.empty() && it != vars_.end()) {
        append_expansion(it->second, quoted, tainted_.count(name) > 0);
      } else if (!name.empty() && name_start(name[0]) && (rest.rfind(":-", 0) == 0 || rest.rfind("-", 0) == 0)) {
        const bool colon = rest[0] == ':';
        const std::string fallback = rest.substr(colon ? 2 : 1);
        const bool use_value = it != vars_.end() && !(colon && it->second.empty());
        append_expansion(use_value ? it->second : fallback, quoted);
      } else {
        append_unexpanded(raw);
      }
      return;
    }
    if (name_start(peek(1))) {
      size_t j = i_ + 1;
      while (j < s_.size() && name_char(s_[j])) ++j;
      const std::string name = s_.substr(i_ + 1, j - i_ - 1);
      advance(j - i_);
      auto it = vars_.find(name);
      if (it != vars_.end()) append_expansion(it->second, quoted, tainted_.count(name) > 0);
      else append_unexpanded("$" + name);
      return;
    }
    const char next = peek(1);
    if (next != '\0' && std::string("0123456789@*#?$!-").find(next) != std::string::npos) {
      advance(2);
      append_unexpanded(std::string("$") + next);
      return;
    }
    start_word();
    word_.text += '$';
    advance();
  }

  void backtick() {
    if (!in_word_) start_word();
    const size_t close = s_.find('`', i_ + 1);
    const std::string raw = s_.substr(i_, close == std::string::npos ? std::string::npos : close + 1 - i_);
    advance(raw.size());
    append_unexpanded(raw);
  }

  // At '<' or '>' (or "&>"): a redirection; its target word is dropped.
  void redirection() {
    if (in_word_ && !word_.text.empty() &&
        word_.text.find_first_not_of("0123456789") == std::string::npos) {
      in_word_ = false;  // "2" of "2>&1" is the descriptor, not a word
    } else {
      end_word();
    }
    if (peek() == '&') advance();
    advance();  // '<' or '>'
    if (peek() == '>' || peek() == '|') advance();
    if (peek() == '&') {
      advance();
      if (peek() == '-' || std::isdigit(static_cast<unsigned char>(peek()))) {
        while (peek() == '-' || std::isdigit(static_cast<unsigned char>(peek()))) advance();
        return;
      }
    }
    discard_next_word_ = true;
  }

  void step() {
    const char c = s_[i_];
    if (quote_ == '\'') {
      if (c == '\'') quote_ = 0;
      else word_.text += c;
      advance();
      return;
    }
    if (quote_ == '"') {
      if (c == '"') {
        quote_ = 0;
        advance();
      } else if (c == '\\' && std::string("$`\"\\\n").find(peek(1)) != std::string::npos && peek(1) != '\0') {
        if (peek(1) != '\n') word_.text += peek(1);
        advance(2);
      } else if (c == '$') {
        dollar(true);
      } else if (c == '`') {
        backtick();
      } else {
        word_.text += c;
        advance();
      }
      return;
    }
    pending_where_.reset();
    switch (c) {
      case '\\':
        if (peek(1) == '\n') {
          advance(2);
          return;
        }
        start_word();
        if (peek(1) != '\0') word_.text += peek(1);
        advance(2);
        return;
      case '\'':
      case '"':
        start_word();
        quote_ = c;
        quote_where_ = here();
        advance();
        return;
      case ' ':
      case '\t':
      case '\r':
        end_word();
        advance();
        return;
      case '\n':
      case ';':
      case '|':
        end_word();
        end_command();
        advance();
        return;
      case '&':
        if (peek(1) == '>') {
          redirection();
          return;
        }
        end_word();
        end_command();
        advance();
        return;
      case '<':
      case '>':
        redirection();
        return;
      case '#':
        if (!in_word_) {
          while (i_ < s_.size() && s_[i_] != '\n') advance();
          return;
        }
        break;
      case '$':
        dollar(false);
        return;
      case '`':
        backtick();
        return;
      default:
        break;
    }
    start_word();
    word_.text += c;
    advance();
  }

 public:
  void check_closed() const {
    if (quote_ != 0)
      throw InputError(quote_where_, "", std::string("this ") + (quote_ == '"' ? "double" : "single") +
                                              " quote is never closed; paste the whole command");
  }

 private:
  const std::string& s_;
  SourceLocation origin_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
  char quote_ = 0;
  SourceLocation quote_where_;
  bool in_word_ = false, assignment_ = false, discard_next_word_ = false;
  std::optional<SourceLocation> pending_where_, expansion_at_;
  Word word_;
  Command command_;
  std::vector<Command> commands_;
  std::map<std::string, std::string> vars_;
  std::set<std::string> tainted_;  // variables whose value holds unexpanded parts
};

}  // namespace

std::vector<Command> commands_from_words(const std::vector<std::string>& words) {
  Command command;
  int column = 1;
  for (const auto& w : words) {
    Word word{w, {kCommandLineName, 1, column}, false};
    column += static_cast<int>(w.size()) + 1;
    if (command.words.empty() && is_assignment(w)) command.env.push_back(word);
    else command.words.push_back(word);
  }
  if (command.words.empty() && command.env.empty()) return {};
  return {command};
}

std::vector<Command> commands_from_text(const std::string& text, const SourceLocation& origin) {
  Splitter splitter(text, origin);
  auto commands = splitter.run();
  splitter.check_closed();
  return commands;
}

std::string join_words(const std::vector<Word>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    const bool plain = !w.text.empty() && w.text.find_first_of(" \t\n'\"\\$`;&|<>(){}*?#") == std::string::npos;
    if (plain || w.unexpanded) {
      out += w.text;
    } else {
      out += '\'';
      for (char c : w.text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

}  // namespace trainsim::importer
