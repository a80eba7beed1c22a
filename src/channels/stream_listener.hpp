#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/listener_io.hpp"
#include "pants/channels/socket_core.hpp"
#include "pants/channels/unix_socket_file.hpp"
#include "pants/engine/engine.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace pants {

/// A listening stream socket on an engine. Reports `listening_msg` once
/// registered, one `accepted_msg` per accepted connection (the receiver owns
/// its descriptor), and `closed_msg` once closed. Registration and the close
/// path are `socket_core`'s (the interest is always "readable").
///
/// `listen` binds in the calling thread so errors surface at the call;
/// accepting happens in the engine thread. `close` and the getters are safe
/// from any thread. Owned through shared_ptr; the engine holds it while
/// registered.
class stream_listener final : public socket_core, public listener_io {
public:
  /// Most connections accepted per readiness event, so one busy listener
  /// cannot monopolise an iteration.
  static constexpr int accept_batch = 64;

  /// Binds `where` and listens with `backlog`. Throws os_error (address in
  /// use, no permission) or std::invalid_argument (backlog < 1); nothing
  /// is left open on failure. A Unix path follows unix_socket_file's
  /// policy (a stale socket file is replaced; the file is removed on
  /// close). Safe from any thread.
  static std::shared_ptr<stream_listener> listen(engine& eng, const endpoint& where, int backlog,
                                                 std::shared_ptr<event_sink> sink);
  ~stream_listener() override;

  /// Stops accepting and closes the socket; `closed_msg` follows.
  /// Idempotent. Safe from any thread.
  void close() override { request_close(); }

  /// The bound address (with the real port when listening on port 0).
  /// Safe from any thread (set before `listen` returns, never changed).
  const endpoint& local() const noexcept override { return local_; }

  /// True once closed. Safe from any thread.
  bool is_closed() const noexcept override { return socket_core::is_closed(); }
  /// See listener_io. Safe from any thread.
  void limit(std::size_t max) override;
  void release() override;

  /// Must be called in the engine thread.
  void handle_io(std::uint32_t events) override;

private:
  stream_listener(engine& eng, int fd, unix_socket_file file, std::shared_ptr<event_sink> sink);

  // socket_core's hooks.
  std::uint32_t interest_locked() const override { return below_cap() ? io_event::readable : 0; }
  bool below_cap() const noexcept {
    auto cap = cap_.load();
    return cap == 0 || open_.load() < cap;
  }
  bool output_empty_locked() const override { return true; }
  void before_close_unlocked() override;

  // Engine thread only.
  void listening_in_engine();
  void accept_after_emfile();

  // -- immutable after construction ---------------------------------------------------
  const endpoint local_;

  // -- engine thread only (and the destructor) ------------------------------------------
  int spare_fd_;
  unix_socket_file file_;
  // -- any thread ----------------------------------------------------------------------
  std::atomic<std::size_t> cap_{0};  // limit(); 0: none
  std::atomic<std::size_t> open_{0}; // accepted and not released
};

} // namespace pants
