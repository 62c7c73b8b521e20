#include "core/units.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace trainsim::units {
namespace {

struct Unit {
  const char* name;
  double factor;  // multiply the number by this to get SI base units
};

// Decimal prefixes for rates (as vendors quote link speeds), both decimal and binary for sizes.
const std::vector<Unit>& table(Kind kind) {
  static const std::vector<Unit> bandwidth = {
      {"bps", 1.0 / 8}, {"b/s", 1.0 / 8}, {"Kbps", 1e3 / 8}, {"Kb/s", 1e3 / 8},
      {"Mbps", 1e6 / 8}, {"Mb/s", 1e6 / 8}, {"Gbps", 1e9 / 8}, {"Gb/s", 1e9 / 8},
      {"Tbps", 1e12 / 8}, {"Tb/s", 1e12 / 8}, {"Bps", 1}, {"B/s", 1}, {"KBps", 1e3},
      {"KB/s", 1e3}, {"MBps", 1e6}, {"MB/s", 1e6}, {"GBps", 1e9}, {"GB/s", 1e9},
      {"TBps", 1e12}, {"TB/s", 1e12}, {"KiB/s", 1024.0}, {"MiB/s", 1024.0 * 1024},
      {"GiB/s", 1024.0 * 1024 * 1024}};
  static const std::vector<Unit> time = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3},
                                         {"s", 1},     {"min", 60},  {"h", 3600}};
  static const std::vector<Unit> size = {
      {"B", 1},         {"KB", 1e3},          {"MB", 1e6},          {"GB", 1e9},
      {"TB", 1e12},     {"KiB", 1024.0},      {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024},
      {"TiB", 1024.0 * 1024 * 1024 * 1024}};
  static const std::vector<Unit> flop_rate = {
      {"FLOPS", 1},    {"FLOP/s", 1},    {"GFLOPS", 1e9},  {"GFLOP/s", 1e9}, {"TFLOPS", 1e12},
      {"TFLOP/s", 1e12}, {"PFLOPS", 1e15}, {"PFLOP/s", 1e15}};
  static const std::vector<Unit> flops = {{"FLOP", 1}, {"GFLOP", 1e9}, {"TFLOP", 1e12},
                                          {"PFLOP", 1e15}, {"EFLOP", 1e18}};
  switch (kind) {
    case Kind::Bandwidth: return bandwidth;
    case Kind::Time: return time;
    case Kind::Size: return size;
    case Kind::FlopRate: return flop_rate;
    case Kind::Flops: return flops;
  }
  return size;
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Bandwidth: return "bandwidth";
    case Kind::Time: return "time";
    case Kind::Size: return "size";
    case Kind::FlopRate: return "FLOP rate";
    case Kind::Flops: return "FLOP count";
  }
  return "quantity";
}

Range plausible(Kind kind) {
  switch (kind) {
    case Kind::Bandwidth: return {1e3 / 8, 1e15, "1 kbit/s to 1 PB/s"};
    case Kind::Time: return {1e-9, 86400, "1 ns to 1 day"};
    case Kind::Size: return {1, 1024.0 * 1024 * 1024 * 1024 * 1024, "1 B to 1 PiB"};
    case Kind::FlopRate: return {1e9, 1e18, "1 GFLOP/s to 1 EFLOP/s"};
    case Kind::Flops: return {1, 1e30, "1 FLOP to 1e30 FLOP"};
  }
  return {0, 0, ""};
}

std::string accepted_units(Kind kind) {
  std::string s;
  for (const auto& u : table(kind)) {
    if (!s.empty()) s += ", ";
    s += u.name;
  }
  return s;
}

