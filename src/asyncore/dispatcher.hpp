#pragma once

#include "pants/asyncore/socket_map.hpp"
#include "pants/channels/address.hpp"
#include "pants/channels/unix_socket_file.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <utility>

namespace pants::asyncore {

/// An owned socket descriptor (what Python's `socket` object is to
/// asyncore): closed when destroyed, move-only.
class socket_handle {
public:
  socket_handle() = default;
  /// Takes ownership of `fd`.
  explicit socket_handle(int fd) noexcept : fd_(fd) {}
  socket_handle(socket_handle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_handle& operator=(socket_handle&& other) noexcept;
  socket_handle(const socket_handle&) = delete;
  socket_handle& operator=(const socket_handle&) = delete;
  ~socket_handle() { close(); }

  int fd() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it.
  int release() noexcept { return std::exchange(fd_, -1); }
  void close() noexcept;
  /// The local and the peer address (empty on failure).
  endpoint getsockname() const { return endpoint::local_of(fd_); }
  endpoint getpeername() const { return endpoint::peer_of(fd_); }

private:
  int fd_ = -1;
};

/// What `dispatcher::accept()` returns: the new connection and its peer.
struct accepted {
  socket_handle sock;
  endpoint addr;
};

/// Python's `asyncore.dispatcher`: a non-blocking socket and the handlers
/// the loop calls for it. Subclass it and override the handlers; every
/// member of the Python class has its counterpart here (docs/asyncore.md).
///
/// Handlers run in the map's engine thread, one at a time. An exception a
/// handler throws goes to `handle_error` (never out of the loop), except
/// `exit_now`; an os_error for a reset or a broken pipe goes to
/// `handle_close`.
///
/// Lifetime: make dispatchers with `asyncore::make<T>(...)` (or
/// `std::make_shared`): the map then keeps each alive until it closes, so a
/// handler may start one and forget it, as in Python. A dispatcher owned
/// otherwise (on the stack, in a `unique_ptr`) leaves its map when
/// destroyed.
class dispatcher : public std::enable_shared_from_this<dispatcher> {
public:
  /// No socket yet (`create_socket` or `set_socket` gives it one); joins
  /// `map` (default: the default map) when it gets one.
  explicit dispatcher(socket_map* map = nullptr);
  /// Wraps an existing socket (one `accept()` returned, or any stream
  /// socket): made non-blocking, joins `map`; `connected()` when it has a
  /// peer. Throws os_error when the map's engine cannot watch it (select:
  /// a descriptor at or above FD_SETSIZE); the socket is then closed.
  explicit dispatcher(socket_handle sock, socket_map* map = nullptr);
  /// Leaves the map and closes the socket.
  virtual ~dispatcher();
  dispatcher(const dispatcher&) = delete;
  dispatcher& operator=(const dispatcher&) = delete;

  // -- the socket ---------------------------------------------------------------

  /// A new non-blocking socket (AF_INET, AF_INET6 or AF_UNIX; SOCK_STREAM
  /// or SOCK_DGRAM), joined to the map. Throws state_error when the
  /// dispatcher has a socket already, os_error when the system refuses.
  void create_socket(int family = AF_INET, int type = SOCK_STREAM);
  /// Uses `sock` (made non-blocking) and joins `map` (default: the one
  /// given to the constructor). Throws as create_socket.
  void set_socket(socket_handle sock, socket_map* map = nullptr);
  /// SO_REUSEADDR, so a restarted server binds while old connections of
  /// its port linger in TIME_WAIT.
  void set_reuse_addr();

  /// Starts connecting to `address` (an IPv4 address reaches an AF_INET6
  /// socket as its mapped form). `handle_connect` follows on the first
  /// write (or read) event, a refused connect ends in `handle_error` (and,
  /// by default, `handle_close`). Throws state_error without a socket, on
  /// a listening one or one connected or connecting already;
  /// address_error for an address the socket cannot reach; os_error when
  /// the system refuses at once (a Unix path nobody listens on).
  void connect(const endpoint& address);
  /// `connect` to `host` (numeric, or a name resolved now, blocking, as
  /// Python does) and `port`.
  void connect(const std::string& host, long port);
  /// Binds to `address` (a stale Unix socket file is replaced, a live one
  /// refused). Throws os_error (EADDRINUSE, ...) or address_error.
  void bind(const endpoint& address);
  /// `bind` to a numeric `host` (empty: every interface of the socket's
  /// family) and `port`.
  void bind(const std::string& host, long port);
  /// Listens; `accepting()` from now on. Throws state_error when already
  /// listening, connected or connecting, os_error when the system refuses.
  void listen(int backlog);
  /// The next connection waiting, or nothing when none is (or it was reset
  /// before this call, or the map's engine cannot watch its descriptor:
  /// select's FD_SETSIZE; it is then closed, and the first refusals are
  /// logged). Throws state_error unless listening, os_error for other
  /// failures (EMFILE).
  std::optional<accepted> accept();

