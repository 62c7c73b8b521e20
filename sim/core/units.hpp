#pragma once
// Strict parsing and printing of physical quantities. Internal units are SI base units:
// bytes, seconds, bytes per second, FLOP, FLOP per second. A value that needs a unit and
// has none is an error: "200" is not a bandwidth, "200Gbps" is.
#include <optional>
#include <string>
#include <string_view>

namespace trainsim::units {

enum class Kind { Bandwidth, Time, Size, FlopRate, Flops };

// Parses `text` as a quantity of `kind`. Returns the value in SI base units, or nullopt and
// sets `why` to a message naming the accepted units.
std::optional<double> parse(Kind kind, std::string_view text, std::string* why);

// Accepted unit spellings for a kind, for error messages and docs ("b/s, bps, ... GB/s").
std::string accepted_units(Kind kind);
const char* kind_name(Kind kind);

// Human-readable printing ("25 GB/s", "1.50 us", "80 GiB") for tables and summaries.
std::string format_bandwidth(double bytes_per_s);  // decimal GB/s like nccl-tests
std::string format_time(double seconds);
std::string format_size(double bytes);  // binary prefixes (KiB, MiB, GiB)

inline constexpr double KiB = 1024.0, MiB = KiB * 1024.0, GiB = MiB * 1024.0;
inline constexpr double GB = 1e9, Gbps = 1e9 / 8.0;

}  // namespace trainsim::units
