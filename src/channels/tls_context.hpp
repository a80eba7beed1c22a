#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

// OpenSSL's type, declared so this header needs no OpenSSL headers.
struct ssl_ctx_st;

namespace pants {

/// A TLS configuration OpenSSL refused (a missing or unreadable file, a key
/// that does not match its certificate, an unknown protocol version);
/// `what()` carries OpenSSL's reason. Nothing was changed.
class tls_config_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// A TLS protocol version, for the lowest (and highest) a channel accepts.
enum class tls_version : std::uint8_t { v1_2, v1_3 };

/// "TLSv1.2" or "TLSv1.3", as OpenSSL names them.
inline const char* to_string(tls_version v) noexcept {
  return v == tls_version::v1_2 ? "TLSv1.2" : "TLSv1.3";
}

/// Which side of the handshake a channel takes.
enum class tls_role : std::uint8_t { client, server };

/// What a TLS channel presents and checks. A plain value.
struct tls_options {
  /// PEM certificate chain (the leaf first) and its private key: required
  /// for a server, optional for a client (a client certificate).
  std::string certificate_chain_file;
  std::string private_key_file;
  /// Trusted certificates to verify the peer with, a PEM file and/or an
  /// OpenSSL hashed directory; both empty: the system's (Debian's
  /// /etc/ssl/certs).
  std::string ca_file;
  std::string ca_path;
  /// Whether the peer must present a certificate that verifies. Unset:
  /// on for a client, off for a server (on asks clients for a certificate
  /// and refuses those without).
  std::optional<bool> verify_peer;
  /// The name a client sends as SNI and checks the server's certificate
  /// against (an IP address is checked as one and sent as no SNI). Empty:
  /// the host the channel connects to.
  std::string host_name;
  /// Whether a verifying client checks `host_name` against the
  /// certificate (on by default; off only for tests and pinned peers).
  bool check_host_name = true;
  /// ALPN protocols in order of preference ("h2", "http/1.1"); a server
  /// picks the first of its own list the client also offers.
  std::vector<std::string> alpn;
  /// The versions accepted (default: 1.2 and 1.3).
  tls_version min_version = tls_version::v1_2;
  tls_version max_version = tls_version::v1_3;
  /// How long the handshake may take, from its start (once connected, or
  /// at `start_tls` on an open channel) to its completion; past it,
  /// `on_tls_error` ("TLS: the handshake timed out after N ms", ETIMEDOUT)
  /// then the close. Zero: no bound. A peer that connects and never
  /// speaks would otherwise hold the connection for good, since
  /// `on_connect` (where idle timeouts are usually set) waits for the
  /// handshake.
  std::chrono::milliseconds handshake_timeout{60000};
};

/// What a completed TLS handshake agreed on: the version ("TLSv1.3"), the
/// cipher suite ("TLS_AES_256_GCM_SHA384") and the ALPN protocol ("" when
/// none was agreed). All empty before the handshake completes, or without
/// TLS.
struct tls_negotiated {
  std::string version;
  std::string cipher;
  std::string alpn;
};

/// An OpenSSL SSL_CTX made from `tls_options` for one role: certificates
/// and keys loaded, verification and ALPN set. Immutable once made; safe
/// to share between threads and channels (sessions hold it by
/// shared_ptr).
class tls_context {
public:
  /// Throws tls_config_error with OpenSSL's reason when a file cannot be
  /// loaded, the key does not match the certificate, a server has no
  /// certificate, or min_version > max_version; std::invalid_argument for
  /// an ALPN name that is empty or over 255 bytes.
  static std::shared_ptr<const tls_context> make(tls_role role, const tls_options& options);

  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
  ~tls_context();

  tls_role role() const noexcept { return role_; }
  const tls_options& options() const noexcept { return options_; }
  bool verifies_peer() const noexcept { return verify_; }
  /// The OpenSSL context (internal).
  ssl_ctx_st* native() const noexcept { return ctx_; }

private:
  tls_context(tls_role role, const tls_options& options);
  void configure();

  tls_role role_;
  tls_options options_;
  bool verify_;
  std::string alpn_wire_; // the ALPN list in its wire form
  ssl_ctx_st* ctx_ = nullptr;
};

namespace detail {
/// The reasons in this thread's OpenSSL error queue, joined with "; "
/// ("certificate verify failed"), emptying it (internal).
std::string openssl_errors();
} // namespace detail

} // namespace pants
