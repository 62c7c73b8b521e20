#include "platform/kernel_times.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.hpp"

namespace trainsim {
namespace {

constexpr std::array<const char*, 11> kColumns = {"op", "m", "n", "k", "batch", "seq", "heads", "head_dim",
                                                  "bytes", "params", "ms"};
enum Col { kOp, kM, kN, kK, kBatch, kSeq, kHeads, kHeadDim, kBytes, kParams, kMs };
// Columns each op needs (besides op and ms); every other column must be empty.
const std::map<std::string, std::vector<Col>> kOps = {
    {"gemm", {kM, kN, kK}},
    {"copy", {kBytes}},
    {"attention_fwd", {kBatch, kSeq, kHeads, kHeadDim}},
    {"attention_bwd", {kBatch, kSeq, kHeads, kHeadDim}},
    {"adamw", {kParams}},
};
constexpr long long kMaxDimension = 1LL << 40;  // shapes, bytes, parameters: beyond any GPU's memory
constexpr double kMaxMilliseconds = 3.6e6;       // one hour per kernel

struct Cell {
  std::string text;
  int column = 0;  // 1-based character position in the line
};

class Reader {
 public:
  Reader(const std::string& file) : file_(file) {}

  KernelTimes read(const std::string& text) {
    KernelTimes out;
    out.file = file_;
    std::istringstream in(text);
    std::string line;
    bool header = false;
    std::map<std::string, int> seen;  // op + shape -> line
    while (std::getline(in, line)) {
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;  // blank or provenance comment
      if (!header) {
        if (line != kKernelTimesHeader)
          throw InputError({file_, line_, 1}, "header",
                           "the first line that is not a '#' comment is \"" + line.substr(0, 80) +
                               "\"; expected the header \"" + kKernelTimesHeader + "\"");
        header = true;
        continue;
      }
      row(split(line), out, seen);
    }
    if (!header) throw InputError({file_, 0, 0}, "header", std::string("the file has no header; expected \"") +
                                                             kKernelTimesHeader + "\" and one row per measured kernel");
    check_complete(out);
    return out;
  }

