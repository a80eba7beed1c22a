#pragma once

#include "pants/actors/detail/engine_unit.hpp"
#include "pants/actors/detail/environment.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/socket_factory.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <memory>
#include <utility>

namespace pants::detail {

/// Delivers a socket's events to a channel's actor as CAF messages. Holds
/// the actor weakly: a socket never keeps a finished actor (or, at exit,
/// the actor system) alive. With an engine unit (inline handlers), a
/// delivery made in that engine's thread inside `poll()` goes through the
/// unit, which may run the actor on the engine thread; any other goes to
/// the workers as `anon_send`. Safe from any thread.
class actor_sink final : public event_sink {
public:
  /// `sockets` drops accepted descriptors nobody will adopt (a server's
  /// sink); `unit` is the engine's unit, or null for none (mock engines,
  /// `PANTS_INLINE=never`), and `mark` the actor's own inline mark (channel
  /// and server actors have one).
  actor_sink(const caf::actor& a, socket_factory& sockets, std::shared_ptr<engine_unit> unit,
             inline_mark* mark)
      : target_(caf::actor_cast<caf::weak_actor_ptr>(a)), sockets_(&sockets),
        unit_(std::move(unit)), mark_(mark) {}

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
  void deliver(tls_handshake_msg m) override { send(std::move(m)); }
  void deliver(tls_error_msg m) override { send(std::move(m)); }
  void deliver(closed_msg m) override { send(std::move(m)); }

private:
  template <class T> bool send(T&& m) {
    auto target = caf::actor_cast<caf::actor>(target_.lock());
    if (!target)
      return false;
    if (unit_ && unit_->active_here()) {
      // mark_ lives in the actor, which `target` keeps alive.
      unit_->deliver(
          *caf::actor_cast<caf::abstract_actor*>(target),
          caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::forward<T>(m)),
          mark_);
      return true;
    }
    caf::anon_send(target, std::forward<T>(m));
    return true;
  }

  caf::weak_actor_ptr target_;
  socket_factory* sockets_;
  std::shared_ptr<engine_unit> unit_;
  inline_mark* mark_;
};

/// A channel's or server's actor and the sink its socket reports through.
struct spawned_actor {
  caf::actor actor;
  std::shared_ptr<actor_sink> sink;
};

/// Spawns the channel or server actor `A` (constructed from `xs`) of a
/// channel on `eng` in `env`, with its sink (using the engine's unit when
/// inline handlers are on). With a unit the actor is spawned lazily, so it
/// initialises with its first message, where that runs: a normal spawn
/// initialises it on a worker, and a first message arriving meanwhile
/// would be handled there.
template <class A, class... Ts>
spawned_actor spawn_channel_actor(const environment& env, engine& eng, Ts&&... xs) {
  auto unit = env.is_default() ? engine_unit::for_engine(eng) : nullptr;
  auto a = unit ? env.system().spawn<A, caf::lazy_init>(std::forward<Ts>(xs)...)
                : env.system().spawn<A>(std::forward<Ts>(xs)...);
  // A static cast: the actor's class is known here (a dynamic_cast per
  // connection showed in the accept path's profile).
  inline_mark* mark = static_cast<A*>(caf::actor_cast<caf::abstract_actor*>(a));
  auto sink = std::make_shared<actor_sink>(a, env.sockets(), std::move(unit), mark);
  return {std::move(a), std::move(sink)};
}

} // namespace pants::detail
