// `job: {kind: programs, file: PATH}` -> ProgramsSpec, and the strict reader of programs files
// (docs/programs.md, "File format"). Every problem is an InputError at the file's line and the
// column of the offending key, with the key's path (`op.peer`, `rank.groups.pp`, ...).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "config/job_kinds.hpp"
#include "config/paths.hpp"
#include "config/programs_file.hpp"
#include "program/format.hpp"
#include "program/validate.hpp"

namespace trainsim {
namespace {

using json = nlohmann::ordered_json;
using namespace program;

constexpr size_t kMaxLineBytes = 64u << 20;  // a group of a million GPUs is about 8 MiB

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// One line of a programs file: a JSON object whose keys are read strictly.
class Line {
 public:
  Line(const std::string& file, int number, const std::string& text, std::string what)
      : file_(file), number_(number), text_(text), what_(std::move(what)) {
    try {
      j_ = json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError({file_, number_, static_cast<int>(std::min<size_t>(e.byte, text.size() + 1))}, "",
                       std::string("not valid JSON (") + e.what() + "); expected one JSON object per line");
    }
    if (!j_.is_object()) throw InputError({file_, number_, 1}, "", "expected a JSON object on each line, got " + kind(j_));
  }

  int number() const { return number_; }
  const json& raw() const { return j_; }
  bool has(const std::string& key) const { return j_.contains(key); }

  InputError error(const std::string& key, const std::string& message) const {
    const size_t at = text_.find("\"" + key + "\"");
    return InputError({file_, number_, at == std::string::npos ? 1 : static_cast<int>(at + 1)}, what_ + "." + key, message);
  }

  const json& value(const std::string& key) {
    read_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) throw error(key, "missing; every " + what_ + " line needs it");
    return *it;
  }
  double number(const std::string& key, double min, double max = std::numeric_limits<double>::max()) {
    const json& v = value(key);
    if (!v.is_number()) throw error(key, "expected a number, got " + kind(v));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max)
      throw error(key, "value " + v.dump() + " is out of range; expected " + range(min, max));
    return d;
  }
  double number(const std::string& key, double min, double max, double fallback) {
    return has(key) ? number(key, min, max) : (read_.insert(key), fallback);
  }
  int64_t integer(const std::string& key, int64_t min, int64_t max) {
    const json& v = value(key);
    if (!v.is_number_integer()) throw error(key, "expected an integer, got " + kind(v));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw error(key, "value " + v.dump() + " is out of range; expected " + range(min, max));
    const int64_t i = v.get<int64_t>();
    if (i < min || i > max) throw error(key, "value " + v.dump() + " is out of range; expected " + range(min, max));
    return i;
  }
  int64_t integer(const std::string& key, int64_t min, int64_t max, int64_t fallback) {
    return has(key) ? integer(key, min, max) : (read_.insert(key), fallback);
  }
  uint64_t tag(const std::string& key) {
    const json& v = value(key);
    if (!v.is_number_unsigned() || v.get<uint64_t>() >> 63)
      throw error(key, "expected an integer in 0..2^63-1, got " + v.dump());
    return v.get<uint64_t>();
  }
  std::string string(const std::string& key) {
    const json& v = value(key);
    if (!v.is_string()) throw error(key, "expected a string, got " + kind(v));
    return v.get<std::string>();
  }
  bool boolean(const std::string& key, bool fallback) {
    if (!has(key)) return read_.insert(key), fallback;
    const json& v = value(key);
    if (!v.is_boolean()) throw error(key, "expected true or false, got " + kind(v));
    return v.get<bool>();
  }
  // One of `names` (by position).
  int pick(const std::string& key, const std::vector<std::string>& names, const char* what) {
    const std::string s = string(key);
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == s) return static_cast<int>(i);
    throw error(key, "unknown " + std::string(what) + " \"" + s + "\"; expected one of: " + join(names));
  }
  // A name a function maps to an enum.
  template <typename E>
  E named(const std::string& key, std::optional<E> (*parse)(std::string_view), const std::vector<std::string>& names) {
    const std::string s = string(key);
    if (auto e = parse(s)) return *e;
    throw error(key, "unknown value \"" + s + "\"; expected one of: " + join(names));
  }
  // Refuses keys nobody read.
  void finish(const std::vector<std::string>& allowed) const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!read_.count(it.key()))
        throw error(it.key(), "unknown key; " + what_ + " lines take: " + join(allowed));
  }

  static std::string kind(const json& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "a list";
    if (v.is_null()) return "null";
    return v.dump();
  }

 private:
  static std::string range(double min, double max) {
    char buf[96];
    if (max >= std::numeric_limits<double>::max() / 2) std::snprintf(buf, sizeof buf, ">= %g", min);
    else std::snprintf(buf, sizeof buf, "%g..%g", min, max);
    return buf;
  }
  std::string file_;
  int number_;
  const std::string& text_;
  std::string what_;
  json j_;
  std::set<std::string> read_;
};

