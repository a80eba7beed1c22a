#pragma once

#include "pants/actors/detail/channel_actor.hpp"

#include <memory>

namespace pants::detail {

/// The CAF actor that runs one stream channel: the stream's own rows
/// (connection, bytes, end of stream) on top of the shared channel rows.
/// Runs on CAF's workers, one message at a time.
class stream_actor : public channel_actor {
public:
  /// `own` is the same object as `channel`, kept alive through it.
  stream_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel,
               stream_handlers& own, registry& actors);

  /// The stream's own rows, then the shared ones (channel_actor::table).
  caf::behavior make_behavior() override;

private:
  /// The stream's own handlers: the channel itself, kept alive by the base.
  stream_handlers& own_;
};

} // namespace pants::detail
