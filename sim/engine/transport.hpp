#pragma once
// Point-to-point messages between simulated GPUs, the one primitive every collective and
// pipeline transfer is built from.
//
// Each receiving endpoint is an Inbox: a SimGrid mailbox with a permanent receiver, so a
// send starts flowing as soon as it is posted (like NCCL's and MPI's eager transfers) and
// concurrent incoming flows share the receiver's links instead of being serialised by
// rendezvous. Messages carry a tag; a message that arrives before the receiver asks for it
// is kept aside (it has fully arrived, as data in a buffer would have).
//
// Latency: SimGrid links have zero latency (see network/network.hpp); a message becomes
// usable at the receiver `route latency` after its flow completes. Collectives apply their
// own latency term instead (one per algorithm step), see collective/algorithms.hpp.
#include <cstdint>
#include <memory>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Mailbox.hpp>
#include <vector>

namespace trainsim {

class Network;
class Recorder;

struct Message {
  uint64_t tag = 0;
  int src_gpu = -1;
  int dst_gpu = -1;
  double bytes = 0;
  double posted_at = 0;   // simulated time the send was posted
  double arrived_at = 0;  // simulated time the flow completed (set on receipt)
};

class Inbox {
 public:
  // `recorder` (may be null) is charged for every message received.
  Inbox(std::string name, int gpu, Recorder* recorder);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // The actor that will receive on this inbox; must be set before any send reaches it.
  void bind(simgrid::s4u::ActorPtr receiver);
  int gpu() const { return gpu_; }

  // Starts a flow of `bytes` from `src_gpu` to this inbox's GPU; returns the send activity
  // (wait on it to know when the data has left; or ignore it: it completes on its own).
  simgrid::s4u::CommPtr send(int src_gpu, uint64_t tag, double bytes);
  // Same, fire and forget: nobody waits for the sender side (pipeline sends).
  void post(int src_gpu, uint64_t tag, double bytes);

  // Blocks the calling actor (the bound receiver) until the message with `tag` has fully
  // arrived, and returns it. Does not add latency.
  Message receive(uint64_t tag);

 private:
  simgrid::s4u::Mailbox* mailbox_;
  int gpu_;
  Recorder* recorder_;
  std::vector<std::unique_ptr<Message>> early_;  // arrived before they were asked for
  // The recorder's route from each sender seen so far (an inbox hears from a few GPUs).
  std::vector<std::pair<int, const std::vector<int>*>> routes_;
  void charge(const Message& m);
};

}  // namespace trainsim