template <typename E>
std::vector<std::string> all_names(int count, const char* (*name)(E)) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.emplace_back(name(static_cast<E>(i)));
  return out;
}

// Reads the file line by line, skipping empty lines; lines longer than kMaxLineBytes are refused.
class Reader {
 public:
  Reader(const std::string& path, const SourceLocation& named_at) : path_(path) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
      throw InputError(named_at, "job.file", "'" + path + "' is not a regular file; expected a programs file");
    in_.open(path);
    if (!in_)
      throw InputError(named_at, "job.file", "cannot read programs file '" + path +
                                                 "'; expected a file written by `trainsim run --dump-programs` "
                                                 "(docs/programs.md)");
  }
  // The next non-empty line, or false at the end. Reads at most kMaxLineBytes per line, so that
  // a file without newlines (or a device) cannot exhaust memory.
  bool next(std::string& text) {
    std::streambuf* buf = in_.rdbuf();
    for (;;) {
      text.clear();
      int c;
      while ((c = buf->sbumpc()) != std::char_traits<char>::eof() && c != '\n') {
        text.push_back(static_cast<char>(c));
        if (text.size() > kMaxLineBytes)
          throw InputError({path_, number_ + 1, 1}, "", "line longer than " + std::to_string(kMaxLineBytes >> 20) +
                                                            " MiB; programs files hold one record per line");
      }
      if (c == std::char_traits<char>::eof() && text.empty()) return false;
      ++number_;
      if (text.find_first_not_of(" \t\r") != std::string::npos) return true;
    }
  }
  int number() const { return number_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  int number_ = 0;
};

struct Header {
  ProgramSet set;  // names and job only
  int64_t groups = 0, programs = 0, ranks = 0, ops = 0;
};

// `max_ranks`: GPUs of the platform (a rank per GPU at most).
Header read_header(Reader& reader, int64_t max_ranks) {
  std::string text;
  if (!reader.next(text))
    throw InputError({reader.path(), 1, 0}, "", "the file is empty; expected a programs file (docs/programs.md)");
  Line l(reader.path(), reader.number(), text, "header");
  Header h;
  if (!l.has("format") || l.raw()["format"] != kFormatName)
    throw l.error("format", std::string("not a trainsim programs file; expected \"format\": \"") + kFormatName + "\"");
  l.string("format");
  const int64_t version = l.integer("version", 0, std::numeric_limits<int32_t>::max());
  if (version != kFormatVersion)
    throw l.error("version", "version " + std::to_string(version) + " is not supported; this trainsim reads version " +
                                 std::to_string(kFormatVersion));
  const json& job = l.value("job");
  if (!job.is_object() || !job.contains("kind") || !job["kind"].is_string())
    throw l.error("job", "expected {\"kind\": NAME, \"values\": {NAME: NUMBER, ...}}");
  h.set.job.kind = job["kind"].get<std::string>();
  for (auto it = job.begin(); it != job.end(); ++it)
    if (it.key() != "kind" && it.key() != "values") throw l.error("job", "unknown key \"" + it.key() + "\"; expected kind, values");
  if (job.contains("values")) {
    if (!job["values"].is_object()) throw l.error("job", "values must be an object of numbers");
    for (auto it = job["values"].begin(); it != job["values"].end(); ++it) {
      if (!it.value().is_number() || !std::isfinite(it.value().get<double>()))
        throw l.error("job", "value \"" + it.key() + "\" must be a finite number");
      h.set.job.values.emplace_back(it.key(), it.value().get<double>());
    }
  }
  auto names = [&](const char* key, size_t most, bool unique) {
    const json& v = l.value(key);
    if (!v.is_array()) throw l.error(key, "expected a list of names, got " + Line::kind(v));
    if (v.size() > most) throw l.error(key, "more than " + std::to_string(most) + " names");
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& n : v) {
      if (!n.is_string() || n.get<std::string>().empty()) throw l.error(key, "expected non-empty strings, got " + n.dump());
      if (unique && !seen.insert(n.get<std::string>()).second) throw l.error(key, "name " + n.dump() + " appears twice");
      out.push_back(n.get<std::string>());
    }
    return out;
  };
  h.set.streams = names("streams", 255, true);
  if (h.set.streams.empty()) throw l.error("streams", "a program set needs at least one stream");
  h.set.slots = names("slots", 127, true);
  h.set.labels = names("labels", 1u << 30, false);
  h.groups = l.integer("groups", 0, kMaxPrograms);
  h.programs = l.integer("programs", 0, kMaxPrograms);
  h.ranks = l.integer("ranks", 1, kMaxProgramRanks);
  if (h.ranks > max_ranks)
    throw l.error("ranks", std::to_string(h.ranks) + " ranks but the platform has " + std::to_string(max_ranks) +
                               " GPUs; expected at most one rank per GPU");
  h.ops = l.integer("ops", 0, kMaxProgramOps);
  l.finish({"format", "version", "job", "streams", "slots", "labels", "groups", "programs", "ranks", "ops"});
  return h;
}

