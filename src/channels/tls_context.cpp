#include "pants/channels/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

namespace pants {

namespace detail {

std::string openssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    // "error:0A000086:SSL routines::certificate verify failed": the reason
    // is what follows the last colon.
    std::string line(text);
    auto colon = line.rfind(':');
    if (!out.empty())
      out += "; ";
    out += colon == std::string::npos ? line : line.substr(colon + 1);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

} // namespace detail

namespace {

int version_of(tls_version v) { return v == tls_version::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; }

[[noreturn]] void refuse(const std::string& what) {
  throw tls_config_error("pants: TLS: " + what + ": " + detail::openssl_errors());
}

// The server's ALPN choice: the first of its own protocols the client also
// offers; none in common, the handshake goes on without ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto* mine = static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  int rc =
      SSL_select_next_proto(&chosen, outlen, reinterpret_cast<const unsigned char*>(mine->data()),
                            static_cast<unsigned int>(mine->size()), in, inlen);
  if (rc != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

} // namespace

std::shared_ptr<const tls_context> tls_context::make(tls_role role, const tls_options& options) {
  return std::shared_ptr<const tls_context>(new tls_context(role, options));
}

tls_context::tls_context(tls_role role, const tls_options& options)
    : role_(role), options_(options),
      verify_(options.verify_peer.value_or(role == tls_role::client)) {
  for (const auto& p : options.alpn) {
    if (p.empty() || p.size() > 255)
      throw std::invalid_argument("pants: TLS: an ALPN protocol name is 1 to 255 bytes");
    alpn_wire_ += static_cast<char>(p.size());
    alpn_wire_ += p;
  }
  if (options.handshake_timeout.count() < 0)
    throw tls_config_error("pants: TLS: a handshake timeout cannot be negative");
  if (options.min_version > options.max_version)
    throw tls_config_error("pants: TLS: min_version is above max_version");
  if (role == tls_role::server && options.certificate_chain_file.empty())
    throw tls_config_error("pants: TLS: a server needs certificate_chain_file and "
                           "private_key_file");
  // Our first call into OpenSSL, without its exit handler: that handler
  // runs before the actor system's worker threads are joined (it was
  // registered later) and would delete the key whose destructor frees each
  // thread's error queue, so every worker that ever touched TLS would leak
  // its queue at exit. Without it, each thread frees its own state as it
  // ends; the library's global state stays until the process is gone.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, nullptr);
  ERR_clear_error();
  ctx_ = SSL_CTX_new(role == tls_role::client ? TLS_client_method() : TLS_server_method());
  if (!ctx_)
    refuse("cannot make a context");
  try {
    configure();
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

void tls_context::configure() {
  SSL_CTX_set_min_proto_version(ctx_, version_of(options_.min_version));
  SSL_CTX_set_max_proto_version(ctx_, version_of(options_.max_version));
  // Writes are whole records into a memory BIO: no partial writes to retry.
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  const auto& o = options_;
  if (!o.certificate_chain_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, o.certificate_chain_file.c_str()) != 1)
      refuse("cannot load the certificate chain '" + o.certificate_chain_file + "'");
    const auto& key = o.private_key_file.empty() ? o.certificate_chain_file : o.private_key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)
      refuse("cannot load the private key '" + key + "'");
    if (SSL_CTX_check_private_key(ctx_) != 1)
      refuse("the private key '" + key + "' does not match the certificate");
  }
  if (verify_) {
    bool loaded =
        o.ca_file.empty() && o.ca_path.empty()
            ? SSL_CTX_set_default_verify_paths(ctx_) == 1
            : SSL_CTX_load_verify_locations(ctx_, o.ca_file.empty() ? nullptr : o.ca_file.c_str(),
                                            o.ca_path.empty() ? nullptr : o.ca_path.c_str()) == 1;
    if (!loaded)
      refuse("cannot load the trusted certificates '" + o.ca_file + o.ca_path + "'");
    int mode = SSL_VERIFY_PEER;
    if (role_ == tls_role::server)
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx_, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (!alpn_wire_.empty()) {
    if (role_ == tls_role::client) {
      // 0 is success here, unlike the rest of OpenSSL.
      if (SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                                  static_cast<unsigned int>(alpn_wire_.size())) != 0)
        refuse("cannot set the ALPN protocols");
    } else {
      SSL_CTX_set_alpn_select_cb(ctx_, select_alpn, &alpn_wire_);
    }
  }
}

tls_context::~tls_context() { SSL_CTX_free(ctx_); }

} // namespace pants
