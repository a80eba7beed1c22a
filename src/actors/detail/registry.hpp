#pragma once

#include <caf/actor.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace pants {
class engine;
}

namespace pants::detail {

/// Live channel and server actors, held strongly until the channel closes,
/// each with its engine and a way to close it, so what is left can be
/// closed (`pants::shutdown`) or stopped at the end: `instance()` for the
/// runtime's system (stopped at exit), one per mock engine for its own
/// system. Safe from any thread.
class registry {
public:
  static registry& instance();

  /// Tracks `a`, the actor of `owner` (a channel or server on `eng`), which
  /// `close_on` closes while it lives.
  template <class T> void add(const caf::actor& a, const engine& eng, std::weak_ptr<T> owner) {
    add_entry(a, eng, [owner = std::move(owner)] {
      if (auto o = owner.lock())
        o->close();
    });
  }
  /// Forgets `a` (its last handler, `on_close`, has returned).
  void remove(caf::actor_id id);

  /// Closes every tracked channel and server on `eng` not closed by an
  /// earlier call (outside the lock).
  void close_on(const engine& eng);

  /// Waits until nothing on `eng` is tracked, or `deadline`; returns
  /// whether nothing is.
  bool wait_gone(const engine& eng, std::chrono::steady_clock::time_point deadline);

  /// How many tracked actors are on `eng`.
  std::size_t count_on(const engine& eng) const;

  /// Sends every tracked actor an exit message and forgets them.
  void stop_all();

  /// Actors tracked now.
  std::size_t size() const;

private:
  struct entry {
    caf::actor actor;
    const engine* eng;
    std::function<void()> close;
    bool closing = false; // close_on called `close`
  };
  void add_entry(const caf::actor& a, const engine& eng, std::function<void()> close);
  std::size_t count_locked(const engine& eng) const;

  mutable std::mutex mtx_;
  std::condition_variable gone_;
  std::unordered_map<caf::actor_id, entry> actors_;
};

} // namespace pants::detail
