#pragma once

#include <caf/actor.hpp>

#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace pants::detail {

/// Live channel actors, held strongly until the channel closes, so what is
/// left can be stopped at the end: `instance()` for the runtime's system
/// (stopped at exit), one per mock engine for its own system.
/// Safe from any thread.
class registry {
public:
  static registry& instance();

  void add(const caf::actor& a);
  void remove(caf::actor_id id);

  /// Sends every tracked actor an exit message and forgets them.
  void stop_all();

  /// Actors tracked now.
  std::size_t size() const;

private:
  mutable std::mutex mtx_;
  std::unordered_map<caf::actor_id, caf::actor> actors_;
};

} // namespace pants::detail
