#pragma once

#include "pants/actors/detail/channel_actor.hpp"

namespace pants::detail {

/// The CAF actor that runs one datagram channel: the datagram's own messages
/// (bound, one datagram) before the shared ones. Runs on CAF's workers or
/// inline on the engine thread, one message at a time.
class datagram_actor : public channel_actor<datagram_handlers> {
public:
  using channel_actor::channel_actor;

protected:
  /// The datagram's own messages (most frequent first).
  bool dispatch_own(caf::type_erased_tuple& xs) override;
};

} // namespace pants::detail