struct Lines {
  int header = 1;
  std::vector<int> group, program, rank;
  std::vector<std::vector<int>> op;
};

// The fields sends and receives share.
template <typename Message>
Message message(Line& l, std::vector<std::string>& keys) {
  Message m;
  m.peer = static_cast<int32_t>(l.integer("peer", 0, kMaxProgramRanks));
  m.bytes = l.number("bytes", 0);
  m.tag = l.tag("tag");
  keys.insert(keys.end(), {"peer", "bytes", "tag"});
  return m;
}

Op read_op(Line& l, const ProgramSet& set) {
  static const auto kinds = all_names(kOpKinds, op_kind_name);
  static const auto roles = all_names(static_cast<int>(output::kActivityKindCount), output::activity_kind_name);
  static const auto categories = all_names(kMemoryCategories, memory_category_name);
  static const auto markers = all_names(kMarkerKinds, marker_kind_name);
  static const auto collectives = names_of(collective_names());
  static const auto algorithms = names_of(algorithm_names());
  static const auto granularities = names_of(granularity_names());
  Op op;
  const OpKind kind = l.named<OpKind>("op", op_kind_from_name, kinds);
  op.stream = static_cast<uint8_t>(l.pick("stream", set.streams, "stream"));
  std::vector<std::string> keys = {"op", "stream", "role", "label"};
  auto slot = [&] {
    keys.push_back("slot");
    return static_cast<int8_t>(l.pick("slot", set.slots, "group slot"));
  };
  switch (kind) {
    case OpKind::Compute: {
      Compute c;
      c.seconds = l.number("seconds", 0);
      c.flops = l.number("flops", 0, std::numeric_limits<double>::max(), 0);
      op.what = c;
      keys.insert(keys.end(), {"seconds", "flops"});
      break;
    }
    case OpKind::Send: {
      op.slot = slot();
      op.what = message<Send>(l, keys);
      break;
    }
    case OpKind::Recv: {
      op.slot = slot();
      auto r = message<Recv>(l, keys);
      if (l.has("gather")) {
        const json& g = l.value("gather");
        if (!g.is_object() || !g.contains("slot") || !g.contains("bytes") || g.size() != 2 || !g["slot"].is_string() ||
            !g["bytes"].is_number() || !(g["bytes"].get<double>() >= 0))
          throw l.error("gather", "expected {\"slot\": NAME, \"bytes\": NUMBER >= 0}");
        const auto it = std::find(set.slots.begin(), set.slots.end(), g["slot"].get<std::string>());
        if (it == set.slots.end()) throw l.error("gather", "unknown group slot " + g["slot"].dump() + "; expected one of: " + join(set.slots));
        r.gather_slot = static_cast<int8_t>(it - set.slots.begin());
        r.gather_bytes = g["bytes"].get<double>();
      }
      op.what = r;
      keys.push_back("gather");
      break;
    }
    case OpKind::Collective: {
      op.slot = slot();
      Collective c;
      c.kind = l.named<CollectiveKind>("collective", collective_from_name, collectives);
      c.algorithm = l.named<CollectiveAlgorithm>("algorithm", algorithm_from_name, algorithms);
      c.granularity = l.named<Granularity>("granularity", granularity_from_name, granularities);
      c.bytes = l.number("bytes", 0);
      c.count = l.number("count", 0, std::numeric_limits<double>::max(), 1);
      if (c.count <= 0) throw l.error("count", "must be > 0");
      c.root = static_cast<int32_t>(l.integer("root", 0, kMaxProgramRanks, 0));
      c.per_peer = static_cast<int32_t>(l.integer("per_peer", -1, std::numeric_limits<int32_t>::max(), -1));
      op.what = c;
      keys.insert(keys.end(), {"collective", "algorithm", "granularity", "bytes", "count", "root", "per_peer"});
      break;
    }
    case OpKind::Record:
    case OpKind::Wait: {
      const auto e = static_cast<int32_t>(l.integer("event", 0, std::numeric_limits<int32_t>::max()));
      if (kind == OpKind::Record) op.what = Record{e};
      else op.what = Wait{e};
      keys.push_back("event");
      break;
    }
    case OpKind::Alloc:
    case OpKind::Free: {
      const auto cat = l.named<MemoryCategory>("category", memory_category_from_name, categories);
      const double bytes = l.number("bytes", 0);
      if (kind == OpKind::Alloc) op.what = Alloc{bytes, cat};
      else op.what = Free{bytes, cat};
      keys.insert(keys.end(), {"category", "bytes"});
      break;
    }
    case OpKind::Marker: {
      Marker m;
      m.what = l.named<MarkerKind>("marker", marker_kind_from_name, markers);
      m.value = static_cast<int32_t>(l.integer("value", 0, std::numeric_limits<int32_t>::max()));
      m.end = l.boolean("end", false);
      op.what = m;
      keys.insert(keys.end(), {"marker", "value", "end"});
      break;
    }
  }
  op.role = l.has("role") ? l.named<Role>("role", role_from_name, roles) : default_role(kind);
  if (l.has("label")) op.label = l.pick("label", set.labels, "label (declared in the header's labels)");
  l.finish(keys);
  return op;
}

