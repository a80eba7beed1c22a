#include "pants/channels/stream_socket.hpp"

#include "pants/channels/chunk_pool.hpp"
#include "pants/channels/errors.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <new>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace pants {

namespace {

// sendfile has no MSG_NOSIGNAL: a write to a reset peer must not kill the
// process, so SIGPIPE is ignored unless the application installed a handler.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
      ::signal(SIGPIPE, SIG_IGN);
  });
}

void set_nodelay(int fd, int family) {
  if (family != AF_INET && family != AF_INET6)
    return; // TCP only
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A non-blocking connect to a Unix listener whose backlog is full fails at
// once with EAGAIN (never EINPROGRESS): the socket is left unconnected, yet
// polls writable with SO_ERROR 0, so it must not be waited on. strerror's
// "try again" alone would not say why.

} // namespace

stream_socket::stream_socket(make_tag, engine& eng, std::shared_ptr<event_sink> sink)
    : socket_core(eng, std::move(sink), inflight_limit) {
  ignore_sigpipe_once();
}

std::shared_ptr<stream_socket> stream_socket::make(engine& eng, std::shared_ptr<event_sink> sink) {
  // One allocation with the control block (one idle connection's 40 bytes).
  return std::make_shared<stream_socket>(make_tag{}, eng, std::move(sink));
}

std::shared_ptr<stream_socket> stream_socket::adopt(engine& eng, int fd,
                                                    std::shared_ptr<event_sink> sink) {
  auto s = make(eng, std::move(sink));
  int flags = ::fcntl(fd, F_GETFL);
  if ((flags & O_NONBLOCK) == 0) // accepted ones already are
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  s->fd_ = fd;
  s->local_ = compact_endpoint(endpoint::local_of(fd));
  set_nodelay(fd, s->local_.family());
  s->remote_ = compact_endpoint(endpoint::peer_of(fd));
  s->state_ = state::open;
  return s;
}

void stream_socket::start() {
  engine_.run_in_loop([self = self<stream_socket>()] { self->connected_in_engine(); });
}

void stream_socket::connected_in_engine() {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (!register_in_engine() || state_ != state::open)
    return;
  bool held;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    held = begin_tls_locked();
  }
  if (held)
    update_interest(); // a TLS server waits for its client's hello
  else
    report(connected_msg{});
}

void stream_socket::connect(std::vector<endpoint> targets) {
  if (targets.empty())
    throw std::invalid_argument("pants: connect needs at least one address");
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ != state::idle || close_requested_)
      throw state_error("pants: connect on a channel that is already connecting, open or closed");
    plan_ = std::make_unique<connect_plan>();
    plan_->targets = std::move(targets);
    state_ = state::connecting;
  }
  engine_.run_in_loop([self = self<stream_socket>()] { self->start_connect(); });
}

void stream_socket::fail_connect(net_error error) {
  {
    // Closed while the name was resolving: close() has reported, and the
    // engine may be gone by now (the resolver thread outlives it).
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || close_requested_)
      return;
  }
  engine_.run_in_loop([self = self<stream_socket>(), error] {
    if (self->state_ != state::idle && self->state_ != state::connecting)
      return; // closed, or connected first (a connect timeout that lost the race)
    self->report(connect_failed_msg{error});
    self->close_now();
  });
}

void stream_socket::connect_plan::failed(const net_error& error) {
  if (!failures.empty())
    failures += "; ";
  failures += error.message;
  last_code = error.code;
  ++next;
}

net_error stream_socket::connect_plan::error() const {
  if (targets.size() == 1)
    return net_error{last_code, failures};
  return net_error{last_code, "every address failed: " + failures};
}

void stream_socket::start_connect() {
  PANTS_ASSERT_IN_LOOP(engine_);
  auto& plan = *plan_;
  while (plan.next < plan.targets.size()) {
    if (state_ == state::closed)
      return;
    const auto& target = plan.targets[plan.next];
    int fd = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      plan.failed(connect_net_error(errno, target));
      continue;
    }
    set_nodelay(fd, target.family());
    int rc = ::connect(fd, target.data(), target.size());
    // An interrupted connect goes on in the background, as EINPROGRESS does.
    if (rc == 0 || errno == EINPROGRESS || errno == EINTR) {
      {
        std::lock_guard<std::mutex> guard(mtx_);
        fd_ = fd;
      }
      connected_in_engine(); // writable interest while connecting
      if (rc == 0)
        finish_connect();
      return;
    }
    plan.failed(connect_net_error(errno, target));
    ::close(fd);
  }
  report(connect_failed_msg{plan.error()});
  close_now();
}

