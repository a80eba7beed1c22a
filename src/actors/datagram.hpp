#pragma once

#include "pants/actors/detail/channel_base.hpp"
#include "pants/actors/detail/error_log.hpp"
#include "pants/actors/detail/socket_slot.hpp"
#include "pants/channels/messages.hpp"
#include "pants/channels/read_delimiter.hpp"
#include "pants/channels/sender_framers.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace pants {

class endpoint;
class engine;
class datagram_io;

/// A datagram channel: Pants' `Datagram`, over UDP (IPv4, IPv6, dual-stack)
/// or a Unix datagram socket (`pants::unix_path`). Subclass it and override
/// the `on_*` callbacks; each channel runs its callbacks in its own CAF
/// actor, one at a time and in socket order.
///
/// Each `on_read` gets one datagram and its sender (boundaries are kept),
/// unless a `read_delimiter` is set: then each sender's datagrams are
/// framed as a stream of its own (see `max_senders`, `buffer_size`).
/// Errors about one datagram (too large, refused, unreachable) never close
/// the channel.
///
/// Create with std::make_shared; the framework keeps the object alive while
/// the channel is open. "Safe from any thread" members may be called from
/// other channels' handlers too; "handler" members from this channel's own
/// callbacks (or before it starts).
class datagram : public detail::channel_base,
                 public detail::datagram_handlers,
                 public std::enable_shared_from_this<datagram> {
public:
  /// A channel on `eng` (the default engine unless given).
  explicit datagram(pants::engine& eng);
  datagram();
  ~datagram() override;

  // -- listening (safe from any thread) ---------------------------------------------

  /// Binds `port` on all interfaces (`[::]`, dual-stack, where the host has
  /// IPv6); `on_listen` follows. Throws address_error for a bad port,
  /// os_error when the address cannot be bound (in use, no permission),
  /// state_error when already open (listening, or after a write) or
  /// closed; nothing changes then and the channel stays usable.
  void listen(long port);

  /// Binds a numeric IPv4 or IPv6 `host` and `port`; throws as above, and
  /// address_error for a host that is not numeric.
  void listen(const std::string& host, long port);

  /// Binds a ready-made address, e.g. `pants::unix_path("/run/app.sock")`
  /// or `unix_path("@name")`; a Unix path follows the socket-file policy (a
  /// live path is in use, a stale socket file is replaced, a non-socket is
  /// never removed, the file goes on close). Throws as above.
  void listen(const endpoint& where);

  // -- writing (safe from any thread) ----------------------------------------------

  /// Sends `data` (any size up to 64 KiB, including 0) as one datagram to
  /// `to`, in order after earlier writes. Before `listen`, the first write
  /// opens an unbound socket of `to`'s family (a Unix one autobinds so it
  /// can be answered). A datagram the system refuses gives
  /// `on_write_error` and the channel goes on. Throws address_error for an
  /// empty address or one of a family the socket cannot reach (IPv6 from
  /// an IPv4 socket, Unix from UDP, ...), state_error after end()/close();
  /// nothing changes then.
  void write(std::string_view data, const endpoint& to);

  /// As above, to a numeric IPv4/IPv6 `host` (names are not resolved:
  /// resolve first, off the engine thread) and `port`.
  void write(std::string_view data, const std::string& host, long port);

  /// No more writes: queued datagrams are sent, then the channel closes.
  void end();

  /// Closes at once, discarding queued datagrams. Idempotent; `on_close`
  /// follows as its own event (also for a channel that never opened).
  void close();

  /// Bytes queued and not yet handed to the kernel.
  std::size_t bytes_queued() const noexcept;

  // -- state (safe from any thread) --------------------------------------------------

  /// True once the channel has closed (after or while `on_close` runs).
  bool closed() const noexcept;
  /// The bound address: `[::]:4000`, `127.0.0.1:5000`, `/run/app.sock`,
  /// `@name`; the kernel's choice after an implicit open; empty before.
  std::string local_address() const;
  /// The bound UDP port (the real one after `listen(0)`); 0 before, or
  /// for a Unix socket.
  std::uint16_t port() const;

  // -- reading (handler) -----------------------------------------------------------------

  /// Frames each sender's data: none (the default) gives one `on_read`
  /// per datagram; a string or count frames each sender's datagrams as a
  /// stream. Applies at once to buffered data. Throws
  /// std::invalid_argument for an empty string or 0, keeping the old one.
  void read_delimiter(pants::read_delimiter d);
  const pants::read_delimiter& read_delimiter() const noexcept { return framers_.delimiter(); }
  /// Inside `on_read` for a frame cut by a regular expression: its match's
  /// groups; empty elsewhere. A view valid only during that `on_read`.
  match_groups read_groups() const noexcept { return framers_.groups(); }
  /// Inside `on_read` for a frame cut by a binary layout: its fields; see
  /// stream::read_fields.
  unpacked read_fields() const { return framers_.fields(); }

  /// Bounds each sender's buffer (default 64 KiB). Throws
  /// std::invalid_argument for 0.
  void buffer_size(std::size_t n) { framers_.buffer_size(n); }
  std::size_t buffer_size() const noexcept { return framers_.buffer_size(); }

  /// Bounds how many senders may hold a partial frame (default 256); a new
  /// sender beyond it discards the least recently heard sender's partial
  /// data. Throws std::invalid_argument for 0.
  void max_senders(std::size_t n) { framers_.max_senders(n); }
  std::size_t max_senders() const noexcept { return framers_.max_senders(); }

protected:
  // -- callbacks (run in the channel's actor) ---------------------------------------
  // on_write() and on_error(): see detail::channel_base.

  /// Bound and listening (not after an implicit open by a write).
  virtual void on_listen() {}
  /// One datagram (or frame) from `from`; write to `from` to answer. The
  /// view is valid only during the call.
  virtual void on_read(std::string_view, const endpoint&) {}
  /// `from`'s buffer passed `buffer_size` without a frame; its bytes are
  /// already dropped. Default: log (the three error defaults log at most
  /// one line a second, counting the rest). Other senders are not affected.
  virtual void on_overflow_error(const net_error& e, const endpoint& from);
  /// A received datagram was dropped (larger than 64 KiB) or the socket
  /// reported an error. Default: log. The channel goes on.
  void on_read_error(const net_error& e) override;
  /// A datagram could not be sent; the text names its destination.
  /// Default: log. The channel goes on.
  void on_write_error(const net_error& e) override;
  /// Exactly once, however the channel ends. Nothing is delivered after.
  virtual void on_close() {}

private:
  void start();
  /// The socket; null before start(). Any thread.
  datagram_io* socket() const noexcept { return socket_.get(); }
  // Actor side (run in the channel's actor): detail::datagram_handlers and
  // the kind's part of the shared rows.
  void receive_listening() override;
  void receive_packet(packet_msg& m) override;
  void handle_packet(packet_msg& m);
  void handle_closed() override;
  void reframe() override;
  void overflowed(const endpoint& from);
  void drain_seen() noexcept override;
  void log_error(const std::string& what, const net_error& e);

  std::once_flag started_;
  /// Set once, by start() (see socket_slot).
  detail::socket_slot<datagram_io> socket_;
  sender_framers framers_;
  bool reframe_pending_ = false;
  /// The default error log's rate limit.
  detail::error_log errors_;
};

} // namespace pants
