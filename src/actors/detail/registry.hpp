#pragma once

#include <caf/actor.hpp>

#include <mutex>
#include <unordered_map>

namespace pants::detail {

/// Every live channel actor of the process, held strongly until the
/// channel closes, so the runtime can stop what is left at exit.
/// Safe from any thread.
class registry {
public:
  static registry& instance();

  void add(const caf::actor& a);
  void remove(caf::actor_id id);

  /// Sends every tracked actor an exit message and forgets them.
  void stop_all();

private:
  std::mutex mtx_;
  std::unordered_map<caf::actor_id, caf::actor> actors_;
};

} // namespace pants::detail
