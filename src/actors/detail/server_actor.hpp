#pragma once

#include "pants/actors/detail/handlers.hpp"
#include "pants/actors/detail/inline_mark.hpp"

#include <caf/event_based_actor.hpp>

#include <memory>

namespace pants::detail {

class registry;

/// The CAF actor that runs one server's callbacks: a table of the
/// listener's messages, each handed to the server. Holds the server until
/// the actor ends, however it ends. Runs on CAF's workers, or inline on the engine thread
/// (engine_unit.hpp).
class server_actor : public caf::event_based_actor, public inline_mark {
public:
  /// `server` is kept alive by the actor; `actors` tracks it until closed.
  server_actor(caf::actor_config& cfg, std::shared_ptr<server_handlers> server, registry& actors);

  /// One row per listener message, each calling the server.
  caf::behavior make_behavior() override;

  /// Drops the server (closed, or stopped at exit).
  void on_exit() override;

  /// CAF's set-up, noted for the engine unit (see channel_actor).
  void initialize() override;

private:
  /// `closed_msg`: the server's `on_close`, then out of the registry.
  void leave(server_handlers& srv);

  /// The server, held until the actor ends.
  std::shared_ptr<server_handlers> server_;
  /// The registry of live actors the server's environment keeps.
  registry& actors_;
};

} // namespace pants::detail
