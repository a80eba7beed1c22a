#pragma once

#include "pants/actors/detail/channel_actor.hpp"

#include <memory>

namespace pants::detail {

/// The CAF actor that runs one datagram channel: the datagram's own rows
/// (bound, one datagram) on top of the shared channel rows. Runs on CAF's
/// workers, one message at a time.
class datagram_actor : public channel_actor {
public:
  /// `own` is the same object as `channel`, kept alive through it.
  datagram_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel,
                 datagram_handlers& own, registry& actors);

  /// The datagram's own rows, then the shared ones (channel_actor::table).
  caf::behavior make_behavior() override;

private:
  /// The datagram's own handlers: the channel itself, kept alive by the base.
  datagram_handlers& own_;
};

} // namespace pants::detail
