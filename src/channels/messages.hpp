#pragma once

// Every message the engine sends to a channel's actor, and every message a
// channel's actor hands to a user's CAF behaviour, as plain structs.
//
// Engine -> channel actor (sent through an `event_sink`, in socket order):
//   connected_msg, connect_failed_msg, chunk_msg, eof_msg, drained_msg,
//   read_error_msg, write_error_msg, listening_msg, accepted_msg,
//   tls_handshake_msg, tls_error_msg, closed_msg;
//   datagram channels: packet_msg instead of chunk_msg and eof_msg.
// Channel actor -> user behaviour (actor-style channels, see docs/):
//   connected_msg, connect_failed_msg, read_msg (one per frame), drained_msg,
//   overflow_msg, idle_msg, read_error_msg, write_error_msg,
//   tls_handshake_msg, tls_error_msg, closed_msg;
//   datagram channels: listening_msg, datagram_msg (one per datagram or
//   frame) instead of read_msg.
//
// Each struct has an `inspect` overload so CAF can carry it in a message.

#include "pants/channels/address.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pants {

/// An operating-system error attached to an event: `code` is an errno value
/// (0 when not from the OS), `message` a readable description that names
/// what failed (`connect to 127.0.0.1:4202: Connection refused`); `what()`
/// gives it as an exception does.
struct net_error {
  int code = 0;
  std::string message;

  const char* what() const noexcept { return message.c_str(); }
};

/// A client's connection completed, or an accepted connection is ready.
struct connected_msg {};

/// A client's connection failed; `closed_msg` follows.
struct connect_failed_msg {
  net_error error;
};

/// Bytes read from the socket, as read (before framing). Internal.
struct chunk_msg {
  std::string bytes;
};

/// One frame of the channel's current read delimiter; for a frame cut by
/// a regular expression, its match's groups (`groups[0]` the whole match),
/// else no groups.
struct read_msg {
  std::string data;
  std::vector<std::string> groups;
};

/// One datagram as received, with its sender. Internal: the channel frames
/// it (per sender) and delivers `datagram_msg`s.
struct packet_msg {
  std::string bytes;
  endpoint from;
};

/// One datagram (or, with a read delimiter, one frame of a sender's data)
/// and the address it came from: write to `from` to answer the sender.
struct datagram_msg {
  std::string data;
  endpoint from;
  std::vector<std::string> groups; // as in read_msg
};

/// The peer shut down its sending side (end of stream). Internal: the
/// channel delivers its complete frames, then ends.
struct eof_msg {};

/// The write queue became empty after holding data (Pants' on_write).
struct drained_msg {};

/// The receive buffer passed `buffer_size` without completing a frame;
/// `from` names the sender on a datagram channel (empty on a stream).
struct overflow_msg {
  net_error error;
  endpoint from;
};

/// Which side of a stream went quiet for its idle timeout: nothing read,
/// or nothing written (see stream::set_idle_timeout).
enum class idle_kind : std::uint8_t { read, write };

inline const char* to_string(idle_kind k) noexcept {
  return k == idle_kind::read ? "read" : "write";
}

/// A stream's idle timeout passed with nothing read or written; unhandled,
/// the channel closes.
struct idle_msg {
  idle_kind kind = idle_kind::read;
};

/// A socket error while reading (not an orderly close).
struct read_error_msg {
  net_error error;
};

/// A socket error while writing, e.g. the peer reset the connection.
struct write_error_msg {
  net_error error;
};

/// A server is bound and listening.
struct listening_msg {};

/// A server accepted a connection. Internal: `fd` is owned by the message's
/// receiver, which must adopt or close it.
struct accepted_msg {
  int fd = -1;
  std::string peer;
};

/// The TLS handshake completed (Pants' on_ssl_handshake). A channel that
/// started TLS before it was connected (a client, or an accepted
/// connection of a TLS server) gets `connected_msg` right after.
struct tls_handshake_msg {};

/// TLS failed: OpenSSL's reason ("TLS: certificate verify failed:
/// hostname mismatch"); `closed_msg` follows.
struct tls_error_msg {
  net_error error;
};

/// The channel is closed; nothing is delivered after this.
struct closed_msg {};

template <class Inspector> auto inspect(Inspector& f, net_error& x) { return f(x.code, x.message); }
template <class Inspector> auto inspect(Inspector& f, connected_msg&) { return f(); }
template <class Inspector> auto inspect(Inspector& f, connect_failed_msg& x) { return f(x.error); }
template <class Inspector> auto inspect(Inspector& f, chunk_msg& x) { return f(x.bytes); }
template <class Inspector> auto inspect(Inspector& f, tls_handshake_msg&) { return f(); }
template <class Inspector> auto inspect(Inspector& f, tls_error_msg& x) { return f(x.error); }
template <class Inspector> auto inspect(Inspector& f, read_msg& x) { return f(x.data, x.groups); }
template <class Inspector> auto inspect(Inspector& f, eof_msg&) { return f(); }
template <class Inspector> auto inspect(Inspector& f, drained_msg&) { return f(); }
template <class Inspector> auto inspect(Inspector& f, packet_msg& x) { return f(x.bytes, x.from); }
template <class Inspector> auto inspect(Inspector& f, datagram_msg& x) {
  return f(x.data, x.from, x.groups);
}
template <class Inspector> auto inspect(Inspector& f, overflow_msg& x) {
  return f(x.error, x.from);
}
template <class Inspector> auto inspect(Inspector& f, idle_msg& x) { return f(x.kind); }
template <class Inspector> auto inspect(Inspector& f, read_error_msg& x) { return f(x.error); }
template <class Inspector> auto inspect(Inspector& f, write_error_msg& x) { return f(x.error); }
template <class Inspector> auto inspect(Inspector& f, listening_msg&) { return f(); }
template <class Inspector> auto inspect(Inspector& f, accepted_msg& x) { return f(x.fd, x.peer); }
template <class Inspector> auto inspect(Inspector& f, closed_msg&) { return f(); }

} // namespace pants
