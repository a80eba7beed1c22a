#pragma once

#include "pants/actors/detail/channel_timers.hpp"
#include "pants/actors/detail/handlers.hpp"
#include "pants/actors/detail/inline_mark.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/channels/messages.hpp"

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>

#include <memory>
#include <utility>

namespace pants::detail {

/// Sent by a channel to its own actor: deliver the complete frames its
/// buffers hold under a new read delimiter (one atom for every kind).
using reframe_atom = caf::atom_constant<caf::atom("pReframe")>;

/// What the actor of every channel kind shares: the table rows of the
/// messages all kinds handle, the channel's actor-style behaviour for any
/// other message, and the end (`closed_msg`: leave the registry, quit).
/// Holds the channel until the actor ends, however it ends, so the channel
/// and its actor never keep each other alive. `Own` is the kind's own
/// interface (handlers.hpp). Runs on CAF's workers, or inline on the engine thread
/// (engine_unit.hpp).
template <class Own> class channel_actor : public caf::event_based_actor, public inline_mark {
public:
  /// `channel` is kept alive by the actor, and `own` is the same object;
  /// `actors` tracks the actor until the channel closes.
  channel_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel, Own& own,
                registry& actors)
      : caf::event_based_actor(cfg), own_(own), channel_(std::move(channel)), actors_(actors) {}

  /// Drops the channel (closed, or stopped at exit).
  void on_exit() override { channel_.reset(); }

  /// CAF's set-up (with its first message when spawned lazily), noted for
  /// the engine unit, which does not judge the turn that pays for it.
  void initialize() override {
    caf::event_based_actor::initialize();
    initialized.store(true, std::memory_order_relaxed);
  }

protected:
  /// The behaviour: the kind's own rows `own`, then the shared rows.
  template <class... Rows> caf::behavior table(Rows... own) {
    auto* ch = channel_.get();
    if (ch->has_behavior())
      set_default_handler(
          [ch](caf::scheduled_actor*, caf::message_view& view) { return ch->receive_other(view); });
    return {
        std::move(own)...,
        [ch](drained_msg) { ch->receive_drained(); },
        [ch](read_error_msg& m) { ch->receive_error(true, m.error); },
        [ch](write_error_msg& m) { ch->receive_error(false, m.error); },
        [ch](reframe_atom) { ch->receive_reframe(); },
        [ch](channel_timer_msg& m) { ch->receive_timer(m); },
        [this, ch](closed_msg) { leave(*ch); },
    };
  }

  /// The kind's own handlers: the channel itself, kept alive by `channel_`.
  Own& own_;

private:
  /// `closed_msg`: the channel's last handler, then out of the registry.
  void leave(channel_handlers& ch) {
    ch.receive_closed();
    actors_.remove(id());
    quit();
  }

  /// The channel, held until the actor ends.
  std::shared_ptr<channel_handlers> channel_;
  /// The registry of live actors the channel's environment keeps.
  registry& actors_;
};

} // namespace pants::detail
