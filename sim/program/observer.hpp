#pragma once
// What a player of programs reports: every op when it completes, with its times and the
// context its stream's markers set. The SimGrid player (engine/player.hpp) and the reference
// executor (program/executor.hpp) call the same interface, so metrics computed from it (e.g.
// training/meter.hpp) mean the same whichever played the programs.
#include <array>
#include <vector>

#include "program/program.hpp"

namespace trainsim::program {

// The stream's marker fields when the op ran (-1: not set).
struct Context {
  std::array<int32_t, kMarkerKinds> at{-1, -1, -1, -1, -1, -1};
  int32_t operator[](MarkerKind k) const { return at[static_cast<size_t>(k)]; }
  void apply(const Marker& m) { at[static_cast<size_t>(m.what)] = m.end ? -1 : m.value; }
};

struct OpTiming {
  double start = 0;  // the stream reached the op
  double end = 0;    // the op completed on this stream
  // Recv: when the message was posted, and when it became usable (may precede `start`).
  double posted = 0, ready = 0;
  int32_t peer_gpu = -1;       // recv: the sender's GPU
  int32_t source_stream = -1;  // wait: the stream that recorded the awaited event
};

class Observer {
 public:
  virtual ~Observer() = default;
  // `rank`: index into ProgramSet::ranks. Marker ops are reported after they changed `context`.
  virtual void op_done(int rank, const Op& op, const OpTiming& timing, const Context& context) = 0;
};

// Forwards to several observers, in order.
class Observers final : public Observer {
 public:
  explicit Observers(std::vector<Observer*> all) : all_(std::move(all)) {}
  void op_done(int rank, const Op& op, const OpTiming& timing, const Context& context) override {
    for (Observer* o : all_)
      if (o) o->op_done(rank, op, timing, context);
  }

 private:
  std::vector<Observer*> all_;
};

}  // namespace trainsim::program
