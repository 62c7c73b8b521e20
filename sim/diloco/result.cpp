#include "diloco/result.hpp"

#include <stdexcept>

#include "core/error.hpp"
#include "output/result_json.hpp"

namespace trainsim {

output::TraceData AbstractResult::to_results() const {
  output::TraceData r;
  r.summary = {{"utilization", utilization, "1"},
               {"round_time", round_time, "s"},
               {"wan_bytes", wan_bytes, "B"},
               {"wan_bytes_per_round", wan_bytes_per_round, "B"},
               {"peak_wan_bandwidth", peak_wan_bandwidth, "B/s"},
               {"extra_memory_per_gpu", extra_memory_per_gpu, "B"},
               {"rounds", static_cast<double>(rounds), "1"},
               {"steady_round", static_cast<double>(steady_round), "1"},
               {"period", static_cast<double>(period), "1"},
               {"cycle", cycle ? 1.0 : 0.0, "1"}};
  auto w = output::Table::with_columns("workers", {}, {"compute", "window", "wait"});
  for (const auto& x : workers) w.add_row({}, {x.compute, x.window, x.wait});
  auto l = output::Table::with_columns("wan_links", {"link"}, {"bytes_per_round"});
  for (size_t i = 0; i < wan_link_names.size(); ++i) l.add_row({wan_link_names[i]}, {wan_link_bytes.at(i)});
  r.tables = {std::move(w), std::move(l)};
  return r;
}

AbstractResult AbstractResult::from_results(const output::TraceData& t) {
  using output::metric_value;
  AbstractResult r;
  r.utilization = metric_value(t, "utilization");
  r.round_time = metric_value(t, "round_time");
  r.wan_bytes = metric_value(t, "wan_bytes");
  r.wan_bytes_per_round = metric_value(t, "wan_bytes_per_round");
  r.peak_wan_bandwidth = metric_value(t, "peak_wan_bandwidth");
  r.extra_memory_per_gpu = metric_value(t, "extra_memory_per_gpu");
  r.rounds = static_cast<int>(metric_value(t, "rounds"));
  r.steady_round = static_cast<int>(metric_value(t, "steady_round"));
  r.period = static_cast<int>(metric_value(t, "period"));
  r.cycle = metric_value(t, "cycle") != 0;
  const auto& w = output::table_named(t, "workers");
  const auto &compute = output::numeric_column(w, "compute"), &window = output::numeric_column(w, "window"),
             &wait = output::numeric_column(w, "wait");
  for (size_t i = 0; i < w.rows(); ++i) r.workers.push_back({compute[i], window[i], wait[i]});
  const auto& l = output::table_named(t, "wan_links");
  r.wan_link_names = output::text_column(l, "link");
  r.wan_link_bytes = output::numeric_column(l, "bytes_per_round");
  return r;
}

std::string AbstractResult::serialize() const { return output::results_to_json(to_results()); }

AbstractResult AbstractResult::parse(const std::string& text) {
  try {
    return from_results(output::results_from_json(text));
  } catch (const std::runtime_error& e) {
    throw InternalError(std::string("malformed DiLoCo result: ") + e.what());
  }
}

}  // namespace trainsim
