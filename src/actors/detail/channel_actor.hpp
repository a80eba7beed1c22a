#pragma once

#include "pants/actors/detail/channel_timers.hpp"
#include "pants/actors/detail/handlers.hpp"
#include "pants/actors/detail/inline_mark.hpp"
#include "pants/actors/detail/registry.hpp"
#include "pants/channels/messages.hpp"

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_view.hpp>
#include <caf/result.hpp>
#include <caf/rtti_pair.hpp>
#include <caf/type_erased_tuple.hpp>

#include <memory>
#include <utility>

namespace pants::detail {

/// Sent by a channel to its own actor: deliver the complete frames its
/// buffers hold under a new read delimiter (one atom for every kind).
using reframe_atom = caf::atom_constant<caf::atom("pReframe")>;

/// Handles `xs` with `f` if it is a message of the one element `T`.
template <class T, class F> bool dispatch_as(caf::type_erased_tuple& xs, F&& f) {
  if (xs.size() != 1 || !xs.matches(0, caf::make_rtti_pair<T>()))
    return false;
  f(xs.get_mutable_as<T>(0));
  return true;
}

/// True when `xs` is the one atom `a`.
inline bool is_atom(const caf::type_erased_tuple& xs, caf::atom_value a) {
  return xs.size() == 1 && xs.matches(0, caf::make_rtti_pair<caf::atom_value>()) &&
         xs.get_as<caf::atom_value>(0) == a;
}

/// The behaviour every channel actor shares, one object for all: it matches
/// no message, so CAF hands each one to the actor's default handler, which
/// dispatches on its type (`channel_actor::dispatch`). A behaviour table of
/// each actor's own would cost 456 bytes per channel, most of an idle
/// connection's memory after CAF's actor itself.
const caf::behavior& dispatching_behavior();

/// What the actor of every channel kind shares: the dispatch of the
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

  /// The shared behaviour, and this actor's dispatch as its default handler.
  caf::behavior make_behavior() final {
    set_default_handler(
        [this](caf::scheduled_actor*, caf::message_view& view) { return dispatch(view); });
    return dispatching_behavior();
  }

protected:
  /// The kind's own messages: handles `xs` and returns true if it is one.
  virtual bool dispatch_own(caf::type_erased_tuple& xs) = 0;

  /// The kind's own handlers: the channel itself, kept alive by `channel_`.
  Own& own_;

private:
  /// Every message but the shared behaviour's: the kind's own, the shared
  /// ones, then the user's behaviour (actor-style channels) or CAF's
  /// default (print and drop).
  caf::result<caf::message> dispatch(caf::message_view& view) {
    auto& xs = view.content();
    auto* ch = channel_.get();
    if (dispatch_own(xs) || dispatch_shared(xs, *ch))
      // Handled; nothing to answer (the engine's and a channel's own
      // messages are asynchronous, and `delegated` spares CAF the response
      // promise an empty reply would make).
      return caf::delegated<caf::message>{};
    if (ch->has_behavior())
      return ch->receive_other(view);
    return caf::print_and_drop(this, view);
  }

  /// The messages every kind handles.
  bool dispatch_shared(caf::type_erased_tuple& xs, channel_handlers& ch) {
    if (is_atom(xs, reframe_atom::value)) {
      ch.receive_reframe();
      return true;
    }
    // Every channel gets one closed_msg; the rest are rarer.
    return dispatch_as<closed_msg>(xs, [this, &ch](closed_msg&) { leave(ch); }) ||
           dispatch_as<drained_msg>(xs, [&ch](drained_msg&) { ch.receive_drained(); }) ||
           dispatch_as<read_error_msg>(
               xs, [&ch](read_error_msg& m) { ch.receive_error(true, m.error); }) ||
           dispatch_as<write_error_msg>(
               xs, [&ch](write_error_msg& m) { ch.receive_error(false, m.error); }) ||
           dispatch_as<channel_timer_msg>(xs, [&ch](channel_timer_msg& m) { ch.receive_timer(m); });
  }

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