std::optional<double> parse(Kind kind, std::string_view text, std::string* why) {
  auto fail = [&](const std::string& msg) -> std::optional<double> {
    if (why) *why = msg;
    return std::nullopt;
  };
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  s = s.substr(b);
  const std::string expect = std::string("expected a ") + kind_name(kind) +
                             " with a unit (one of: " + accepted_units(kind) + ")";
  if (s.empty()) return fail(expect + ", got an empty value");
  const char* begin = s.c_str();
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end == begin) return fail(expect + ", got \"" + s + "\"");
  std::string unit(end);
  size_t k = 0;
  while (k < unit.size() && unit[k] == ' ') ++k;
  unit = unit.substr(k);
  if (unit.empty()) return fail(expect + ", got the bare number \"" + s + "\"");
  if (!std::isfinite(v)) return fail(expect + ", got the non-finite value \"" + s + "\"");
  for (const auto& u : table(kind))
    if (unit == u.name) return v * u.factor;
  return fail(expect + ", got unknown unit \"" + unit + "\" in \"" + s + "\"");
}

namespace {

std::string non_finite(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// Plain or scientific text from std::to_chars (round half to even, as printf).
std::string chars(double value, std::chars_format format, int precision) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format, precision);
  if (result.ec != std::errc()) return non_finite(value);  // unreachable: 64 bytes hold any of these
  return std::string(buffer, result.ptr);
}

// "-0.00" reads as a sign error; a value that rounds to zero prints as zero.
std::string drop_negative_zero(std::string text) {
  if (!text.empty() && text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

constexpr double kScientificAbove = 1e15;  // 16 digits: beyond what a double holds exactly anyway
constexpr double kScientificBelow = 1e-4;

std::string scientific(double value, int digits) {
  return chars(value, std::chars_format::scientific, std::max(digits, 1) - 1);
}

std::string with_unit(double value, const char* unit) { return format_significant(value) + " " + unit; }

}  // namespace

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return non_finite(value);
  if (std::fabs(value) >= kScientificAbove) return scientific(value, kSignificantDigits);
  return drop_negative_zero(chars(value, std::chars_format::fixed, std::clamp(decimals, 0, 17)));
}

std::string format_significant(double value, int digits) {
  if (!std::isfinite(value)) return non_finite(value);
  const double magnitude = std::fabs(value);
  if (magnitude >= kScientificAbove) return scientific(value, digits);
  if (value == std::round(value)) return format_fixed(value, 0);
  if (magnitude < kScientificBelow) return scientific(value, digits);
  const int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
  return format_fixed(value, std::max(0, digits - 1 - exponent));
}

std::string format_percent(double fraction) {
  const double percent = 100 * fraction;
  if (!std::isfinite(percent)) return non_finite(percent) + " %";
  const double magnitude = std::fabs(percent);
  const int exponent = magnitude > 0 ? static_cast<int>(std::floor(std::log10(magnitude))) : 0;
  const int decimals = std::clamp(kSignificantDigits - 1 - exponent, 0, 2);
  const std::string text = format_fixed(percent, percent == std::round(percent) ? 0 : decimals);
  return (std::stod(text) == 0 ? "0" : text) + " %";
}

std::string format_bandwidth(double bps) {
  if (bps >= 1e12) return with_unit(bps / 1e12, "TB/s");
  if (bps >= 1e9) return with_unit(bps / 1e9, "GB/s");
  if (bps >= 1e6) return with_unit(bps / 1e6, "MB/s");
  return with_unit(bps / 1e3, "KB/s");
}

std::string format_time(double s) {
  if (s == 0) return "0 s";
  const double a = std::fabs(s);
  if (a >= 1) return with_unit(s, "s");
  if (a >= 1e-3) return with_unit(s * 1e3, "ms");
  if (a >= 1e-6) return with_unit(s * 1e6, "us");
  return with_unit(s * 1e9, "ns");
}

std::string format_size(double b) {
  if (b >= TiB) return with_unit(b / TiB, "TiB");
  if (b >= GiB) return with_unit(b / GiB, "GiB");
  if (b >= MiB) return with_unit(b / MiB, "MiB");
  if (b >= KiB) return with_unit(b / KiB, "KiB");
  return with_unit(b, "B");
}

}  // namespace trainsim::units
