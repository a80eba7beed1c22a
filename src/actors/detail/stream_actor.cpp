#include "pants/actors/detail/stream_actor.hpp"

namespace pants::detail {

stream_actor::stream_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel,
                           stream_handlers& own, registry& actors)
    : channel_actor(cfg, std::move(channel), actors), own_(own) {}

caf::behavior stream_actor::make_behavior() {
  auto* ch = &own_;
  return table([ch](connected_msg) { ch->receive_connected(); },
               [ch](connect_failed_msg& m) { ch->receive_connect_failed(m.error); },
               [ch](chunk_msg& m) { ch->receive_chunk(m); }, [ch](eof_msg) { ch->receive_eof(); });
}

} // namespace pants::detail
