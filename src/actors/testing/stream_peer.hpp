#pragma once

#include "pants/channels/address.hpp"
#include "pants/channels/tls_context.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace pants::testing {

namespace detail {
class fake_stream;
}

/// The far end of one stream channel on a `mock_engine`: injects what a
/// network peer would do and reads back what the channel did. A cheap
/// handle (copies share the connection). Events reach the channel's
/// handlers at the next `mock_engine::run()`. Use only in the test's
/// thread. Misuse (sending before the connection is open, completing a
/// connection that is not connecting) throws state_error.
class stream_peer {
public:
  explicit stream_peer(std::shared_ptr<detail::fake_stream> s) : s_(std::move(s)) {}

  // -- inject -------------------------------------------------------------------

  /// The channel's connect succeeds (to its `target`-th address).
  void complete_connect(std::size_t target = 0);
  /// The channel's connect fails with `code` (e.g. ECONNREFUSED):
  /// `on_connect_error`, then `on_close`.
  void fail_connect(int code);
  /// The peer sends `bytes`: one read of the channel's socket (so one call
  /// per chunk gives any chunking). Read flow control applies: bytes wait
  /// while the channel is behind. Ignored once the channel is closed.
  void send(std::string bytes);
  /// The peer closes its side: end of stream after the data sent before.
  void close();
  /// The connection is reset: a read error ECONNRESET, then the close.
  void reset();
  /// A read error `code`, then the close.
  void read_error(int code);
  /// The next write (or the next `write_file`) of the channel fails with
  /// `code` (e.g. EPIPE): `on_write_error`, then the close.
  void fail_next_write(int code);
  /// Closes (false) or opens (true, the default) the peer's receive window:
  /// while closed, writes queue (`bytes_queued`, no `on_write`); opening it
  /// flushes the queue, reports one drain, finishes an `end`.
  void set_window(bool open);

  // -- TLS (simulated: no bytes are encrypted; the peer reads and sends
  // -- plaintext, and the handshake is the test's to finish) ---------------------

  /// The handshake the channel started (`start_tls`, `server.tls`)
  /// completes: `on_tls_handshake`, then `on_connect` if it waited (a
  /// client that started TLS before connecting, a server's connection),
  /// then what the channel wrote meanwhile goes out; the channel's
  /// `tls_info()` is `agreed` from then on. Throws state_error unless a
  /// handshake is going on on an open connection.
  void complete_tls(tls_negotiated agreed = {"TLSv1.3", "TLS_AES_256_GCM_SHA384", ""});
  /// The handshake (or a later record) fails with `reason`, as OpenSSL
  /// would say it ("certificate verify failed: certificate has expired"):
  /// `on_tls_error` ("TLS: " + reason, EPROTO), then `on_close`. Throws
  /// state_error unless the channel started TLS.
  void fail_tls(const std::string& reason);

  // -- read back --------------------------------------------------------------

  /// Every byte the channel wrote and the peer received, in order
  /// (`write_file` regions as the file held them at queue time).
  const std::string& written() const;
  /// Returns `written()` and clears it, for step-by-step checks.
  std::string take_written();
  /// True once the channel called `end()`.
  bool ended() const;
  /// True once the channel is closed (by either side).
  bool closed() const;
  /// True once the channel shut its write side and the peer read its end.
  bool shut_down_write() const;
  /// True when the peer saw the connection dropped at once (a refused accept).
  bool was_reset() const;
  /// True while the channel's connect waits for `complete_connect`/`fail_connect`.
  bool connecting() const;
  /// The addresses the channel is connecting to (after name resolution).
  const std::vector<endpoint>& targets() const;
  /// Bytes sent by the peer and held back by read flow control.
  std::size_t held() const;
  /// True once the channel started TLS (whether or not it completed).
  bool tls_started() const;
  /// True while its handshake waits for `complete_tls`/`fail_tls`.
  bool tls_handshaking() const;
  /// The configuration the channel started TLS with (its `role()` and
  /// `options()`); null before.
  std::shared_ptr<const tls_context> tls() const;
  /// The name a client checks the server's certificate against and sends
  /// as SNI (the options' `host_name`, else the host connected to); "" for
  /// a server.
  const std::string& tls_host() const;
  /// How many bytes the channel wrote in the clear before TLS began
  /// (STARTTLS ordering: its answer to the command is the last of them).
  std::size_t clear_bytes() const;

  /// The fake socket behind this handle (for the mock's own lookups).
  const std::shared_ptr<detail::fake_stream>& fake() const noexcept { return s_; }

private:
  std::shared_ptr<detail::fake_stream> s_;
};

} // namespace pants::testing
