#include "engine/transport.hpp"

#include <algorithm>
#include <simgrid/s4u/Engine.hpp>

#include "collective/algorithms.hpp"
#include "core/error.hpp"
#include "engine/recorder.hpp"

namespace sg4 = simgrid::s4u;

namespace trainsim {

Inbox::Inbox(std::string name, int gpu, Recorder* recorder)
    : mailbox_(sg4::Mailbox::by_name(name)), gpu_(gpu), recorder_(recorder) {}

Inbox::~Inbox() = default;

void Inbox::bind(sg4::ActorPtr receiver) { mailbox_->set_receiver(receiver); }

namespace {
// SimGrid needs at least one byte to create a flow with a route; zero-byte messages are
// pure synchronisation and cost one latency at the receiver.
uint64_t flow_size(double bytes) { return static_cast<uint64_t>(bytes < 1 ? 1 : bytes); }
}  // namespace

sg4::CommPtr Inbox::send(int src_gpu, uint64_t tag, double bytes) {
  auto* m = new Message{tag, src_gpu, gpu_, bytes, sg4::Engine::get_clock(), 0};
  return mailbox_->put_async(m, flow_size(bytes));
}

void Inbox::post(int src_gpu, uint64_t tag, double bytes) {
  auto* m = new Message{tag, src_gpu, gpu_, bytes, sg4::Engine::get_clock(), 0};
  mailbox_->put_init(m, flow_size(bytes))->detach();
}

void Inbox::charge(const Message& m) {
  auto it = std::find_if(routes_.begin(), routes_.end(), [&](const auto& r) { return r.first == m.src_gpu; });
  if (it == routes_.end()) it = routes_.insert(routes_.end(), {m.src_gpu, recorder_->route(m.src_gpu, m.dst_gpu)});
  recorder_->flow(it->second, m.bytes, m.posted_at, m.arrived_at);
}

Message Inbox::receive(uint64_t tag) {
  for (size_t i = 0; i < early_.size(); ++i) {
    if (early_[i]->tag == tag) {
      Message m = *early_[i];
      early_.erase(early_.begin() + static_cast<long>(i));
      return m;
    }
  }
  for (;;) {
    Message* raw = nullptr;
    auto comm = mailbox_->get_async<Message>(&raw);
    comm->wait();
    std::unique_ptr<Message> m(raw);
    if (!m) throw InternalError("empty message on mailbox " + mailbox_->get_name());
    m->arrived_at = comm->get_finish_time();
    if (recorder_) charge(*m);
    if (m->tag == tag) return *m;
    early_.push_back(std::move(m));
  }
}

}  // namespace trainsim
