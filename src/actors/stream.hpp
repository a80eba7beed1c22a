#pragma once

#include "pants/actors/detail/channel_base.hpp"
#include "pants/actors/detail/socket_slot.hpp"
#include "pants/channels/framer.hpp"
#include "pants/channels/messages.hpp"
#include "pants/channels/read_delimiter.hpp"
#include "pants/channels/tls_context.hpp"
#include "pants/engine/timer.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace pants {

class endpoint;
class event_sink;
class engine;
class stream_server;
class stream_io;
namespace detail {
class connection_list;
}

/// A stream channel (TCP): Pants' `Stream`, base of `client` and
/// `connection`. Subclass it and override the `on_*` callbacks; each
/// channel runs its callbacks in its own CAF actor, on CAF's worker
/// threads, one at a time and in socket order.
///
/// Create with std::make_shared; the framework keeps the object alive while
/// the channel is open. Thread affinity per member below: "Safe from any
/// thread" members may be called from other channels' handlers too;
/// "handler" members must be called from this channel's own callbacks
/// (or before `connect`).
class stream : public detail::channel_base,
               public detail::stream_handlers,
               public detail::accepted_stream,
               public std::enable_shared_from_this<stream> {
public:
  /// A channel on `eng` (the default engine unless given).
  explicit stream(pants::engine& eng);
  stream();
  virtual ~stream();
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  // -- connecting ---------------------------------------------------------

  /// Connects to `host`:`port` (numeric IPv4/IPv6, or a name resolved off
  /// the engine thread, every address tried in turn). Ends in `on_connect`,
  /// or `on_connect_error` then `on_close`. Throws address_error for a bad
  /// port or an empty host, state_error if already connecting, open or
  /// closed; nothing changes then.
  void connect(const std::string& host, long port);

  /// Connects to `port` on the loopback host (127.0.0.1).
  void connect(long port);

  /// Connects to a ready-made address: `pants::unix_path("/run/app.sock")`
  /// (or `"@name"`), or an `endpoint::numeric(host, port)`. Throws
  /// address_error for an empty endpoint, state_error as above.
  void connect(const endpoint& where);

  // -- TLS -----------------------------------------------------------------

  /// Starts TLS on this channel (Pants' startSSL), as a client, or as a
  /// server on a connection a server accepted. Before `connect`, the
  /// handshake starts once connected and `on_connect` follows it (after
  /// `on_tls_handshake`); on an open channel, bytes written before the
  /// call go out in the clear, then the handshake, then every later write
  /// encrypted (STARTTLS ordering). A client verifies the server by
  /// default, against `options.host_name` or the connect host. Failures
  /// end in `on_tls_error` (OpenSSL's reason), then `on_close`. Throws
  /// tls_config_error for a configuration OpenSSL refuses, state_error
  /// when TLS is already on or the channel is ending or closed; nothing
  /// changes then. Call where the channel is yours (its handlers, or
  /// before connect).
  ///
  /// A server answering a STARTTLS command passes its answer as
  /// `clear_first`: it goes out in the clear and TLS starts at once, so no
  /// byte of the client's handshake can be read as plaintext in between
  /// (a separate `write` then `start_tls` would leave that window open).
  void start_tls(const tls_options& options = {}, std::string_view clear_first = {});
  /// As above with a ready context (one shared by many channels).
  void start_tls(std::shared_ptr<const tls_context> context, std::string_view clear_first = {});

  /// Bounds every later `connect`: one not completed within `timeout`
  /// (name resolution included) ends in `on_connect_error` (code
  /// ETIMEDOUT, "connect to HOST:PORT: timed out after N ms"), then
  /// `on_close`, and its descriptor is released. Default: none (the
  /// kernel's, about two minutes for TCP). Throws std::invalid_argument for
  /// `timeout <= 0`, state_error once connecting; nothing changes then.
  void set_connect_timeout(std::chrono::milliseconds timeout);
  /// The connect timeout; zero for none.
  std::chrono::milliseconds connect_timeout() const noexcept { return connect_timeout_; }

  // -- idle timeouts (handler) --------------------------------------------

  /// Ends a channel that has gone quiet: once connected, `timeout` with no
  /// bytes read (`idle_kind::read`), or with no `write`/`write_file` call
  /// (`idle_kind::write`), calls `on_idle(kind)`, which closes by default.
  /// A channel left open is told again after each further `timeout` of
  /// quiet. Set before `connect`, or from a handler (it then counts from
  /// now); setting again replaces it. Each read or write moves a deadline
  /// and allocates nothing. Default: none. Throws std::invalid_argument
  /// for `timeout <= 0`, state_error once closed; nothing changes then.
  void set_idle_timeout(std::chrono::milliseconds timeout, idle_kind kind = idle_kind::read);
  /// Removes that idle timeout (none set: nothing to do).
  void clear_idle_timeout(idle_kind kind = idle_kind::read);
  /// The idle timeout; zero for none.
  std::chrono::milliseconds idle_timeout(idle_kind kind = idle_kind::read) const noexcept;

  // -- writing (safe from any thread) -------------------------------------

  /// Queues `data` in order after earlier writes. Throws state_error when
  /// the channel is not connected, is ending or is closed.
  void write(std::string_view data);

  /// Queues `data` as one length-prefixed frame: the prefix `p` encodes
  /// for its size, then the bytes (one write, so frames from several
  /// threads never interleave). Throws std::invalid_argument, writing
  /// nothing, when `data` is over `p.max_payload()`; state_error as `write`.
  void write_framed(std::string_view data, const length_prefix& p);
  /// As above with the channel's own read delimiter's layout, for the
  /// symmetric protocols; call it where the read delimiter is yours to read
  /// (the channel's handlers and timers). Throws std::logic_error, writing
  /// nothing, unless the read delimiter is a length prefix.
  void write_framed(std::string_view data);

  /// Queues one frame of `layout` holding `values` (one per field; see
  /// binary_layout::pack_into). Throws struct_error, writing nothing, when
  /// they do not fit the layout; state_error as `write`.
  template <class... Ts> void write_packed(const binary_layout& layout, const Ts&... values) {
    write(layout.pack(values...));
  }
  /// As above with the channel's own read delimiter's layout (where the
  /// read delimiter is yours to read, as write_framed). Throws
  /// std::logic_error, writing nothing, unless it is a binary layout.
  template <class... Ts> void write_packed(const Ts&... values) {
    write_packed(own_layout(), values...);
  }

  /// Queues the file region (`nbytes == 0`: to the end) to be sent with
  /// sendfile, in order with writes. Throws std::invalid_argument if the
  /// file cannot be opened or the region is outside it, state_error as
  /// `write`.
  void write_file(const std::string& path, off_t offset = 0, std::size_t nbytes = 0);

  /// As above, for an open descriptor (duplicated: the caller keeps it).
  void write_file(int fd, off_t offset = 0, std::size_t nbytes = 0);

  /// No more writes: the queue is flushed, then the channel closes.
  void end();

  /// Half-close: no more writes (they throw state_error); queued output is
  /// flushed, then the peer reads end of stream, while this channel keeps
  /// reading until the peer closes (then `on_close`). Idempotent.
  void shutdown_write();

  /// Closes at once, discarding queued output. Idempotent. `on_close`
  /// follows as its own event.
  void close();

  /// Bytes queued and not yet handed to the kernel.
  std::size_t bytes_queued() const noexcept;

  /// Reading pauses while more than `high` bytes are queued for writing,
  /// and resumes at or below `low`. Defaults 1 MiB / 256 KiB. Throws
  /// std::invalid_argument unless 0 < low <= high.
  void set_write_marks(std::size_t high, std::size_t low);

  // -- state (safe from any thread) ----------------------------------------

  /// True while `write` is allowed: from the connection's completion until
  /// end()/close()/shutdown_write()/EOF.
  bool connected() const noexcept;
  /// True once the channel has closed (after or while `on_close` runs).
  bool closed() const noexcept;
  std::string local_address() const;
  std::string remote_address() const;
  /// What the TLS handshake agreed on: version, cipher suite, ALPN
  /// protocol. All empty before it completed (read it from
  /// `on_tls_handshake` or `on_connect` on), or without TLS.
  tls_negotiated tls_info() const;
  // engine() and actor(): see detail::channel_base.

  // -- timers: callback/loop/defer/cycle (see detail::channel_base) --------------
  //
  // Safe from any thread once connecting or connected; `f` runs inside this
  // channel's actor; every timer is cancelled when the channel closes.

  // -- reading (handler) ---------------------------------------------------

  /// Changes how bytes are split into `on_read` calls; applies at once to
  /// buffered data. Throws std::invalid_argument (from read_delimiter or
  /// length_prefix) for an empty string, 0, or a bad prefix layout, and
  /// regex_error for a bad pattern (both at their construction), leaving
  /// the old delimiter in force.
  void read_delimiter(pants::read_delimiter d);
  const pants::read_delimiter& read_delimiter() const noexcept { return framer_.delimiter(); }

  /// Inside `on_read` for a frame cut by a regular expression: its match's
  /// groups (`[0]` the whole match; in search mode, the dropped delimiter).
  /// Empty elsewhere. A view valid only during that `on_read`.
  match_groups read_groups() const noexcept { return framer_.groups(); }
  /// Inside `on_read` for a frame cut by a binary layout: its fields, read
  /// with typed getters (`read_fields().get<std::uint16_t>(0)`, or
  /// `.as<...>()` for a tuple). A view valid only during that `on_read`;
  /// std::logic_error elsewhere.
  unpacked read_fields() const { return framer_.fields(); }

  /// Bounds the receive buffer (default 64 KiB; at least the byte count).
  /// Throws std::invalid_argument for 0.
  void buffer_size(std::size_t n) { framer_.buffer_size(n); }
  std::size_t buffer_size() const noexcept { return framer_.buffer_size(); }

protected:
  // -- callbacks (run in the channel's actor) -------------------------------

  virtual void on_connect() {}
  virtual void on_connect_error(const net_error&) {}
  /// The TLS handshake completed (Pants' on_ssl_handshake).
  virtual void on_tls_handshake() {}
  /// TLS failed (a certificate that does not verify, a peer that is not
  /// speaking TLS, a corrupted record): `e.message` is OpenSSL's reason;
  /// the channel closes after it. Default: log, as read errors.
  virtual void on_tls_error(const net_error& e);
  virtual void on_read(std::string_view) {}
  // on_write() and on_error(): see detail::channel_base.
  /// Default: close.
  virtual void on_overflow_error(const net_error&);
  /// The idle timeout of `kind` passed (see set_idle_timeout). Default: close.
  virtual void on_idle(idle_kind kind);
  /// Default: log. The channel closes after either.
  void on_read_error(const net_error&) override;
  void on_write_error(const net_error&) override;
  virtual void on_close() {}

  /// The server that accepted this channel, if it is still alive.
  std::shared_ptr<stream_server> owning_server() const { return server_.lock(); }

private:
  // Actor side (run in the channel's actor): detail::stream_handlers and
  // the kind's part of the shared rows.
  void receive_connected() override;
  void receive_connect_failed(const net_error& e) override;
  void receive_chunk(chunk_msg& m) override;
  void receive_eof() override;
  void receive_tls_handshake() override;
  void receive_tls_error(const net_error& e) override;
  void handle_connected();
  void handle_chunk(chunk_msg& m);
  void handle_eof();
  void handle_closed() override;
  void reframe() override;
  bool deliver_frames(std::string&& bytes);
  /// At end of stream: delivers what only the end completes (a regular
  /// expression's last match), drops the unterminated tail.
  void deliver_final_frames();
  void drain_seen() noexcept override;

  /// Spawns the actor; returns the sink the socket delivers to.
  std::shared_ptr<event_sink> spawn_actor();
  /// The default error handlers' line (rate-limited, see stream.cpp).
  void log_error(const char* what, const net_error& e);
  void adopt(int fd, const std::shared_ptr<stream_server>& server,
             const std::shared_ptr<detail::connection_list>& list) override;
  /// The socket (never null), or state_error before `connect`/accept.
  stream_io* socket_checked() const;
  /// The read delimiter's binary layout, or std::logic_error.
  const binary_layout& own_layout() const;
  /// Starts the connect timeout (set: positive) for the socket just made.
  void arm_connect_timeout(const std::string& target);
  /// The idle timeouts and their cycles, made by the first
  /// set_idle_timeout (most channels never set one: 8 bytes in each).
  struct idle_watches;
  idle_watches& idle_checked();
  /// (Re)starts the idle timeout of `kind` (set), counting from now.
  void arm_idle(idle_watches& w, idle_kind kind);
  /// A write was queued: restarts the write side's idle timeout. Any thread.
  void wrote();

  /// Set once by connect or adopt (see socket_slot).
  detail::socket_slot<stream_io> socket_;
  std::weak_ptr<stream_server> server_;
  /// The accepting server's list of connections, left on close.
  std::weak_ptr<detail::connection_list> connections_;
  framer framer_;
  std::chrono::milliseconds connect_timeout_{0};
  /// The context start_tls gave before connect; started once the socket is made.
  std::shared_ptr<const tls_context> tls_before_connect_;
  timer connect_timer_; // cancelled once connected
  /// Set once (by the handler), never moved; `write` reads it on any thread.
  std::atomic<idle_watches*> idle_{nullptr};
  bool in_feed_ = false;
  bool reframe_pending_ = false;
  bool connected_seen_ = false; // handle_connected ran: idle timeouts count
};

/// Pants' `Client`: a stream that connects out.
class client : public stream {
public:
  using stream::stream;
};

/// Pants' `Connection`: a stream a server accepted.
class connection : public stream {
public:
  using stream::stream;

  /// The server that accepted this connection; null once it is gone.
  std::shared_ptr<stream_server> server() const { return owning_server(); }
};

/// Pants' `UnixClient`: a stream that connects to a Unix socket.
class unix_client : public stream {
public:
  using stream::stream;

  /// Connects to the Unix socket `path` (`@name`: abstract namespace).
  /// Throws address_error for a bad path, state_error as stream::connect.
  void connect(const std::string& path);

  /// Connects to a ready-made address, e.g. `pants::unix_path(path)`; as
  /// stream::connect.
  void connect(const endpoint& where) { stream::connect(where); }
};

/// Pants' `UnixConnection`: a stream a Unix server accepted. The same
/// class as `connection`; the name says which server it is written for.
using unix_connection = connection;

} // namespace pants
