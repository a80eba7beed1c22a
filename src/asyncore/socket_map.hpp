#pragma once

#include "pants/engine/timer.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pants {
class engine;
}

namespace pants::asyncore {

class dispatcher;

/// Thrown by a handler to leave `loop()` at once (Python's
/// `asyncore.ExitNow`): the one exception that is not given to the
/// dispatcher's `handle_error`, but rethrown by `loop()`.
class exit_now : public std::runtime_error {
public:
  exit_now() : std::runtime_error("asyncore: exit_now") {}
  using std::runtime_error::runtime_error;
};

/// The channels `loop()` watches (Python's socket map): descriptor to
/// dispatcher. A dispatcher joins its map when it gets a socket and leaves
/// it when it closes; while in the map, one made by `std::make_shared` (or
/// `asyncore::make`) is kept alive by it, as Python's map keeps its
/// channels.
///
/// A map runs on an engine: its own (`socket_map()`), made with the select
/// backend and switched by `loop(..., use_poll)` between select and poll,
/// or one it shares with Pants channels (`socket_map(eng)`). Before every
/// wait for I/O the map asks each dispatcher's `readable()` and
/// `writable()` and sets what the engine watches accordingly (an engine
/// `prepare` hook), so dispatchers also work on an engine run by
/// `engine::start()`.
///
/// Not thread-safe: a map and its dispatchers are used in its engine's
/// thread (or, before the engine runs, in the one thread that sets it up).
class socket_map {
public:
  /// A map with an engine of its own, on `backend` ("select", asyncore's
  /// default, or "poll"). Throws std::invalid_argument for another name.
  explicit socket_map(const std::string& backend = "select");
  /// A map on `eng`, shared with whatever else runs there (Pants
  /// channels): `loop`'s `use_poll` is then ignored (the engine's backend
  /// serves). `eng` must outlive the map.
  explicit socket_map(engine& eng);
  /// Closes every dispatcher still in the map.
  ~socket_map();
  socket_map(const socket_map&) = delete;
  socket_map& operator=(const socket_map&) = delete;

  /// The map dispatchers join when given none (Python's global map).
  static socket_map& default_map();

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  /// The dispatcher of descriptor `fd`, or nullptr.
  dispatcher* find(int fd) const noexcept;
  /// Every dispatcher in the map, in descriptor order.
  std::vector<dispatcher*> channels() const;

  /// Keeps `d` (a dispatcher of this map made by `std::make_shared`) alive
  /// until it leaves the map. `asyncore::make` calls it; the map also does
  /// so itself before the next wait.
  void adopt(dispatcher& d);

  /// The engine the map's descriptors are watched by.
  engine& get_engine() noexcept { return *eng_; }
  /// True when the map made its engine (and `loop` may switch its backend).
  bool owns_engine() const noexcept { return own_ != nullptr; }

  /// One iteration of `loop`: waits at most `timeout` for I/O and runs the
  /// handlers of what is ready. `use_poll` picks the backend of a map that
  /// owns its engine.
  void poll(std::chrono::milliseconds timeout, bool use_poll);

private:
  friend class dispatcher;
  friend void close_all(socket_map* map, bool ignore_all);
  struct watch;
  struct entry {
    dispatcher* d;
    std::shared_ptr<dispatcher> strong; // set when the dispatcher is shared-owned
  };

  /// Why the map's engine cannot watch `fd`, with asyncore's way out; empty
  /// when it can.
  std::string refusal(int fd) const;
  void add(dispatcher& d);
  std::shared_ptr<dispatcher> remove(dispatcher& d) noexcept;
  void refresh();
  void handle(dispatcher& d, std::uint32_t events);
  void leave(std::exception_ptr exit) noexcept;
  void use_backend(const char* name);
  void watch_all();

  std::unique_ptr<engine> own_;
  engine* eng_;
  timer prepare_;
  std::map<int, entry> entries_;
  std::vector<std::pair<int, dispatcher*>> asked_; // refresh()'s list (never re-entered)
  std::exception_ptr exit_;
  bool polling_ = false;
  // While handlers run (busy_ > 0), a dispatcher that leaves the map is
  // kept in released_ until the outermost one returns: a handler may close
  // another dispatcher in the middle of that one's own call (a push that
  // finds the peer gone), and Python's reference counting would keep it
  // alive until that call returned.
  int busy_ = 0;
  std::vector<std::shared_ptr<dispatcher>> released_;
  struct busy_scope;
};

/// Polls `map` (default: the default map) until every channel in it has
/// closed, or `count` iterations have run. `timeout` bounds each wait
/// (Python's select timeout, 30 s by default); `use_poll` picks poll(2)
/// over select(2) for a map that owns its engine. Handlers run in the
/// calling thread. Rethrows an `exit_now` a handler threw. Throws
/// std::invalid_argument for a negative timeout and state_error when called
/// from a handler of the same map.
void loop(std::chrono::milliseconds timeout = std::chrono::seconds(30), bool use_poll = false,
          socket_map* map = nullptr, std::optional<std::size_t> count = std::nullopt);

/// Closes every dispatcher of `map` (default: the default map). An
/// exception a `close()` throws is rethrown after the others closed,
/// unless `ignore_all`.
void close_all(socket_map* map = nullptr, bool ignore_all = false);

} // namespace pants::asyncore
