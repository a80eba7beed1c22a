#pragma once

#include "pants/actors/testing/datagram_peer.hpp"
#include "pants/actors/testing/listener_peer.hpp"
#include "pants/actors/testing/stream_peer.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pants {
class datagram;
class engine;
class stream;
class stream_server;
} // namespace pants

namespace pants::testing {

/// A stand-in for the real engine, for testing channel handlers with no
/// socket, no thread and no real waiting. It owns a CAF actor system on
/// CAF's test coordinator (nothing runs until `run()`), a never-started
/// `pants::engine` whose `defer`/`cycle` run on CAF's virtual clock
/// (time moves only by `advance`), and fake sockets. Channels and servers
/// created on `engine()` (`std::make_shared<my_conn>(mock.engine())`) use
/// them instead of the operating system; user classes need no change.
///
/// Single-threaded: every member must be called from the test's thread.
/// Destroying the mock stops every channel actor on it; channels must not
/// be used after (a shared_ptr kept to one stays safe to destroy).
class mock_engine {
public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  /// `max_rounds` bounds one `run()` (see there).
  explicit mock_engine(std::size_t max_rounds = 1000);
  ~mock_engine();
  mock_engine(const mock_engine&) = delete;
  mock_engine& operator=(const mock_engine&) = delete;

  /// The engine to create channels and servers on.
  pants::engine& engine() noexcept;
  /// The actor system the channels' actors run on (test coordinator).
  caf::actor_system& system() noexcept;

  // -- running ------------------------------------------------------------------

  /// Runs everything pending until idle: engine tasks and `loop`/`callback`
  /// timers (one engine iteration per round), then every actor message.
  /// Stops after `max_rounds` rounds, so an active `loop` timer cannot make
  /// it spin forever. Returns the number of actor messages handled.
  std::size_t run();

  /// Moves virtual time forward by `d`, firing each `defer`/`cycle` in time
  /// order (a 1 s cycle fires 30 times in `advance(30s)`), running
  /// everything after each, then `run()`. Returns messages handled.
  template <class Rep, class Period> std::size_t advance(std::chrono::duration<Rep, Period> d) {
    return advance_by(std::chrono::duration_cast<duration>(d));
  }

  /// The virtual time (the engine's `clock().now()`).
  time_point now() const;
  /// Wake-ups scheduled on the virtual clock and not yet due: the earliest
  /// deadline of the engine's and of each channel's timers, not one per
  /// timer (one asked for a deadline since cancelled or moved later stays
  /// until its time passes, then finds nothing due).
  std::size_t pending_wakeups() const;
  /// Time until the next scheduled wake-up, if any.
  std::optional<duration> next_wakeup() const;
  /// Channel and server actors alive on this mock.
  std::size_t live_actors() const;

  // -- peers ----------------------------------------------------------------------

  /// The far end of `ch`. Throws state_error when `ch` has no socket on
  /// this mock (not connected yet, or on another engine).
  stream_peer peer(const stream& ch) const;
  /// The network side of `srv`. Throws state_error unless it listened here.
  listener_peer listener(stream_server& srv) const;
  /// The network around `ch`. Throws state_error unless it is open here.
  datagram_peer peer(const datagram& ch) const;

  /// Makes `channel` (created on `engine()`) an accepted connection from
  /// `from`, as a server on this mock would, and runs until its
  /// `on_connect` ran. Its `server()` is a hidden server of the mock.
  /// Returns its far end.
  stream_peer accept(const std::shared_ptr<stream>& channel,
                     const std::string& from = "192.0.2.1:40000");

  // -- fault injection and name lookups --------------------------------------------

  /// The next stream `connect` on this mock fails with `code` (e.g.
  /// ECONNREFUSED): `on_connect_error`, then `on_close`.
  void fail_next_connect(int code);
  /// The next server `listen` throws os_error with `code` (e.g. EADDRINUSE).
  void fail_next_listen(int code);
  /// The next datagram `listen` throws os_error with `code`.
  void fail_next_bind(int code);
  /// Host name `host` resolves to `addresses` (numeric). An unknown name,
  /// or an empty list, does not resolve (`on_connect_error`). The answer
  /// arrives at the next `run()`.
  void resolves(const std::string& host, std::vector<std::string> addresses);

private:
  struct state;
  std::size_t advance_by(duration d);
  std::unique_ptr<state> s_;
};

} // namespace pants::testing
