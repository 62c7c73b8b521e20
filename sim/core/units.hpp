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

// The physically plausible values of a quantity: beyond them no real cluster or job lies, and a
// value there is a typo ("1e-300Gbps") that would otherwise give 1e300-second iterations. The
// loaders refuse values outside with this range (docs/scenarios.md, "Quantities").
struct Range {
  double min;
  double max;
  const char* text;  // for messages: "1 kbit/s to 1 PB/s"
};
Range plausible(Kind kind);
// Latencies (links, switches, WAN): tighter than any time; 0 is accepted where a key allows it.
inline constexpr Range kLatencyRange{1e-9, 10, "1 ns to 10 s"};
// Multipliers of a nominal value (heterogeneity factors, spreads).
inline constexpr Range kFactorRange{1e-3, 1e3, "0.001 to 1000"};

// Accepted unit spellings for a kind, for error messages and docs ("b/s, bps, ... GB/s").
std::string accepted_units(Kind kind);
const char* kind_name(Kind kind);

// Number printing shared by every report, table and message, so that no command prints fewer
// digits than the others (docs/robustness.md, "Printing numbers"):
//  - format_fixed: `decimals` decimals; a value that rounds to zero prints as zero ("0.00",
//    never "-0.00"); magnitudes of 1e15 and above in scientific notation (never a 300-digit
//    number); "nan", "inf", "-inf" for non-finite values.
//  - format_significant: at least `digits` significant digits ("19.97", "560.3", "233938",
//    "0.03129"); exact integers print without decimals ("20", "64"); magnitudes below 1e-4 and
//    from 1e15 in scientific notation ("3.125e-05").
//  - format_percent: a fraction as a percentage with 4 significant digits and at most 2
//    decimals ("33.19 %", "0.52 %", "100 %"); tiny negative rounding noise prints as "0 %".
inline constexpr int kSignificantDigits = 4;
std::string format_fixed(double value, int decimals);
std::string format_significant(double value, int digits = kSignificantDigits);
std::string format_percent(double fraction);

// Human-readable quantities with format_significant's digits ("25.60 GB/s", "19.97 s",
// "560.3 ms", "80 GiB") for tables, summaries and messages.
std::string format_bandwidth(double bytes_per_s);  // decimal GB/s like nccl-tests
std::string format_time(double seconds);
std::string format_size(double bytes);  // binary prefixes (KiB, MiB, GiB, TiB)

inline constexpr double KiB = 1024.0, MiB = KiB * 1024.0, GiB = MiB * 1024.0, TiB = GiB * 1024.0;
inline constexpr double GB = 1e9, Gbps = 1e9 / 8.0;

}  // namespace trainsim::units
