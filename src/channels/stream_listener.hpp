#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/listener_io.hpp"
#include "pants/channels/unix_socket_file.hpp"
#include "pants/engine/engine.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace pants {

/// A listening stream socket on an engine. Reports `listening_msg` once
/// registered, one `accepted_msg` per accepted connection (the receiver owns
/// its descriptor), and `closed_msg` once closed.
///
/// `listen` binds in the calling thread so errors surface at the call;
/// accepting happens in the engine thread. `close` and the getters are safe
/// from any thread. Owned through shared_ptr; the engine holds it while
/// registered.
class stream_listener final : public io_handler,
                              public listener_io,
                              public std::enable_shared_from_this<stream_listener> {
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
  void close() override;

  /// The bound address (with the real port when listening on port 0).
  const endpoint& local() const noexcept override { return local_; }

  bool closed() const noexcept override { return closed_.load(); }

  /// Must be called in the engine thread.
  void handle_io(std::uint32_t events) override;

private:
  stream_listener(engine& eng, int fd, unix_socket_file file, std::shared_ptr<event_sink> sink);
  void register_in_engine();
  void close_now();
  void accept_after_emfile();

  engine& engine_;
  int fd_;
  int spare_fd_;
  endpoint local_;
  unix_socket_file file_;
  std::shared_ptr<event_sink> sink_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> close_requested_{false};
  bool registered_ = false;
};

} // namespace pants
