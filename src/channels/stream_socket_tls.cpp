// The TLS half of stream_socket: a tls_session between the channel and the
// wire. The engine decrypts what it reads (under mtx_) and reports
// plaintext; writers encrypt in their own thread (stream_socket::write);
// the handshake's records go into the same write queue as everything else.
// A queued file, and what is written after it, waits in the link's backlog
// and the engine encrypts it a piece at a time as the socket drains.
#include "pants/channels/stream_socket.hpp"

#include "pants/channels/errors.hpp"

#include <mutex>
#include <string>
#include <utility>

namespace pants {

bool stream_socket::begin_tls_locked() {
  PANTS_ASSERT_IN_LOOP(engine_);
  open_reported_ = true;
  if (!tls_ || tls_->session.current() != tls_session::state::handshaking)
    return false;
  tls_->session.start();
  push_tls_output_locked();
  arm_handshake_timer_locked();
  connect_held_ = true;
  return true;
}

void stream_socket::arm_handshake_timer_locked() {
  auto after = tls_->handshake_timeout;
  if (after.count() == 0)
    return;
  // Weak: a socket closed meanwhile is not kept for the bound's length.
  std::weak_ptr<stream_socket> weak = self<stream_socket>();
  tls_->handshake_timer = engine_.defer(after, [weak] {
    if (auto s = weak.lock())
      s->on_handshake_timeout();
  });
}

void stream_socket::on_handshake_timeout() {
  PANTS_ASSERT_IN_LOOP(engine_);
  std::chrono::milliseconds after;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || tls_->session.current() != tls_session::state::handshaking)
      return;
    after = tls_->handshake_timeout;
  }
  report(tls_error_msg{net_error{ETIMEDOUT, "TLS: the handshake timed out after " +
                                                std::to_string(after.count()) + " ms"}});
  close_now();
}

void stream_socket::cancel_handshake_timer() {
  PANTS_ASSERT_IN_LOOP(engine_);
  timer t;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (tls_)
      t = std::move(tls_->handshake_timer);
  }
  t.cancel(); // in the engine thread, where it runs: never waits
}

void stream_socket::push_tls_output_locked() {
  std::string wire;
  tls_->session.take_output(wire);
  if (!wire.empty())
    queue_.push(wire);
}

bool stream_socket::tls_backlog_ready_locked() const {
  if (!tls_ || tls_->backlog.empty())
    return false;
  auto st = tls_->session.current();
  return st == tls_session::state::open || st == tls_session::state::closed;
}

void stream_socket::refill_tls_locked(int& error) {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (!tls_backlog_ready_locked() || queue_.bytes() >= tls_piece)
    return;
  std::string plaintext;
  bool read = tls_->backlog.read_out(plaintext, tls_piece, error);
  tls_->session.send(plaintext);
  if (read && tls_->backlog.empty() && std::exchange(tls_->notify_after_backlog, false))
    tls_->session.close_notify();
  push_tls_output_locked();
}

void stream_socket::close_notify_locked() {
  if (tls_->backlog.empty()) {
    tls_->session.close_notify(); // flushed after what is queued
    push_tls_output_locked();
  } else {
    tls_->notify_after_backlog = true;
  }
}

void stream_socket::discard_locked() noexcept {
  queue_.clear();
  if (tls_)
    tls_->backlog.clear();
}

const char* stream_socket::start_tls_refusal(bool tls_on, state st, bool close_requested,
                                             bool write_shut, bool clear_first,
                                             bool open_reported) noexcept {
  if (tls_on)
    return "pants: TLS is already started on this channel";
  if (st == state::closed || st == state::ending || close_requested || write_shut)
    return "pants: start_tls on a channel that is ending, closing or closed";
  if (clear_first && !open_reported)
    return "pants: start_tls with bytes to send first needs a connected channel";
  return nullptr;
}

void stream_socket::start_tls(std::shared_ptr<const tls_context> context, std::string host,
                              std::string_view clear_first) {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (auto refusal = start_tls_refusal(tls_ != nullptr, state_, close_requested_, write_shut_,
                                         !clear_first.empty(), open_reported_))
      throw state_error(refusal);
    tls_ = std::make_unique<tls_link>(std::move(context), host);
    tls_on_ = true;
    if (!open_reported_)
      return; // begins when the socket opens (begin_tls_locked)
    if (!clear_first.empty()) {
      queue_.push(clear_first);
      user_output_ = true;
    }
    tls_->session.start(); // after what is queued: STARTTLS ordering
    push_tls_output_locked();
    arm_handshake_timer_locked();
  }
  request_interest_update();
}

tls_negotiated stream_socket::tls_info() const {
  std::lock_guard<std::mutex> guard(mtx_);
  if (!tls_)
    return {};
  auto st = tls_->session.current();
  if (st != tls_session::state::open && st != tls_session::state::closed)
    return {};
  return {tls_->session.version(), tls_->session.cipher(), tls_->session.alpn()};
}

bool stream_socket::open_or_closed_tls() {
  std::lock_guard<std::mutex> guard(mtx_);
  auto st = tls_->session.current();
  return st == tls_session::state::open || st == tls_session::state::closed;
}

void stream_socket::on_tls_bytes(const char* data, std::size_t size) {
  PANTS_ASSERT_IN_LOOP(engine_);
  using tls_state = tls_session::state;
  std::string plaintext, error;
  tls_state before, after;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    before = tls_->session.current();
    after = tls_->session.receive(std::string_view(data, size), plaintext);
    push_tls_output_locked();
    if (after == tls_state::failed) {
      error = tls_->session.error();
      int ignored = 0;
      queue_.flush(fd_, ignored); // best effort: the alert that tells the peer why
    }
  }
  if (before == tls_state::handshaking && after != tls_state::handshaking)
    cancel_handshake_timer();
  if (before == tls_state::handshaking &&
      (after == tls_state::open || after == tls_state::closed)) {
    report(tls_handshake_msg{});
    if (std::exchange(connect_held_, false))
      report(connected_msg{});
  }
  if (!plaintext.empty()) {
    if (credit_.charge(plaintext.size()))
      update_interest();
    report(chunk_msg{std::move(plaintext)});
  }
  if (after == tls_state::failed) {
    report(tls_error_msg{net_error{EPROTO, "TLS: " + error}});
    close_now();
  } else if (after == tls_state::closed && before != tls_state::closed) {
    eof_ = true; // close_notify: the end of the peer's stream
    update_interest();
    report(eof_msg{});
  } else {
    update_interest(); // the handshake's answers, if any, go out
  }
}

void stream_socket::end() {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (tls_ && state_ == state::open && !close_requested_)
      close_notify_locked(); // flushed before the close, after what is queued
  }
  request_end();
}

} // namespace pants
