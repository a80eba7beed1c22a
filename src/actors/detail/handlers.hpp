#pragma once

// The narrow interfaces through which the framework's own classes reach a
// channel or a server instead of friendship: an actor calls one member per
// message, a server starts the channel it accepted. The classes that
// implement them override every member privately, so user code holding a
// `stream` or a `stream_server` does not see these members; only code that
// holds the object as one of these interfaces (its actor, its server) calls
// them. They are read together, like messages.hpp, so they share a header.

#include "pants/channels/messages.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace pants {
class stream_server;
} // namespace pants

namespace pants::detail {

class connection_list;
struct channel_timer_msg;

/// What a channel's actor calls on its channel for the messages every
/// channel kind shares. Each member runs as one handler of the channel (an
/// exception goes to `on_error`, then `on_write` for the drains it caused).
/// Implemented by `channel_base`. Must be called in the channel's actor.
class channel_handlers {
public:
  /// The write queue emptied: `on_write`.
  virtual void receive_drained() = 0;
  /// A read error (`reading`) or a write error.
  virtual void receive_error(bool reading, const net_error& e) = 0;
  /// The channel asked itself to re-cut its buffered bytes.
  virtual void receive_reframe() = 0;
  /// One of the channel's own timers is due.
  virtual void receive_timer(channel_timer_msg& m) = 0;
  /// The last message: `on_close`; the actor ends after it.
  virtual void receive_closed() = 0;
  /// True when the channel has an actor-style behaviour for other messages.
  virtual bool has_behavior() noexcept = 0;
  /// A message no table row knows, given to that behaviour; returns its
  /// reply, or `caf::sec::unexpected_message` when it does not match.
  virtual caf::result<caf::message> receive_other(caf::message_view& view) = 0;

protected:
  ~channel_handlers() = default;
};

/// The messages only a stream channel's actor handles. Implemented by
/// `stream`. Must be called in the channel's actor.
class stream_handlers {
public:
  /// The connection completed (or an accepted one is registered).
  virtual void receive_connected() = 0;
  /// No address could be connected; `closed_msg` follows.
  virtual void receive_connect_failed(const net_error& e) = 0;
  /// Bytes read; the handler may take them (moved from `m`).
  virtual void receive_chunk(chunk_msg& m) = 0;
  /// The peer ended its stream.
  virtual void receive_eof() = 0;
  /// The TLS handshake completed.
  virtual void receive_tls_handshake() = 0;
  /// TLS failed; `closed_msg` follows.
  virtual void receive_tls_error(const net_error& e) = 0;

protected:
  ~stream_handlers() = default;
};

/// The messages only a datagram channel's actor handles. Implemented by
/// `datagram`. Must be called in the channel's actor.
class datagram_handlers {
public:
  /// Bound and registered after `listen`.
  virtual void receive_listening() = 0;
  /// One datagram and its sender; the handler may take the bytes.
  virtual void receive_packet(packet_msg& m) = 0;

protected:
  ~datagram_handlers() = default;
};

/// What a server's actor calls on its server. Implemented by
/// `stream_server`. Must be called in the server's actor.
class server_handlers {
public:
  /// The listening socket is registered.
  virtual void receive_listening() = 0;
  /// A connection was accepted; its descriptor is the handler's to adopt.
  virtual void receive_accepted(accepted_msg& m) = 0;
  /// The last message: `on_close`; the actor ends after it.
  virtual void receive_closed() = 0;

protected:
  ~server_handlers() = default;
};

/// What a server calls on a stream channel it accepted. Implemented by
/// `stream`. Called once, by the server, before the channel is shared.
class accepted_stream {
public:
  /// Starts the channel on the accepted descriptor `fd` (owned from now
  /// on): its actor, then its socket. `server` becomes `owning_server()`
  /// (held weakly); the channel leaves `list` (held weakly) when it closes.
  virtual void adopt(int fd, const std::shared_ptr<stream_server>& server,
                     const std::shared_ptr<connection_list>& list) = 0;

protected:
  ~accepted_stream() = default;
};

} // namespace pants::detail
