#pragma once

#include "pants/actors/detail/channel_actor.hpp"

namespace pants::detail {

/// The CAF actor that runs one datagram channel: the datagram's own rows
/// (bound, one datagram) on top of the shared channel rows. Runs on CAF's workers,
/// one message at a time.
class datagram_actor : public channel_actor<datagram_handlers> {
public:
  using channel_actor::channel_actor;

  /// The datagram's own rows, then the shared ones (channel_actor::table).
  caf::behavior make_behavior() override;
};

} // namespace pants::detail