  /// Sends what the socket takes of `data` now (`flags`: MSG_OOB, ...);
  /// returns the bytes sent, 0 when it would block. A reset or broken pipe
  /// calls `handle_close` and returns 0; never raises SIGPIPE. Throws
  /// state_error before connect, on a listening or a closed socket.
  virtual std::size_t send(std::string_view data, int flags = 0);
  /// At most `buffer_size` bytes. Empty at the end of the stream (after
  /// calling `handle_close`, as for a reset), and empty but still
  /// `connected()` when nothing is there yet (Python raises
  /// BlockingIOError). Throws std::invalid_argument for 0, state_error
  /// before connect, on a listening or a closed socket.
  std::string recv(std::size_t buffer_size, int flags = 0);
  /// Leaves the map and closes the socket (idempotent). The map's
  /// reference to the dispatcher goes too: it may be destroyed once the
  /// handler that called this returns.
  virtual void close();

  // -- the handlers (Python's defaults) ---------------------------------------

  /// Data (or the end of the stream) can be read. Default: logs a warning.
  virtual void handle_read();
  /// The socket can take data. Default: logs a warning.
  virtual void handle_write();
  /// Urgent (out-of-band) data arrived; read it with `recv(1, MSG_OOB)`.
  /// If it is still unread when this returns, the loop drops it, so it is
  /// reported once. Default: logs a warning.
  virtual void handle_expt();
  /// The connect succeeded (on the first write or read event). Default:
  /// logs a warning.
  virtual void handle_connect();
  /// The peer closed, or the connection failed. Default: `close()`.
  virtual void handle_close();
  /// A handler threw (the exception is current: `std::current_exception()`
  /// or `throw;`). Default: a one-line report to stderr, then
  /// `handle_close()`.
  virtual void handle_error();
  /// A listener is readable. Default: `accept()`, then `handle_accepted`.
  virtual void handle_accept();
  /// A connection was accepted (Python 3). Default: closes it, logs a
  /// warning.
  virtual void handle_accepted(socket_handle sock, const endpoint& addr);
  /// Asked before every wait: watch for reading? Default: true.
  virtual bool readable();
  /// Asked before every wait: watch for writing? (never for a listener).
  /// Default: true.
  virtual bool writable();

  // -- the event layer (what the loop calls) ---------------------------------

  void handle_read_event();
  void handle_write_event();
  void handle_expt_event();
  void handle_connect_event();

  // -- state ------------------------------------------------------------------

  bool connected() const noexcept { return connected_; }
  bool connecting() const noexcept { return connecting_; }
  bool accepting() const noexcept { return accepting_; }
  /// The address given to connect or bind, or the peer of a wrapped socket.
  const endpoint& addr() const noexcept { return addr_; }
  const socket_handle& socket() const noexcept { return socket_; }
  /// The descriptor, -1 without a socket.
  int fileno() const noexcept { return socket_.fd(); }
  /// The map it is in, or nullptr.
  socket_map* map() const noexcept { return in_map_; }
  /// `<type status address at 0x...>`, Python's repr.
  std::string repr() const;

  // -- logging ------------------------------------------------------------------

  /// Writes `message` to stderr (Python's `log`).
  void log(const std::string& message) const;
  /// Writes `type: message` to stderr unless `type` is in
  /// `ignore_log_types` ("warning" by default, so the unhandled-event
  /// warnings stay quiet, as in Python).
  virtual void log_info(const std::string& message, const std::string& type = "info");
  static std::set<std::string> ignore_log_types;

  /// Joins `map` (default: the one given to the constructor). Called by
  /// set_socket; for a subclass that manages its socket itself.
  void add_channel(socket_map* map = nullptr);
  /// Leaves the map; returns the map's reference, if it held one.
  std::shared_ptr<dispatcher> del_channel() noexcept;

protected:
  /// Throws state_error unless `send` may be called now (`what` names the
  /// call in the message).
  void require_sendable(const char* what) const;

private:
  friend class socket_map;
  void require_socket(const char* what) const;
  void handle_events(std::uint32_t events);
  bool open() const noexcept { return socket_ && in_map_ != nullptr; }
  void take_socket(socket_handle sock, socket_map* map);

  socket_map* home_;
  socket_map* in_map_ = nullptr;
  socket_handle socket_;
  int family_ = AF_UNSPEC;
  int type_ = 0;
  endpoint addr_;
  unix_socket_file unix_file_;
  bool connected_ = false;
  bool connecting_ = false;
  bool accepting_ = false;
  bool wrapped_ = false;      // given by set_socket: its state is the socket's own
  std::uint64_t refused_ = 0; // connections accept() closed: the engine could not watch them
};

/// Makes a `T` (a dispatcher) with `std::make_shared` and hands it to its
/// map at once, so it lives until it closes even if the result is dropped
/// (Python's `EchoHandler(sock)` in `handle_accepted`).
template <class T, class... Args> std::shared_ptr<T> make(Args&&... args) {
  auto d = std::make_shared<T>(std::forward<Args>(args)...);
  if (auto* m = d->map())
    m->adopt(*d);
  return d;
}

/// Python's `dispatcher_with_send`: `send` queues what the socket does not
/// take at once, and the loop sends the rest when it can.
class dispatcher_with_send : public dispatcher {
public:
  using dispatcher::dispatcher;
  /// Queues `data` and sends what it can now; returns `data.size()`.
  /// `flags` are not kept: the queue is sent plainly. Throws state_error as
  /// dispatcher::send, before queueing anything.
  std::size_t send(std::string_view data, int flags = 0) override;
  void handle_write() override { initiate_send(); }
  bool writable() override { return !connected() || !out_buffer.empty(); }
  /// Sends up to 64 KiB of the queue.
  void initiate_send();

  /// What is queued, not sent yet.
  std::string out_buffer;
};

} // namespace pants::asyncore
