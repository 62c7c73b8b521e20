#include "output/trace.hpp"

#include <limits>
#include <stdexcept>

namespace trainsim::output {

const char* activity_kind_name(ActivityKind kind) {
  switch (kind) {
    case ActivityKind::Forward: return "forward";
    case ActivityKind::BackwardInput: return "backward_input";
    case ActivityKind::BackwardWeight: return "backward_weight";
    case ActivityKind::Backward: return "backward";
    case ActivityKind::Recompute: return "recompute";
    case ActivityKind::Optimizer: return "optimizer";
    case ActivityKind::Compute: return "compute";
    case ActivityKind::TpComm: return "tp_comm";
    case ActivityKind::PpSend: return "pp_send";
    case ActivityKind::PpRecv: return "pp_recv";
    case ActivityKind::DpComm: return "dp_comm";
    case ActivityKind::Collective: return "collective";
    case ActivityKind::Transfer: return "transfer";
    case ActivityKind::OuterSync: return "outer_sync";
    case ActivityKind::Wait: return "wait";
    case ActivityKind::Memcpy: return "memcpy";
  }
  return "unknown";
}

int32_t LabelTable::intern(std::string_view text) {
  auto it = index_.find(text);
  if (it != index_.end()) return it->second;
  auto index = static_cast<int32_t>(names_.size());
  names_.emplace_back(text);
  index_.emplace(std::string(text), index);
  return index;
}

double link_utilization(const LinkStats& link, double makespan) {
  if (!(makespan > 0)) return std::numeric_limits<double>::quiet_NaN();
  return link.busy_time / makespan;
}

std::size_t Table::rows() const {
  if (!numeric_columns.empty()) return numeric_columns.front().size();
  if (!text_columns.empty()) return text_columns.front().size();
  return 0;
}

Table Table::with_columns(std::string name, std::vector<std::string> text, std::vector<std::string> numeric) {
  Table t;
  t.name = std::move(name);
  t.text_names = std::move(text);
  t.numeric_names = std::move(numeric);
  t.text_columns.resize(t.text_names.size());
  t.numeric_columns.resize(t.numeric_names.size());
  return t;
}

void Table::add_row(const std::vector<std::string>& text, const std::vector<double>& numbers) {
  if (text.size() != text_columns.size() || numbers.size() != numeric_columns.size())
    throw std::logic_error("row of table '" + name + "' has the wrong width");
  for (size_t i = 0; i < text.size(); ++i) text_columns[i].push_back(text[i]);
  for (size_t i = 0; i < numbers.size(); ++i) numeric_columns[i].push_back(numbers[i]);
}

}  // namespace trainsim::output
