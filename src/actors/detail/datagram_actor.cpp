#include "pants/actors/detail/datagram_actor.hpp"

namespace pants::detail {

datagram_actor::datagram_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel,
                               datagram_handlers& own, registry& actors)
    : channel_actor(cfg, std::move(channel), actors), own_(own) {}

caf::behavior datagram_actor::make_behavior() {
  auto* ch = &own_;
  return table([ch](listening_msg) { ch->receive_listening(); },
               [ch](packet_msg& m) { ch->receive_packet(m); });
}

} // namespace pants::detail