void read_body(Reader& reader, Header& h, Lines& lines) {
  ProgramSet& set = h.set;
  std::string text;
  auto next = [&](const std::string& what, int64_t index, int64_t count) {
    if (!reader.next(text))
      throw InputError({reader.path(), reader.number(), 0}, "",
                       "the file ends before " + what + " " + std::to_string(index) + " of the " + std::to_string(count) +
                           " its header announces");
  };
  std::map<std::string, int> group_index;
  for (int64_t g = 0; g < h.groups; ++g) {
    next("group", g, h.groups);
    Line l(reader.path(), reader.number(), text, "group");
    Group group;
    group.name = l.string("group");
    if (group.name.empty()) throw l.error("group", "a group needs a name");
    if (!group_index.emplace(group.name, static_cast<int>(g)).second) throw l.error("group", "group \"" + group.name + "\" is defined twice");
    const json& gpus = l.value("gpus");
    if (!gpus.is_array() || gpus.empty()) throw l.error("gpus", "expected a non-empty list of global GPU indices");
    for (const auto& v : gpus) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxProgramRanks)
        throw l.error("gpus", "expected GPU indices >= 0, got " + v.dump());
      group.gpus.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    l.finish({"group", "gpus"});
    lines.group.push_back(l.number());
    set.groups.push_back(std::move(group));
  }
  int64_t ops = 0;
  for (int64_t p = 0; p < h.programs; ++p) {
    next("program", p, h.programs);
    Line l(reader.path(), reader.number(), text, "program");
    if (l.integer("program", 0, kMaxPrograms) != p)
      throw l.error("program", "programs are numbered in order; expected " + std::to_string(p));
    Program prog;
    const int64_t n = l.integer("ops", 0, kMaxProgramOps);
    ops += n;
    if (ops > h.ops) throw l.error("ops", "the programs hold more ops than the header's " + std::to_string(h.ops));
    prog.events = static_cast<int32_t>(l.integer("events", 0, std::numeric_limits<int32_t>::max()));
    if (l.has("values")) {
      const json& v = l.value("values");
      if (!v.is_array()) throw l.error("values", "expected a list of numbers");
      for (const auto& x : v) {
        if (!x.is_number() || !(x.get<double>() >= 0) || !std::isfinite(x.get<double>()))
          throw l.error("values", "expected numbers >= 0, got " + x.dump());
        prog.values.push_back(x.get<double>());
      }
    }
    l.finish({"program", "ops", "events", "values"});
    lines.program.push_back(l.number());
    lines.op.emplace_back();
    prog.ops.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      next("op", i, n);
      Line o(reader.path(), reader.number(), text, "op");
      prog.ops.push_back(read_op(o, set));
      lines.op.back().push_back(o.number());
    }
    set.programs.push_back(std::move(prog));
  }
  if (ops != h.ops)
    throw InputError({reader.path(), lines.header, 0}, "header.ops",
                     "the header announces " + std::to_string(h.ops) + " ops but the programs hold " + std::to_string(ops));
  for (int64_t r = 0; r < h.ranks; ++r) {
    next("rank", r, h.ranks);
    Line l(reader.path(), reader.number(), text, "rank");
    if (l.integer("rank", 0, kMaxProgramRanks) != r) throw l.error("rank", "ranks are numbered in order; expected " + std::to_string(r));
    Rank rank;
    rank.gpu = static_cast<int32_t>(l.integer("gpu", 0, kMaxProgramRanks));
    rank.program = static_cast<int32_t>(l.integer("program", 0, h.programs - 1));
    rank.groups.assign(set.slots.size(), -1);
    const json& groups = l.value("groups");
    if (!groups.is_object()) throw l.error("groups", "expected {SLOT: GROUP NAME, ...}");
    for (auto it = groups.begin(); it != groups.end(); ++it) {
      const auto s = std::find(set.slots.begin(), set.slots.end(), it.key());
      if (s == set.slots.end()) throw l.error("groups", "unknown group slot \"" + it.key() + "\"; expected one of: " + join(set.slots));
      if (!it.value().is_string() || !group_index.count(it.value().get<std::string>()))
        throw l.error("groups", "slot \"" + it.key() + "\" names " + it.value().dump() + ", which is not a group of the file");
      rank.groups[s - set.slots.begin()] = group_index.at(it.value().get<std::string>());
    }
    rank.compute_scale = l.number("compute_scale", 1e-3, 1e3, 1);
    rank.info.stage = static_cast<int32_t>(l.integer("stage", 0, kMaxProgramRanks, -1));
    rank.info.tp_rank = static_cast<int32_t>(l.integer("tp_rank", 0, kMaxProgramRanks, -1));
    rank.info.dp_rank = static_cast<int32_t>(l.integer("dp_rank", 0, kMaxProgramRanks, -1));
    rank.info.replica = static_cast<int32_t>(l.integer("replica", 0, kMaxProgramRanks, -1));
    l.finish({"rank", "gpu", "program", "groups", "compute_scale", "stage", "tp_rank", "dp_rank", "replica"});
    lines.rank.push_back(l.number());
    set.ranks.push_back(std::move(rank));
  }
  if (reader.next(text))
    throw InputError({reader.path(), reader.number(), 1}, "",
                     "unexpected line after the last rank; the header announces " + std::to_string(h.ranks) + " ranks");
}

}  // namespace

