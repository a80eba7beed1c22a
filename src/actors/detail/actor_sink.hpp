#pragma once

#include "pants/channels/event_sink.hpp"
#include "pants/channels/socket_factory.hpp"

#include <caf/actor.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

namespace pants::detail {

/// Delivers a socket's events to a channel's actor as CAF messages. Holds
/// the actor weakly: a socket never keeps a finished actor (or, at exit,
/// the actor system) alive. Safe from any thread.
class actor_sink final : public event_sink {
public:
  /// `sockets` drops accepted descriptors nobody will adopt (a server's sink).
  explicit actor_sink(const caf::actor& a, socket_factory& sockets = socket_factory::real())
      : target_(caf::actor_cast<caf::weak_actor_ptr>(a)), sockets_(&sockets) {}

  void deliver(connected_msg m) override { send(std::move(m)); }
  void deliver(connect_failed_msg m) override { send(std::move(m)); }
  void deliver(chunk_msg m) override { send(std::move(m)); }
  void deliver(eof_msg m) override { send(std::move(m)); }
  void deliver(packet_msg m) override { send(std::move(m)); }
  void deliver(drained_msg m) override { send(std::move(m)); }
  void deliver(read_error_msg m) override { send(std::move(m)); }
  void deliver(write_error_msg m) override { send(std::move(m)); }
  void deliver(listening_msg m) override { send(std::move(m)); }
  void deliver(accepted_msg m) override {
    int fd = m.fd;
    if (!send(std::move(m)))
      sockets_->discard_accepted(fd); // the server is gone: nobody will adopt it
  }
  void deliver(closed_msg m) override { send(std::move(m)); }

private:
  template <class T> bool send(T&& m) {
    auto target = caf::actor_cast<caf::actor>(target_.lock());
    if (!target)
      return false;
    caf::anon_send(target, std::forward<T>(m));
    return true;
  }

  caf::weak_actor_ptr target_;
  socket_factory* sockets_;
};

} // namespace pants::detail
