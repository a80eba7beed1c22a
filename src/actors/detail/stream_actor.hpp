#pragma once

#include "pants/actors/detail/channel_actor.hpp"

namespace pants::detail {

/// The CAF actor that runs one stream channel: the stream's own messages
/// (connection, bytes, end of stream) before the shared ones. Runs on CAF's
/// workers or inline on the engine thread, one message at a time.
class stream_actor : public channel_actor<stream_handlers> {
public:
  using channel_actor::channel_actor;

protected:
  /// The stream's own messages (most frequent first).
  bool dispatch_own(caf::type_erased_tuple& xs) override;
};

} // namespace pants::detail
