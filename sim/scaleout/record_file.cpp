#include "scaleout/record_file.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace trainsim::scaleout {

std::string format_records(const std::string& kind, int version, const Records& records) {
  std::string out = kind + " " + std::to_string(version) + "\n";
  for (const auto& [name, value] : records) out += name + " " + value + "\n";
  return out + "end\n";
}

Records parse_records(const std::string& text, const std::string& path, const std::string& kind, int version) {
  std::istringstream in(text);
  std::string line;
  int line_no = 1;
  const std::string header = kind + " " + std::to_string(version);
  if (!std::getline(in, line) || line != header) {
    const bool same_kind = line.rfind(kind + " ", 0) == 0;
    throw InputError({path, 1, 1}, "",
                     same_kind ? "written by another trainsim version ('" + line + "'); expected '" + header +
                                     "': remove the parts folder and run the search again"
                               : "not a trainsim " + kind + " file (its first line should be '" + header + "')");
  }
  Records out;
  bool ended = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (ended) throw InputError({path, line_no, 1}, "", "text after the closing 'end' line; the file was edited");
    if (line == "end") {
      ended = true;
      continue;
    }
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0)
      throw InputError({path, line_no, 1}, "", "not a '<name> <value>' line; the file was edited or cut");
    out.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  if (!ended) throw InputError({path, line_no, 1}, "", "the file ends without its closing 'end' line (cut short)");
  return out;
}

Records read_records(const std::string& path, const std::string& kind, int version) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError({path, 0, 0}, "", "cannot read the " + kind + " file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError({path, 0, 0}, "", "cannot read the " + kind + " file");
  return parse_records(buffer.str(), path, kind, version);
}

const std::string& record(const Records& records, const std::string& name, const std::string& path) {
  for (const auto& [n, v] : records)
    if (n == name) return v;
  throw InputError({path, 0, 0}, "", "has no '" + name + "' line; the file was edited");
}

}  // namespace trainsim::scaleout