 private:
  std::vector<Cell> split(const std::string& line) const {
    std::vector<Cell> cells;
    size_t start = 0;
    while (true) {
      const size_t comma = line.find(',', start);
      cells.push_back({line.substr(start, comma == std::string::npos ? std::string::npos : comma - start),
                       static_cast<int>(start) + 1});
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (cells.size() != kColumns.size())
      throw InputError({file_, line_, 1}, "row", "the row has " + std::to_string(cells.size()) + " cells; expected " +
                                                     std::to_string(kColumns.size()) + " (" + kKernelTimesHeader + ")");
    return cells;
  }

  InputError error(const Cell& c, Col col, const std::string& message) const {
    return InputError({file_, line_, c.column}, kColumns[col], message);
  }

  long long integer(const std::vector<Cell>& cells, Col col) const {
    const Cell& c = cells[col];
    long long v = 0;
    const auto [end, ec] = std::from_chars(c.text.data(), c.text.data() + c.text.size(), v);
    if (c.text.empty() || ec != std::errc() || end != c.text.data() + c.text.size() || v < 1 || v > kMaxDimension)
      throw error(c, col, "got \"" + c.text + "\"; expected a whole number from 1 to " + std::to_string(kMaxDimension));
    return v;
  }

  double milliseconds(const std::vector<Cell>& cells) const {
    const Cell& c = cells[kMs];
    char* end = nullptr;
    const double v = c.text.empty() ? NAN : std::strtod(c.text.c_str(), &end);
    if (c.text.empty() || end != c.text.c_str() + c.text.size() || !std::isfinite(v) || !(v > 0) ||
        v > kMaxMilliseconds)
      throw error(c, kMs, "got \"" + c.text + "\"; expected a time in milliseconds, > 0 and at most 3.6e6 (one hour)");
    return v;
  }

  void row(const std::vector<Cell>& cells, KernelTimes& out, std::map<std::string, int>& seen) {
    const std::string& op = cells[kOp].text;
    const auto it = kOps.find(op);
    if (it == kOps.end())
      throw error(cells[kOp], kOp, "unknown op \"" + op + "\"; expected one of gemm, copy, attention_fwd, attention_bwd, adamw");
    const std::vector<Col>& needs = it->second;
    for (int col = kM; col < kMs; ++col) {
      const bool needed = std::find(needs.begin(), needs.end(), col) != needs.end();
      if (!needed && !cells[col].text.empty())
        throw error(cells[col], static_cast<Col>(col),
                    "a " + op + " row leaves " + kColumns[col] + " empty; got \"" + cells[col].text + "\"");
    }
    std::string key = op;
    for (Col col : needs) key += " " + std::string(kColumns[col]) + "=" + std::to_string(integer(cells, col));
    const double s = milliseconds(cells) * 1e-3;
    if (auto [at, fresh] = seen.emplace(key, line_); !fresh)
      throw error(cells[kOp], kOp, key + " is measured twice (line " + std::to_string(at->second) +
                                       " too); expected one row per shape (the median of its repetitions)");
    const int at = cells[kMs].column;
    if (op == "gemm") {
      out.gemm.push_back({integer(cells, kM), integer(cells, kN), integer(cells, kK), s, line_, at});
    } else if (op == "copy") {
      out.copy.push_back({static_cast<double>(integer(cells, kBytes)), s, line_, at});
    } else if (op == "adamw") {
      out.adamw.push_back({static_cast<double>(integer(cells, kParams)), s, line_, at});
    } else {
      const KernelTimes::Attention a{integer(cells, kBatch), integer(cells, kSeq), integer(cells, kHeads),
                                     integer(cells, kHeadDim), s, line_, at};
      (op == "attention_fwd" ? out.attention_fwd : out.attention_bwd).push_back(a);
    }
  }

  // What the compute model needs from the file (docs/model.md).
  void check_complete(const KernelTimes& t) const {
    const SourceLocation whole{file_, 0, 0};
    std::set<long long> ms, ns, ks;
    std::set<std::tuple<long long, long long, long long>> shapes;
    for (const auto& g : t.gemm) {
      ms.insert(g.m), ns.insert(g.n), ks.insert(g.k);
      shapes.emplace(g.m, g.n, g.k);
    }
    const std::pair<const char*, const std::set<long long>*> axes[] = {{"m", &ms}, {"n", &ns}, {"k", &ks}};
    for (const auto& [name, axis] : axes)
      if (axis->size() < 2)
        throw InputError(whole, "gemm", "the gemm rows have " + std::to_string(axis->size()) + " value(s) of " + name +
                                            "; expected at least 2 (a grid to interpolate in)");
    for (long long m : ms)
      for (long long n : ns)
        for (long long k : ks)
          if (!shapes.count({m, n, k}))
            throw InputError(whole, "gemm", "the gemm rows do not form a full grid: m=" + std::to_string(m) +
                                                " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                                                " is missing; expected every combination of the measured m, n and k");
    const std::pair<const char*, size_t> needed[] = {
        {"copy", t.copy.size()}, {"attention_fwd", t.attention_fwd.size()}, {"attention_bwd", t.attention_bwd.size()}};
    for (const auto& [op, count] : needed)
      if (count == 0) throw InputError(whole, op, std::string("no ") + op + " row; expected at least one");
    std::set<double> params;
    for (const auto& a : t.adamw) params.insert(a.params);
    if (params.size() < 2)
      throw InputError(whole, "adamw", "the adamw rows have " + std::to_string(params.size()) +
                                           " parameter count(s); expected at least 2 (a fixed cost and a per-parameter cost)");
  }

  std::string file_;
  int line_ = 0;
};

}  // namespace

double attention_forward_flops(const KernelTimes::Attention& a) {
  return 2.0 * static_cast<double>(a.batch) * static_cast<double>(a.seq) * static_cast<double>(a.seq) *
         static_cast<double>(a.heads * a.head_dim);
}

double attention_backward_flops(const KernelTimes::Attention& a) { return 2.5 * attention_forward_flops(a); }

KernelTimes parse_kernel_times(const std::string& text, const std::string& file) { return Reader(file).read(text); }

void check_kernel_times(const KernelTimes& t, const GpuModel& gpu) {
  auto refuse = [&](int line, int column, const char* what, double rate, double limit, const char* unit) {
    std::ostringstream os;
    os.precision(4);
    os << "this " << what << " row runs at " << rate << " " << unit << ", above the " << gpu.name << "'s " << limit
       << " " << unit << "; expected times measured on this GPU, in milliseconds";
    throw InputError({t.file, line, column}, "ms", os.str());
  };
  const double peak = gpu.peak_flops / 1e12;
  for (const auto& g : t.gemm) {
    const double rate = 2.0 * g.m * static_cast<double>(g.n) * g.k / g.seconds / 1e12;
    if (rate > peak) refuse(g.line, g.column, "gemm", rate, peak, "TFLOP/s (16-bit peak)");
  }
  for (const auto& a : t.attention_fwd) {
    const double rate = attention_forward_flops(a) / a.seconds / 1e12;
    if (rate > peak) refuse(a.line, a.column, "attention_fwd", rate, peak, "TFLOP/s (16-bit peak)");
  }
  for (const auto& a : t.attention_bwd) {
    const double rate = attention_backward_flops(a) / a.seconds / 1e12;
    if (rate > peak) refuse(a.line, a.column, "attention_bwd", rate, peak, "TFLOP/s (16-bit peak)");
  }
  const double bandwidth = gpu.memory_bandwidth / 1e9;
  for (const auto& c : t.copy)
    if (c.bytes / c.seconds / 1e9 > bandwidth)
      refuse(c.line, c.column, "copy", c.bytes / c.seconds / 1e9, bandwidth, "GB/s (memory bandwidth)");
}

}  // namespace trainsim
