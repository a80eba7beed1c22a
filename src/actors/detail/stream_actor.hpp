#pragma once

#include "pants/actors/stream.hpp"

#include <caf/event_based_actor.hpp>

#include <memory>

namespace pants::detail {

/// The CAF actor that runs one stream channel: a table of the engine's
/// messages, each handed to the channel's `handle_*` member. Messages it
/// does not know go to the channel's actor-style behaviour, if any.
class stream_actor : public caf::event_based_actor {
public:
  stream_actor(caf::actor_config& cfg, std::shared_ptr<stream> channel);

  caf::behavior make_behavior() override;

  /// Drops the channel, however the actor ends (closed, or stopped at
  /// exit), so the channel and its actor never keep each other alive.
  void on_exit() override { channel_.reset(); }

private:
  std::shared_ptr<stream> channel_;
};

} // namespace pants::detail
