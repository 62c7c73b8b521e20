#pragma once
// The text form of the files a sharded search keeps in its parts folder about the search (the
// manifest, the record of Slurm submissions; the parts hold results, and are results:
// part_file.hpp): a header line "<kind> <version>", one record per
// line, "<name> <value>", and a last line "end", so that a file cut short is never taken for a
// whole one. Values are escaped as in the run journal (core/journal.hpp): no tab, newline or
// backslash appears raw, so one record is always one line.
#include <string>
#include <utility>
#include <vector>

namespace trainsim::scaleout {

using Records = std::vector<std::pair<std::string, std::string>>;  // (name, raw value)

// The file's text. Names are single words; values are written as given (escape them first).
std::string format_records(const std::string& kind, int version, const Records& records);

// Parses what format_records wrote. InputError at `path`:line when the header is not `kind`,
// the version is not `version`, a line is malformed or "end" is missing.
Records parse_records(const std::string& text, const std::string& path, const std::string& kind, int version);

// Reads and parses the file at `path` (InputError if it cannot be read).
Records read_records(const std::string& path, const std::string& kind, int version);

// The first value of record `name` (InputError at `path` naming the record when absent).
const std::string& record(const Records& records, const std::string& name, const std::string& path);

}  // namespace trainsim::scaleout
