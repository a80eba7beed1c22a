#include "pants/channels/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <new>
#include <string>

namespace pants {

namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

} // namespace

tls_session::tls_session(std::shared_ptr<const tls_context> context, std::string_view connect_host)
    : context_(std::move(context)) {
  ERR_clear_error();
  ssl_ = SSL_new(context_->native());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  SSL_set_bio(ssl_, in_, out_); // ssl_ owns both from here
  if (context_->role() == tls_role::server) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  const auto& o = context_->options();
  std::string host = o.host_name.empty() ? std::string(connect_host) : o.host_name;
  bool ip = is_ip_address(host);
  if (!host.empty() && !ip)
    SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (context_->verifies_peer() && o.check_host_name && !host.empty()) {
    auto* param = SSL_get0_param(ssl_);
    if (ip)
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
      SSL_set1_host(ssl_, host.c_str());
  }
}

tls_session::~tls_session() { SSL_free(ssl_); }

void tls_session::start() {
  if (context_->role() == tls_role::client && state_ == state::handshaking)
    handshake();
}

tls_session::state tls_session::receive(std::string_view ciphertext, std::string& plaintext) {
  if (state_ == state::closed || state_ == state::failed)
    return state_;
  if (!ciphertext.empty() &&
      BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size())) <= 0)
    throw std::bad_alloc(); // a memory BIO only fails to grow
  if (state_ == state::handshaking)
    handshake();
  if (state_ == state::open)
    read_plaintext(plaintext);
  return state_;
}

void tls_session::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = state::open;
    std::string held;
    held.swap(pending_);
    write_all(held);
    if (close_after_handshake_)
      close_notify();
    return;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
    fail();
}

void tls_session::read_plaintext(std::string& plaintext) {
  char buf[16 * 1024]; // one record at most
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (rc == 1) {
      plaintext.append(buf, n);
      continue;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
      return;
    if (err == SSL_ERROR_ZERO_RETURN)
      state_ = state::closed;
    else
      fail();
    return;
  }
}

void tls_session::send(std::string_view plaintext) {
  if (state_ == state::handshaking && !close_after_handshake_)
    pending_.append(plaintext);
  else if ((state_ == state::open || state_ == state::closed) && !close_sent_)
    write_all(plaintext); // closed is the peer's side only: a half-close
}

void tls_session::write_all(std::string_view plaintext) {
  // A memory BIO takes every record: each write completes whole.
  while (!plaintext.empty() && state_ != state::failed) {
    ERR_clear_error();
    std::size_t n = 0;
    if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) != 1) {
      fail();
      return;
    }
    plaintext.remove_prefix(n);
  }
}

void tls_session::close_notify() {
  if (state_ == state::handshaking) {
    close_after_handshake_ = true;
  } else if ((state_ == state::open || state_ == state::closed) && !close_sent_) {
    close_sent_ = true;
    ERR_clear_error();
    SSL_shutdown(ssl_); // queues close_notify; the peer's answer is not awaited
  }
}

bool tls_session::has_output() const noexcept { return BIO_ctrl_pending(out_) > 0; }

void tls_session::take_output(std::string& out) {
  auto n = BIO_ctrl_pending(out_);
  if (n == 0)
    return;
  auto at = out.size();
  out.resize(at + n);
  int got = BIO_read(out_, out.data() + at, static_cast<int>(n));
  out.resize(at + static_cast<std::size_t>(got > 0 ? got : 0));
}

void tls_session::fail() {
  state_ = state::failed;
  pending_.clear();
  error_ = detail::openssl_errors();
  auto verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK)
    error_ += std::string(": ") + X509_verify_cert_error_string(verify);
}

std::string tls_session::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl_, &p, &n);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

std::string tls_session::version() const { return SSL_get_version(ssl_); }

std::string tls_session::cipher() const {
  const char* name = SSL_get_cipher_name(ssl_);
  return name ? name : "";
}

} // namespace pants
