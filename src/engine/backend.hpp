#pragma once

#include "pants/engine/io_handler.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pants {

/// One ready file descriptor as reported by a backend. `token` is the value
/// given to `add`/`modify`, returned untouched: the engine encodes in it both
/// the descriptor and its registration, so it can tell a registration from a
/// later one that reused the same descriptor.
struct ready_event {
  std::uint64_t token;
  std::uint32_t events;
};

/// The readiness-polling contract every backend implements (epoll, poll).
///
/// - A descriptor is either registered with a non-empty interest mask or not
///   registered at all; the engine never registers an empty mask, because
///   both epoll and poll report hang-ups regardless of the mask, which would
///   make a paused socket spin the loop.
/// - `wait` is level-triggered: a descriptor stays ready until drained.
/// - `wait` returns after at most `timeout` (negative: no limit); `EINTR`
///   is not an error and simply returns no events.
///
/// Not thread-safe: must be called in the engine thread.
class backend {
public:
  virtual ~backend() = default;

  /// Starts watching `fd` for the `io_event` bits in `mask`.
  virtual void add(int fd, std::uint32_t mask, std::uint64_t token) = 0;

  /// Replaces the interest mask (and token) of a watched `fd`.
  virtual void modify(int fd, std::uint32_t mask, std::uint64_t token) = 0;

  /// Stops watching `fd`. Must be called before the descriptor is closed.
  virtual void remove(int fd) = 0;

  /// Waits for readiness and appends what is ready to `out`.
  virtual void wait(std::chrono::milliseconds timeout, std::vector<ready_event>& out) = 0;

  /// "epoll", "poll" or "select".
  virtual const char* name() const noexcept = 0;

  /// Why `fd` cannot be watched, or nullptr when it can (select(2) takes
  /// only descriptors below FD_SETSIZE).
  virtual const char* refusal(int fd) const noexcept {
    (void)fd;
    return nullptr;
  }

  /// Makes the backend chosen by `name` ("epoll", "poll", "select"); an empty name
  /// means `PANTS_BACKEND` from the environment, else epoll.
  /// Throws std::invalid_argument for an unknown name.
  static std::unique_ptr<backend> make(const std::string& name);
};

} // namespace pants
