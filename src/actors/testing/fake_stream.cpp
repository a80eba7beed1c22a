#include "pants/actors/testing/fake_stream.hpp"

#include "pants/channels/errors.hpp"
#include "pants/channels/event_sink.hpp"
#include "pants/channels/os_errors.hpp"
#include "pants/channels/stream_socket.hpp"
#include "pants/channels/tls_context.hpp"
#include "pants/channels/write_queue.hpp"
#include "pants/engine/engine.hpp"

#include <cstring>
#include <stdexcept>
#include <unistd.h>
#include <utility>

namespace pants::testing::detail {

net_error errno_error(int code) { return net_error{code, std::strerror(code)}; }

fake_stream::fake_stream(std::shared_ptr<event_sink> sink, const void* key, engine& eng)
    : owner(key), sink_(std::move(sink)), engine_(eng),
      high_water_(stream_socket::default_high_water), low_water_(stream_socket::default_low_water),
      credit_(stream_socket::inflight_limit) {}

void fake_stream::adopted(std::shared_ptr<event_sink> sink, const void* key) {
  sink_ = std::move(sink);
  owner = key;
}

// An accepted socket is open from the start; `start` reports it, as the
// real socket does once registered, then what the client sent meanwhile
// (held while there was no channel to deliver it to). Over TLS, both wait
// for the handshake.
void fake_stream::start() {
  if (state_ != state::open || !sink_)
    return;
  if (tls_handshaking()) {
    begin_handshake();
    return;
  }
  open_reported_ = true;
  sink_->deliver(connected_msg{});
  release_held();
}

void fake_stream::connect(std::vector<endpoint> to) {
  if (to.empty())
    throw std::invalid_argument("pants: connect needs at least one address");
  if (state_ != state::idle || close_requested_)
    throw state_error("pants: connect on a channel that is already connecting, open or closed");
  targets = std::move(to);
  state_ = state::connecting;
  if (int err = fail_connect_with) {
    fail_connect_with = 0;
    fail_connect(connect_net_error(err, targets.back()));
  }
}

void fake_stream::fail_connect(net_error error) {
  if ((state_ != state::idle && state_ != state::connecting) || close_requested_)
    return;
  if (sink_)
    sink_->deliver(connect_failed_msg{std::move(error)});
  close_now();
}

void fake_stream::complete_connect(std::size_t target) {
  if (state_ != state::connecting)
    throw state_error("pants::testing: complete_connect on a channel that is not connecting");
  if (target >= targets.size())
    throw std::out_of_range("pants::testing: complete_connect: no such target");
  remote_ = targets[target];
  state_ = state::open;
  if (!sink_)
    return; // accepted: `start` reports it
  if (tls_handshaking()) {
    begin_handshake();
    return;
  }
  open_reported_ = true;
  sink_->deliver(connected_msg{});
}

void fake_stream::throw_unless_writable() const {
  if (auto refusal = stream_socket::write_refusal(state_, close_requested_, write_shut_))
    throw state_error(refusal);
}

bool fake_stream::write(std::string_view data) {
  throw_unless_writable();
  if (int err = fail_next_write) {
    fail_next_write = 0;
    fail(false, err);
    return false;
  }
  if (data.empty())
    return false;
  written_total_ += data.size();
  if (tls_handshaking()) {
    tls_backlog_.append(data); // as the real socket: encrypted once the handshake completes
    note_queued();
    return false;
  }
  if (!window_open || !queued_.empty()) {
    queued_.append(data);
    note_queued();
    return false;
  }
  written.append(data);
  return drain_.try_report();
}

void fake_stream::note_queued() { hwm_paused_ = hwm_paused_ || bytes_queued() > high_water_; }

// The region is read at queue time: what the peer would receive.
void fake_stream::write_file(int file_fd, off_t offset, std::size_t nbytes) {
  nbytes = write_queue::checked_region(file_fd, offset, nbytes);
  throw_unless_writable();
  if (int err = fail_next_write) {
    fail_next_write = 0;
    fail(false, err);
    return;
  }
  std::string region(nbytes, '\0');
  auto n = ::pread(file_fd, region.data(), nbytes, offset);
  if (n < 0)
    throw os_error(errno, "pants: write_file cannot read the file");
  region.resize(static_cast<std::size_t>(n));
  if (region.empty())
    return;
  written_total_ += region.size();
  if (tls_handshaking()) {
    tls_backlog_.append(region);
    note_queued();
    return;
  }
  queued_.append(region);
  if (window_open)
    flush_queue(); // the real socket sends files from the engine: drain by message
}

void fake_stream::flush_queue() {
  if (queued_.empty() || state_ == state::closed)
    return;
  written.append(queued_);
  queued_.clear();
  if (sink_ && drain_.try_report())
    sink_->deliver(drained_msg{});
  if (write_shut_)
    write_shut_done = true;
  if (hwm_paused_) {
    hwm_paused_ = false;
    release_held();
  }
  if (state_ == state::ending)
    close_now();
}

void fake_stream::set_window_open(bool open) {
  window_open = open;
  if (open)
    flush_queue();
}

void fake_stream::end() {
  if (state_ == state::closed || state_ == state::ending || close_requested_)
    return;
  end_called = true;
  if (state_ != state::open) {
    close_requested_ = true;
    close_now();
    return;
  }
  state_ = state::ending;
  if (bytes_queued() == 0)
    close_now();
}

void fake_stream::start_tls(std::shared_ptr<const tls_context> context, std::string host,
                            std::string_view clear_first) {
  if (auto refusal =
          stream_socket::start_tls_refusal(tls != nullptr, state_, close_requested_, write_shut_,
                                           !clear_first.empty(), open_reported_))
    throw state_error(refusal);
  if (!clear_first.empty()) {
    written_total_ += clear_first.size();
    queued_.append(clear_first);
    note_queued();
    if (window_open)
      flush_queue();
  }
  tls = std::move(context);
  if (tls->role() == tls_role::client)
    tls_host = tls->options().host_name.empty() ? std::move(host) : tls->options().host_name;
  clear_bytes = written_total_;
  if (open_reported_)
    begin_handshake(); // else when the connection opens
}

void fake_stream::begin_handshake() {
  connect_held_ = !open_reported_;
  open_reported_ = true;
  auto after = tls->options().handshake_timeout;
  if (after.count() > 0)
    handshake_timer_ = engine_.defer(after, [this] { on_handshake_timeout(); });
}

void fake_stream::on_handshake_timeout() {
  if (!tls_handshaking() || state_ == state::closed)
    return;
  if (sink_)
    sink_->deliver(tls_error_msg{net_error{
        ETIMEDOUT, "TLS: the handshake timed out after " +
                       std::to_string(tls->options().handshake_timeout.count()) + " ms"}});
  close_now();
}

void fake_stream::complete_tls(tls_negotiated agreed) {
  if (!tls)
    throw state_error("pants::testing: complete_tls on a channel that did not start TLS");
  if (tls_done_ || state_ == state::closed)
    throw state_error("pants::testing: complete_tls: no handshake is going on");
  if (!open_reported_)
    throw state_error("pants::testing: complete_tls before the connection is open");
  tls_done_ = true;
  agreed_ = std::move(agreed);
  handshake_timer_.cancel();
  if (sink_) {
    sink_->deliver(tls_handshake_msg{});
    if (std::exchange(connect_held_, false))
      sink_->deliver(connected_msg{});
  }
  queued_.append(tls_backlog_);
  tls_backlog_.clear();
  if (window_open)
    flush_queue();
  release_held();
}

void fake_stream::fail_tls(const std::string& reason) {
  if (!tls)
    throw state_error("pants::testing: fail_tls on a channel that did not start TLS");
  if (state_ == state::closed)
    return;
  if (sink_)
    sink_->deliver(tls_error_msg{net_error{EPROTO, "TLS: " + reason}});
  close_now();
}

void fake_stream::shutdown_write() {
  if (state_ != state::open || close_requested_ || std::exchange(write_shut_, true))
    return;
  if (bytes_queued() == 0)
    write_shut_done = true;
}

void fake_stream::close() {
  if (state_ == state::closed || close_requested_)
    return;
  close_requested_ = true;
  close_now();
}

void fake_stream::close_now() {
  if (state_ == state::closed)
    return;
  state_ = state::closed;
  queued_.clear();
  tls_backlog_.clear();
  held_.clear();
  handshake_timer_.cancel();
  if (auto sink = std::move(sink_))
    sink->deliver(closed_msg{});
}

void fake_stream::set_write_marks(std::size_t high, std::size_t low) {
  if (low == 0 || low > high)
    throw std::invalid_argument("pants: write marks need 0 < low <= high");
  high_water_ = high;
  low_water_ = low;
}

bool fake_stream::paused() const noexcept { return credit_.paused() || hwm_paused_; }

std::size_t fake_stream::held_bytes() const noexcept {
  std::size_t n = 0;
  for (auto& chunk : held_)
    n += chunk.size();
  return n;
}

void fake_stream::send(std::string bytes) {
  if (state_ == state::idle || state_ == state::connecting)
    throw state_error("pants::testing: the peer sends before the connection is open");
  if (tls_handshaking() && state_ != state::closed)
    throw state_error("pants::testing: the peer sends data before the TLS handshake completed "
                      "(complete_tls first)");
  if (bytes.empty() || state_ == state::closed || eof_pending_)
    return;
  held_.push_back(std::move(bytes));
  release_held();
}

void fake_stream::peer_close() {
  if (state_ == state::idle || state_ == state::connecting)
    throw state_error("pants::testing: the peer closes before the connection is open");
  if (tls_handshaking() && open_reported_ && state_ != state::closed) {
    if (sink_)
      sink_->deliver(tls_error_msg{
          net_error{ECONNRESET, "TLS: the peer closed the connection during the handshake"}});
    close_now();
    return;
  }
  eof_pending_ = true;
  release_held();
}

// What the real socket's reads would deliver now: held data while reading
// is not paused by flow control, then end of stream.
void fake_stream::release_held() {
  if (tls_handshaking())
    return; // nothing is application data before the handshake completes
  while (!held_.empty() && !paused() && state_ != state::closed && sink_) {
    auto bytes = std::move(held_.front());
    held_.pop_front();
    credit_.charge(bytes.size());
    sink_->deliver(chunk_msg{std::move(bytes)});
  }
  if (held_.empty() && eof_pending_ && !eof_sent_ && state_ != state::closed && sink_) {
    eof_sent_ = true;
    sink_->deliver(eof_msg{});
  }
}

void fake_stream::consumed(std::size_t n) {
  if (credit_.release(n))
    release_held();
}

void fake_stream::fail(bool reading_side, int code) {
  if (state_ == state::closed)
    return;
  if (sink_)
    sink_->deliver_error(reading_side, errno_error(code));
  close_now();
}

} // namespace pants::testing::detail
