#include "core/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace trainsim {

std::string RunJournal::escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string RunJournal::unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char n = text[++i];
    out += n == 't' ? '\t' : n == 'n' ? '\n' : n;
  }
  return out;
}

RunJournal::RunJournal(const std::string& output_path) : path_(output_path + ".partial") {
  // Like every output, only ever a regular file: never append through a link or into a FIFO.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw InputError({path_, 0, 0}, "",
                     "the sweep journal path is not a regular file (a link, folder, FIFO or device); remove it or "
                     "choose another output");
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;  // no journal yet: a fresh sweep
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError({path_, 0, 0}, "", "cannot read the sweep journal");
  const std::string text = buffer.str();
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // cut short by an interruption: run it again
    ++line_no;
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos)
      throw InputError({path_, static_cast<int>(line_no), 1}, "",
                       "not a sweep journal line (expected key<TAB>result); delete the file to start over");
    completed_[unescape(line.substr(0, tab))] = unescape(line.substr(tab + 1));
  }
}

const std::string& RunJournal::result(const std::string& key) const {
  auto it = completed_.find(key);
  if (it == completed_.end()) throw InternalError("journal has no completed run '" + key + "'");
  return it->second;
}

void RunJournal::record(const std::string& key, const std::string& result) { record_all({{key, result}}); }

void RunJournal::record_all(const std::vector<std::pair<std::string, std::string>>& runs) {
  if (runs.empty()) return;
  std::string line;
  for (const auto& [key, result] : runs) line += escape(key) + "\t" + escape(result) + "\n";
  // O_APPEND and one write: each line is whole, or (if the write was cut) the last one lacks its
  // newline and is ignored on reload.
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError({path_, 0, 0}, "", std::string("cannot open the sweep journal: ") + std::strerror(errno));
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      throw InputError({path_, 0, 0}, "", "cannot append to the sweep journal: " + why);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  for (const auto& [key, result] : runs) completed_[key] = result;
}

void RunJournal::finish() { ::unlink(path_.c_str()); }

}  // namespace trainsim
