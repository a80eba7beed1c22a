#pragma once

#include <caf/fwd.hpp>

namespace pants {
class engine;
class socket_factory;
} // namespace pants

namespace pants::detail {

class registry;

/// What a channel on a given engine runs with: the factory of its sockets,
/// the CAF system of its actor, and the registry that tracks that actor.
/// The default (every engine nobody bound) is the real sockets, the
/// runtime's `pants::actor_system()` (started on first use) and the
/// process-wide registry; the mock engine binds its own for its engine.
class environment {
public:
  environment() = default;
  environment(socket_factory& sockets, caf::actor_system& system, registry& actors)
      : sockets_(&sockets), system_(&system), actors_(&actors) {}

  /// The environment of channels on `eng`. Safe from any thread.
  static environment of(const engine& eng);
  /// Makes channels created on `eng` from now on use `env`; replaces any
  /// earlier binding. Safe from any thread.
  static void bind(const engine& eng, const environment& env);
  /// Back to the default for `eng` (before `eng` is destroyed).
  static void unbind(const engine& eng);

  /// True for the default (the runtime's system and real sockets): the
  /// only environment whose channels may run inline on the engine thread.
  bool is_default() const noexcept { return system_ == nullptr && sockets_ == nullptr; }

  socket_factory& sockets() const;
  caf::actor_system& system() const;
  registry& actors() const;

private:
  socket_factory* sockets_ = nullptr;
  caf::actor_system* system_ = nullptr;
  registry* actors_ = nullptr;
};

} // namespace pants::detail
