#pragma once

#include "pants/actors/detail/channel_actor.hpp"

namespace pants::detail {

/// The CAF actor that runs one stream channel: the stream's own rows
/// (connection, bytes, end of stream) on top of the shared channel rows. Runs on CAF's workers,
/// one message at a time.
class stream_actor : public channel_actor<stream_handlers> {
public:
  using channel_actor::channel_actor;

  /// The stream's own rows, then the shared ones (channel_actor::table).
  caf::behavior make_behavior() override;
};

} // namespace pants::detail
