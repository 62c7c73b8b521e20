#include "program/collective_kind.hpp"

namespace trainsim {
namespace {

constexpr CollectiveKind kKinds[] = {CollectiveKind::AllReduce, CollectiveKind::ReduceScatter,
                                     CollectiveKind::AllGather, CollectiveKind::Broadcast,
                                     CollectiveKind::AllToAll,  CollectiveKind::SendRecv,
                                     CollectiveKind::Barrier};
constexpr CollectiveAlgorithm kAlgorithms[] = {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Tree,
                                               CollectiveAlgorithm::Hierarchical, CollectiveAlgorithm::Direct};
constexpr Granularity kGranularities[] = {Granularity::Aggregated, Granularity::Stepwise, Granularity::ClosedForm};

template <typename E, size_t N>
std::optional<E> find(const E (&all)[N], const char* (*name)(E), std::string_view text) {
  for (E e : all)
    if (text == name(e)) return e;
  return std::nullopt;
}

}  // namespace

const char* collective_name(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::AllReduce: return "all_reduce";
    case CollectiveKind::ReduceScatter: return "reduce_scatter";
    case CollectiveKind::AllGather: return "all_gather";
    case CollectiveKind::Broadcast: return "broadcast";
    case CollectiveKind::AllToAll: return "all_to_all";
    case CollectiveKind::SendRecv: return "send_recv";
    case CollectiveKind::Barrier: return "barrier";
  }
  return "?";
}

const char* algorithm_name(CollectiveAlgorithm a) {
  switch (a) {
    case CollectiveAlgorithm::Ring: return "ring";
    case CollectiveAlgorithm::Tree: return "tree";
    case CollectiveAlgorithm::Hierarchical: return "hierarchical";
    case CollectiveAlgorithm::Direct: return "direct";
  }
  return "?";
}

const char* granularity_name(Granularity g) {
  switch (g) {
    case Granularity::Aggregated: return "aggregated";
    case Granularity::Stepwise: return "stepwise";
    case Granularity::ClosedForm: return "closed_form";
  }
  return "?";
}

bool supports(CollectiveAlgorithm algorithm, CollectiveKind kind) {
  if (kind == CollectiveKind::Barrier) return true;
  switch (algorithm) {
    case CollectiveAlgorithm::Ring:
      return kind == CollectiveKind::AllReduce || kind == CollectiveKind::ReduceScatter ||
             kind == CollectiveKind::AllGather || kind == CollectiveKind::Broadcast;
    case CollectiveAlgorithm::Tree:
      return kind == CollectiveKind::AllReduce || kind == CollectiveKind::Broadcast;
    case CollectiveAlgorithm::Hierarchical:
      return kind == CollectiveKind::AllReduce || kind == CollectiveKind::ReduceScatter ||
             kind == CollectiveKind::AllGather;
    case CollectiveAlgorithm::Direct:
      return kind == CollectiveKind::AllToAll || kind == CollectiveKind::SendRecv;
  }
  return false;
}

std::optional<CollectiveKind> collective_from_name(std::string_view name) {
  return find(kKinds, collective_name, name);
}
std::optional<CollectiveAlgorithm> algorithm_from_name(std::string_view name) {
  return find(kAlgorithms, algorithm_name, name);
}
std::optional<Granularity> granularity_from_name(std::string_view name) {
  return find(kGranularities, granularity_name, name);
}

}  // namespace trainsim