void stream_socket::finish_connect() {
  PANTS_ASSERT_IN_LOOP(engine_);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    err = errno;
  if (err == EINPROGRESS || err == EALREADY)
    return; // spurious wake-up: still connecting
  bool held = false;
  if (err != 0) {
    // Try the next address, if any, on a fresh socket.
    abandon_descriptor();
    plan_->failed(connect_net_error(err, plan_->targets[plan_->next]));
    start_connect(); // reports the failure when no address is left
    return;
  }
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ != state::connecting)
      return;
    local_ = compact_endpoint(endpoint::local_of(fd_));
    remote_ = compact_endpoint(endpoint::peer_of(fd_));
    state_ = state::open;
    held = begin_tls_locked();
  }
  plan_.reset(); // connected: the addresses are not needed any more
  update_interest();
  if (!held) // else it follows the TLS handshake
    report(connected_msg{});
}

void stream_socket::handle_io(std::uint32_t events) {
  PANTS_ASSERT_IN_LOOP(engine_);
  auto st = state_.load();
  if (st == state::closed)
    return;
  if (st == state::connecting) {
    finish_connect();
    return;
  }
  bool handled = false;
  if ((events & (io_event::readable | io_event::error | io_event::hangup)) && !eof_ &&
      st == state::open && !credit_.paused() && !hwm_paused_) {
    on_readable();
    handled = true;
  }
  if (state_ != state::closed && (events & io_event::writable)) {
    on_writable();
    handled = true;
  }
  // An error or hang-up with no interest left to surface it: the next write
  // (if any output is queued) or a read reports the cause.
  if (!handled && state_ != state::closed && (events & (io_event::error | io_event::hangup))) {
    if (bytes_queued() > 0)
      on_writable();
    else
      on_readable();
  }
}

void stream_socket::on_readable() {
  PANTS_ASSERT_IN_LOOP(engine_);
  static thread_local char buf[read_chunk];
  ssize_t n = retry_on_eintr([&] { return ::read(fd_, buf, sizeof buf); });
  if (n > 0 && tls_on_) {
    on_tls_bytes(buf, static_cast<std::size_t>(n));
  } else if (n > 0) {
    auto size = static_cast<std::size_t>(n);
    chunk_msg chunk;
    try {
      chunk.bytes = chunk_pool::take(buf, size);
    } catch (const std::bad_alloc&) {
      // Read, but nowhere to keep them: the stream would have a hole in
      // it, so it ends (on_read_error ENOMEM, then on_close).
      fail(true, ENOMEM);
      return;
    }
    if (credit_.charge(size))
      update_interest();
    report(std::move(chunk));
  } else if (n == 0) {
    if (eof_)
      return;
    if (tls_on_ && !open_or_closed_tls()) {
      report(tls_error_msg{
          net_error{ECONNRESET, "TLS: the peer closed the connection during the handshake"}});
      close_now();
      return;
    }
    eof_ = true;
    update_interest();
    report(eof_msg{});
  } else if (!would_block(errno)) {
    fail(true, errno);
  }
}

void stream_socket::on_writable() {
  PANTS_ASSERT_IN_LOOP(engine_);
  int err = 0;
  bool close_after = false, drained = false;
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed)
      return;
    refill_tls_locked(err);
    if (err == 0 && queue_.flush(fd_, err) && output_empty_locked()) {
      // With TLS, only bytes the channel wrote make a drain (on_write), not
      // the handshake's or a session ticket's.
      drained = sink_ && (!tls_ || user_output_) && drain_.try_report();
      user_output_ = false;
      close_after = state_ == state::ending;
      if (write_shut_)
        ::shutdown(fd_, SHUT_WR);
    }
  }
  // Delivered after the unlock (the sink may call back into this socket);
  // only this thread delivers engine events, so their order holds.
  if (drained)
    report(drained_msg{});
  if (err != 0)
    fail(false, err);
  else if (close_after)
    close_now();
  else
    update_interest();
}

std::uint32_t stream_socket::interest_locked() const {
  auto st = state_.load();
  if (st == state::closed || st == state::idle)
    return 0;
  if (st == state::connecting)
    return io_event::writable;
  std::uint32_t mask = 0;
  if (st == state::open && !close_requested_ && !eof_ && !credit_.paused() && !hwm_paused_)
    mask |= io_event::readable;
  // A TLS backlog waits for the handshake: asking sooner would spin.
  if (!queue_.empty() || tls_backlog_ready_locked())
    mask |= io_event::writable;
  return mask;
}

