#include "diloco/result.hpp"

#include <sstream>

#include "core/error.hpp"
#include "output/table_printer.hpp"

namespace trainsim {

std::string AbstractResult::serialize() const {
  std::ostringstream out;
  auto num = [&](double v) { out << output::format_roundtrip(v) << ' '; };
  num(utilization), num(round_time), num(wan_bytes), num(wan_bytes_per_round), num(peak_wan_bandwidth),
      num(extra_memory_per_gpu);
  out << rounds << ' ' << steady_round << ' ' << period << ' ' << cycle << ' ' << workers.size() << ' ';
  for (const auto& w : workers) num(w.compute), num(w.window), num(w.wait);
  out << wan_link_names.size() << ' ';
  for (size_t i = 0; i < wan_link_names.size(); ++i) out << wan_link_names[i] << ' ', num(wan_link_bytes[i]);
  return out.str();
}

AbstractResult AbstractResult::parse(const std::string& text) {
  std::istringstream in(text);
  AbstractResult r;
  size_t n = 0;
  in >> r.utilization >> r.round_time >> r.wan_bytes >> r.wan_bytes_per_round >> r.peak_wan_bandwidth >>
      r.extra_memory_per_gpu >> r.rounds >> r.steady_round >> r.period >> r.cycle >> n;
  r.workers.resize(n);
  for (auto& w : r.workers) in >> w.compute >> w.window >> w.wait;
  in >> n;
  r.wan_link_names.resize(n);
  r.wan_link_bytes.resize(n);
  for (size_t i = 0; i < n; ++i) in >> r.wan_link_names[i] >> r.wan_link_bytes[i];
  if (!in) throw InternalError("malformed DiLoCo result: " + text);
  return r;
}

}  // namespace trainsim
