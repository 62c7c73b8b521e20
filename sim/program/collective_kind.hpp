#pragma once
// The vocabulary of collective operations shared by programs, the collective library and the
// scenario files: kinds, algorithms, granularities and their names (the one table of each).
#include <cstdint>
#include <optional>
#include <string_view>

namespace trainsim {

// Barrier: every rank of the group waits until all have entered it; no data, no latency (the
// collective benchmark separates its cases with it, as nccl-tests does).
enum class CollectiveKind : uint8_t { AllReduce, ReduceScatter, AllGather, Broadcast, AllToAll, SendRecv, Barrier };
enum class CollectiveAlgorithm : uint8_t { Ring, Tree, Hierarchical, Direct };
// How a collective is simulated (docs/collectives.md): all of a rank's bytes to a peer as one
// flow, the algorithm step by step (ring family), or no flows at all: the closed form of the
// aggregated flows on the group's links, charged to those links (tensor-parallel collectives).
enum class Granularity : uint8_t { Aggregated, Stepwise, ClosedForm };

const char* collective_name(CollectiveKind k);      // "all_reduce", ..., "barrier"
const char* algorithm_name(CollectiveAlgorithm a);  // "ring", "tree", "hierarchical", "direct"
const char* granularity_name(Granularity g);        // "aggregated", "stepwise", "closed_form"

// Whether `algorithm` implements `kind` (e.g. tree: all-reduce and broadcast only; all-to-all and
// send/recv: direct only). A barrier needs no algorithm: every one accepts it.
bool supports(CollectiveAlgorithm algorithm, CollectiveKind kind);

// The inverse of the names above; nullopt for anything else.
std::optional<CollectiveKind> collective_from_name(std::string_view name);
std::optional<CollectiveAlgorithm> algorithm_from_name(std::string_view name);
std::optional<Granularity> granularity_from_name(std::string_view name);

}  // namespace trainsim