// The write marks: reading pauses above the high mark, resumes at or
// below the low one.
void stream_socket::before_interest_update_locked() {
  PANTS_ASSERT_IN_LOOP(engine_);
  auto queued = bytes_queued();
  if (queued > high_water_)
    hwm_paused_ = true;
  else if (queued <= low_water_)
    hwm_paused_ = false;
}

const char* stream_socket::write_refusal(state st, bool close_requested, bool write_shut) noexcept {
  if (st == state::closed || close_requested)
    return "pants: write on a closed channel";
  if (st == state::ending)
    return "pants: write after end()";
  if (write_shut)
    return "pants: write after shutdown_write()";
  return st == state::open ? nullptr : "pants: write before the channel is connected";
}

bool stream_socket::write(std::string_view data) {
  std::unique_lock<std::mutex> lock(mtx_);
  if (auto refusal = write_refusal(state_, close_requested_, write_shut_))
    throw state_error(refusal);
  if (data.empty())
    return false;
  std::string wire;
  if (tls_) {
    user_output_ = true;
    // Behind a file, or before the handshake completes: waits in the
    // backlog (counted by the write marks) and is encrypted in its turn.
    if (!tls_->backlog.empty() || tls_->session.current() == tls_session::state::handshaking) {
      tls_->backlog.push(data);
      bool over = bytes_queued() > high_water_;
      lock.unlock();
      if (over)
        request_interest_update();
      return false;
    }
    tls_->session.send(data); // encrypted here, in the writer's thread, under the lock
    tls_->session.take_output(wire);
    if (wire.empty())
      return false; // the session failed: nothing more goes out
    data = wire;
  }
  if (!queue_.empty()) {
    queue_.push(data);
    bool over = bytes_queued() > high_water_;
    lock.unlock();
    if (over)
      request_interest_update();
    return false;
  }
  // Nothing queued: hand the bytes to the kernel right here, from the
  // writer's thread, and queue only what it did not take.
  ssize_t n = retry_on_eintr(
      [&] { return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
  if (n == static_cast<ssize_t>(data.size()))
    return drain_.try_report();
  if (n < 0) {
    if (!would_block(errno)) {
      int err = errno;
      lock.unlock();
      engine_.run_in_loop([self = self<stream_socket>(), err] { self->fail(false, err); });
      return false;
    }
    n = 0;
  }
  data.remove_prefix(static_cast<std::size_t>(n));
  queue_.push(data);
  lock.unlock();
  request_interest_update();
  return false;
}

void stream_socket::write_file(int file_fd, off_t offset, std::size_t nbytes) {
  nbytes = write_queue::checked_region(file_fd, offset, nbytes);
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ != state::open || close_requested_ || write_shut_)
      throw state_error("pants: write_file on a channel that is not open for writing");
    if (nbytes == 0)
      return;
    int dup = ::fcntl(file_fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
      throw os_error(errno, "pants: write_file cannot duplicate the descriptor");
    // Over TLS the engine reads and encrypts it (refill_tls_locked).
    (tls_ ? tls_->backlog : queue_).push_file(dup, static_cast<std::size_t>(offset), nbytes);
    if (tls_)
      user_output_ = true;
  }
  request_interest_update();
}

void stream_socket::shutdown_write() {
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ != state::open || close_requested_ || write_shut_.exchange(true))
      return;
    if (tls_)
      close_notify_locked(); // the peer reads the end of our stream from it
    if (output_empty_locked()) {
      ::shutdown(fd_, SHUT_WR); // else the flush that empties the queue does it
      return;
    }
  }
  request_interest_update();
}

void stream_socket::set_write_marks(std::size_t high, std::size_t low) {
  if (low == 0 || low > high)
    throw std::invalid_argument("pants: write marks need 0 < low <= high");
  {
    std::lock_guard<std::mutex> guard(mtx_);
    high_water_ = high;
    low_water_ = low;
  }
  request_interest_update();
}

void stream_socket::fail(bool reading_side, int code) {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (state_ == state::closed)
    return;
  if (sink_)
    sink_->deliver_error(reading_side, os_net_error(code));
  close_now();
}

std::string stream_socket::local_address() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return local_.get().to_string();
}

std::string stream_socket::remote_address() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return remote_.get().to_string();
}

} // namespace pants