ProgramsSpec parse_programs(YamlMap& job, const PlatformSpec& platform) {
  ProgramsSpec spec;
  spec.where = job.where("file");
  spec.file = resolve_relative(job.file(), job.get_string("file"));
  job.finish();  // a misspelt key is reported before the file is read
  Reader reader(spec.file, spec.where);
  const Header h = read_header(reader, platform.total_gpus());
  spec.job_kind = h.set.job.kind;
  spec.streams = static_cast<int64_t>(h.set.streams.size());
  spec.groups = h.groups, spec.programs = h.programs, spec.ranks = h.ranks, spec.ops = h.ops;
  return spec;
}

SourceLocation ProgramsFile::op_location(int program, int op) const {
  if (program < 0 || program >= static_cast<int>(op_lines.size()) || op < 0 ||
      op >= static_cast<int>(op_lines[program].size()))
    return {path, 0, 0};
  return {path, op_lines[program][op], 0};
}

ProgramsFile load_programs_file(const ProgramsSpec& spec, int platform_gpus) {
  Reader reader(spec.file, spec.where);
  Header h = read_header(reader, platform_gpus);
  Lines lines;
  read_body(reader, h, lines);
  ProgramSet& set = h.set;
  try {
    validate(set, platform_gpus);
  } catch (const InvalidPrograms& e) {
    const auto& w = e.where();
    std::string key = w.field;
    int line = lines.header;
    if (w.program >= 0 && w.op >= 0) line = lines.op[w.program][w.op], key = "op." + key;
    else if (w.rank >= 0) line = lines.rank[w.rank], key = "rank." + key;
    else if (w.group >= 0) line = lines.group[w.group], key = "group." + key;
    else if (w.program >= 0) line = lines.program[w.program], key = "program." + key;
    throw InputError({spec.file, line, 0}, key == "." ? "" : key, e.what());
  }
  return {std::move(h.set), spec.file, std::move(lines.op)};
}

}  // namespace trainsim
