#include "pants/actors/detail/channel_actor.hpp"

#include "pants/actors/detail/registry.hpp"

namespace pants::detail {

channel_actor::channel_actor(caf::actor_config& cfg, std::shared_ptr<channel_handlers> channel,
                             registry& actors)
    : caf::event_based_actor(cfg), channel_(std::move(channel)), actors_(actors) {}

void channel_actor::on_exit() { channel_.reset(); }

void channel_actor::leave(channel_handlers& ch) {
  ch.receive_closed();
  actors_.remove(id());
  quit();
}

} // namespace pants::detail
