#pragma once

#include "pants/channels/tls_context.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

// OpenSSL's types, declared so this header needs no OpenSSL headers.
struct ssl_st;
struct bio_st;

namespace pants {

/// One TLS connection's protocol state, driven through memory buffers:
/// ciphertext from the network goes in with `receive`, plaintext to send
/// with `send`, and the ciphertext to put on the wire comes out of
/// `take_output`. It makes no system call, so whoever owns the socket (the
/// engine) does every read and write. Pure logic on OpenSSL: no sockets,
/// no threads. Not thread-safe: one owner at a time.
class tls_session {
public:
  enum class state {
    handshaking, ///< before the handshake completes (sends wait)
    open,        ///< application data flows both ways
    closed,      ///< the peer sent close_notify: nothing more comes (sends still go)
    failed       ///< a protocol or verification error; `error()` says which
  };

  /// A session of `context`'s role. A client checks and sends as SNI the
  /// context's `host_name`, or else `connect_host` (the name it connects
  /// to); an IP address is checked as an address and sent as no SNI.
  explicit tls_session(std::shared_ptr<const tls_context> context,
                       std::string_view connect_host = {});
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  ~tls_session();

  /// A client's first flight (the ClientHello) into the output; a server
  /// waits for its client. Call once, when the connection is up.
  void start();

  /// Ciphertext read from the network: the handshake moves on, and the
  /// application data it completes is appended to `plaintext`. Returns the
  /// state after it. Bytes after a close_notify, or after a failure, are
  /// ignored.
  state receive(std::string_view ciphertext, std::string& plaintext);

  /// Application bytes to send, in order: encrypted into the output at
  /// once when open or closed (the peer's half only), kept (in
  /// `pending()`) until the handshake completes when handshaking, dropped
  /// after close_notify or a failure.
  void send(std::string_view plaintext);

  /// Sends close_notify after everything sent before (after the handshake,
  /// if it is still going on). Idempotent.
  void close_notify();

  /// Whether ciphertext is waiting for the wire.
  bool has_output() const noexcept;
  /// Appends the ciphertext waiting for the wire to `out` and forgets it.
  void take_output(std::string& out);

  state current() const noexcept { return state_; }
  /// Application bytes held until the handshake completes.
  std::size_t pending() const noexcept { return pending_.size(); }
  /// Why the session failed: OpenSSL's reasons, with the certificate check
  /// that failed ("certificate verify failed: self-signed certificate").
  const std::string& error() const noexcept { return error_; }
  /// After the handshake: the protocol ALPN chose ("" for none), the
  /// version ("TLSv1.3") and the cipher suite.
  std::string alpn() const;
  std::string version() const;
  std::string cipher() const;

private:
  void handshake();
  void read_plaintext(std::string& plaintext);
  void write_all(std::string_view plaintext);
  /// Records a failure from OpenSSL's error queue (and the verify result).
  void fail();

  std::shared_ptr<const tls_context> context_;
  ssl_st* ssl_ = nullptr;
  bio_st* in_ = nullptr;  // network -> OpenSSL (owned by ssl_)
  bio_st* out_ = nullptr; // OpenSSL -> network (owned by ssl_)
  state state_ = state::handshaking;
  std::string pending_; // sent while handshaking
  bool close_after_handshake_ = false;
  bool close_sent_ = false;
  std::string error_;
};

} // namespace pants
