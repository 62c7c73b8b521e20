#include "program/program.hpp"

namespace trainsim::program {

double JobInfo::get(std::string_view name, double fallback) const {
  for (const auto& [key, value] : values)
    if (key == name) return value;
  return fallback;
}

bool JobInfo::has(std::string_view name) const {
  for (const auto& kv : values)
    if (kv.first == name) return true;
  return false;
}

namespace {
int index_of(const std::vector<std::string>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

template <typename E>
std::optional<E> by_name(int count, const char* (*name)(E), std::string_view text) {
  for (int i = 0; i < count; ++i)
    if (text == name(static_cast<E>(i))) return static_cast<E>(i);
  return std::nullopt;
}
}  // namespace

int ProgramSet::stream_index(std::string_view name) const { return index_of(streams, name); }
int ProgramSet::slot_index(std::string_view name) const { return index_of(slots, name); }

size_t ProgramSet::op_count() const {
  size_t n = 0;
  for (const auto& p : programs) n += p.ops.size();
  return n;
}

Role default_role(OpKind kind) {
  switch (kind) {
    case OpKind::Send: return Role::PpSend;
    case OpKind::Recv: return Role::PpRecv;
    case OpKind::Collective: return Role::Collective;
    case OpKind::Wait: return Role::Wait;
    default: return Role::Compute;
  }
}

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::Compute: return "compute";
    case OpKind::Send: return "send";
    case OpKind::Recv: return "recv";
    case OpKind::Collective: return "collective";
    case OpKind::Record: return "record";
    case OpKind::Wait: return "wait";
    case OpKind::Alloc: return "alloc";
    case OpKind::Free: return "free";
    case OpKind::Marker: return "marker";
  }
  return "?";
}

const char* memory_category_name(MemoryCategory c) {
  switch (c) {
    case MemoryCategory::Weights: return "weights";
    case MemoryCategory::Gradients: return "gradients";
    case MemoryCategory::Optimizer: return "optimizer";
    case MemoryCategory::Activations: return "activations";
    case MemoryCategory::CommBuffers: return "comm_buffers";
    case MemoryCategory::Overhead: return "overhead";
    case MemoryCategory::Other: return "other";
  }
  return "?";
}

const char* marker_kind_name(MarkerKind k) {
  switch (k) {
    case MarkerKind::Iteration: return "iteration";
    case MarkerKind::MicroBatch: return "micro_batch";
    case MarkerKind::Chunk: return "chunk";
    case MarkerKind::Layer: return "layer";
    case MarkerKind::Round: return "round";
    case MarkerKind::Fragment: return "fragment";
  }
  return "?";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) { return by_name(kOpKinds, op_kind_name, name); }
std::optional<MemoryCategory> memory_category_from_name(std::string_view name) {
  return by_name(kMemoryCategories, memory_category_name, name);
}
std::optional<MarkerKind> marker_kind_from_name(std::string_view name) {
  return by_name(kMarkerKinds, marker_kind_name, name);
}
std::optional<Role> role_from_name(std::string_view name) {
  return by_name(static_cast<int>(output::kActivityKindCount), output::activity_kind_name, name);
}

}  // namespace trainsim::program
