#include "pants/actors/detail/server_actor.hpp"

#include "pants/actors/detail/registry.hpp"

namespace pants::detail {

server_actor::server_actor(caf::actor_config& cfg, std::shared_ptr<server_handlers> server,
                           registry& actors)
    : caf::event_based_actor(cfg), server_(std::move(server)), actors_(actors) {}

void server_actor::initialize() {
  caf::event_based_actor::initialize();
  initialized.store(true, std::memory_order_relaxed);
}

caf::behavior server_actor::make_behavior() {
  auto* srv = server_.get();
  return {
      [srv](listening_msg) { srv->receive_listening(); },
      [srv](accepted_msg& m) { srv->receive_accepted(m); },
      [this, srv](closed_msg) { leave(*srv); },
  };
}

void server_actor::on_exit() { server_.reset(); }

void server_actor::leave(server_handlers& srv) {
  srv.receive_closed();
  actors_.remove(id());
  quit();
}

} // namespace pants::detail
