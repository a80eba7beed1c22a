#pragma once

#include "pants/actors/detail/environment.hpp"
#include "pants/actors/detail/error_log.hpp"
#include "pants/actors/detail/handlers.hpp"
#include "pants/actors/stream.hpp"

#include <atomic>
#include <caf/actor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pants {

class endpoint;
class listener_io;
namespace detail {
class connection_list;
}

/// Pants' `StreamServer`: listens for stream connections and turns each
/// accepted socket into a channel of its connection type, with its own
/// actor. Subclass to override `on_listen`, `on_accept`, `on_close`.
///
/// Create with std::make_shared; the framework keeps it alive while it
/// listens. Callbacks run in the server's own actor. Members are safe from
/// any thread unless noted. Its actor reaches it only through
/// `detail::server_handlers`; its connections through their
/// `detail::connection_list`.
class stream_server : public detail::server_handlers,
                      public std::enable_shared_from_this<stream_server> {
public:
  /// Makes the channel for each accepted connection.
  using factory = std::function<std::shared_ptr<stream>()>;

  explicit stream_server(factory make_channel, pants::engine& eng);
  explicit stream_server(factory make_channel);
  virtual ~stream_server();
  stream_server(const stream_server&) = delete;
  stream_server& operator=(const stream_server&) = delete;

  /// Listens on `port` on all interfaces (dual-stack where IPv6 exists).
  /// Throws address_error for a bad port, os_error if the address cannot
  /// be bound (in use, no permission), state_error when already listening
  /// or closed; nothing changes then and the server stays usable.
  void listen(long port, int backlog = 1024);

  /// Listens on a numeric `host` address and `port`.
  void listen(const std::string& host, long port, int backlog = 1024);

  /// Listens on a ready-made address, e.g. `pants::unix_path(path)`.
  /// Throws address_error for an empty endpoint, otherwise as above.
  void listen(const endpoint& where, int backlog = 1024);

  /// Stops accepting and closes every live connection. Idempotent.
  void close();

  /// Stops accepting and ends every live connection: each sends what it
  /// has queued, then closes (the graceful `close`, e.g. in a
  /// `stop_on_signals` hook). Idempotent, and a no-op after `close`.
  void end();

  /// At most `max` connections open at once. At the cap the server stops
  /// accepting: further clients wait in the kernel's listen backlog (their
  /// connect completes there, their data waits unread) and are accepted,
  /// in turn, as connections close; no busy loop. Set before or after
  /// `listen`. Throws std::invalid_argument for 0; nothing changes then.
  void set_max_connections(std::size_t max);
  /// The cap; 0 for none (the default).
  std::size_t max_connections() const noexcept { return max_connections_.load(); }

  /// Starts TLS on every connection accepted from now on, with one server
  /// context made from `options` (a certificate chain and key are
  /// required): each connection's `on_tls_handshake` then `on_connect`
  /// come once its handshake completes. Throws tls_config_error with
  /// OpenSSL's reason for a file that cannot be loaded or a key that does
  /// not match; nothing changes then. Safe from any thread.
  void tls(const tls_options& options);
  /// The server context connections start TLS with; null without TLS.
  std::shared_ptr<const pants::tls_context> tls_server_context() const;

  /// The live connections, as of this call.
  std::vector<std::shared_ptr<stream>> channels() const;

  /// The live connections that are a `T` (the factory's type), as of this
  /// call: a handler reaches its peers' own members without a cast.
  template <class T> std::vector<std::shared_ptr<T>> channels() const {
    static_assert(std::is_base_of_v<stream, T>,
                  "channels<T>(): T must be the server's channel type, a pants::stream");
    std::vector<std::shared_ptr<T>> typed;
    for (auto& c : channels())
      if (auto t = std::dynamic_pointer_cast<T>(c))
        typed.push_back(std::move(t));
    return typed;
  }

  /// Writes `data` to every live connection but `except`, skipping those
  /// that are closing (whose `write` would throw `state_error`), so an
  /// echo-to-all never stops part-way through the room. Returns how many
  /// connections it was written to. Safe from any thread.
  std::size_t broadcast(std::string_view data, const stream* except = nullptr);

  /// The bound port (the real one after `listen(0)`); 0 before listen
  /// and for a Unix socket.
  std::uint16_t port() const noexcept { return port_; }

  /// The bound address: `[::]:4000`, `/run/app.sock`, `@name`; empty
  /// before listen.
  std::string local_address() const;

  /// True from a successful `listen` until the listening socket closes.
  bool listening() const noexcept;

  /// Read and write errors of its connections that their default handlers
  /// did not print: ordinary resets and broken pipes (a client leaving),
  /// and those over one line a second. Safe from any thread.
  std::uint64_t errors_not_shown() const { return connection_errors_.not_shown(); }
  /// The engine this server and its connections run on (not owned).
  pants::engine& engine() const noexcept { return engine_; }

protected:
  virtual void on_listen() {}
  /// Default: `adopt(fd)`, a channel from the factory with its own actor.
  virtual void on_accept(int fd, const std::string& peer);
  virtual void on_close() {}
  /// An exception escaped a callback; the server goes on. Default: log.
  virtual void on_error(const std::exception& e);

  /// Wraps the accepted descriptor `fd` in a new channel from the factory
  /// and starts it. Call from `on_accept`.
  std::shared_ptr<stream> adopt(int fd);

private:
  void listen_on(const endpoint& where, int backlog);
  void shut(bool graceful);
  // detail::server_handlers (run in the server's actor).
  void receive_listening() override;
  void receive_accepted(accepted_msg& m) override;
  void receive_closed() override;
  template <class F> void guarded(F&& f);

  friend class stream; // its default error handlers log through connection_errors_

  pants::engine& engine_;
  detail::environment env_;
  /// The rate limit its connections' default error handlers share.
  detail::error_log connection_errors_;
  factory make_channel_;
  /// The accepted connections still open; shared (weakly) with each.
  std::shared_ptr<detail::connection_list> connections_;
  mutable std::mutex mtx_; // guards the members below
  std::shared_ptr<listener_io> listener_;
  caf::actor actor_;
  std::uint16_t port_ = 0;
  bool closed_ = false;
  std::atomic<std::size_t> max_connections_{0};
  std::shared_ptr<const pants::tls_context> tls_;
  bool adopted_ = false; // in the actor: the on_accept running adopted its descriptor
};

/// Pants' `Server`: a TCP stream server.
class server : public stream_server {
public:
  using stream_server::stream_server;
};

/// Pants' `UnixServer`: a stream server on a Unix socket path.
class unix_server : public stream_server {
public:
  using stream_server::stream_server;

  /// Listens on the Unix socket `path` (`@name`: abstract namespace).
  /// Throws address_error for a bad path, os_error when the path is in use
  /// or cannot be bound, state_error as stream_server::listen.
  void listen(const std::string& path, int backlog = 1024);

  /// Listens on a ready-made address, e.g. `pants::unix_path(path)`; as
  /// stream_server::listen.
  void listen(const endpoint& where, int backlog = 1024);
};

} // namespace pants
