#include "pants/channels/datagram_socket.hpp"

#include "pants/channels/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <netinet/in.h>
#include <new>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace pants {

namespace {

std::string describe(const endpoint& e) {
  auto s = e.to_string();
  return s.empty() ? std::string("an unnamed socket") : s;
}

// Unix datagram receivers that are full make sendto fail with EAGAIN while
// poll still reports the (unconnected) sender writable, so a Unix socket
// retries its queue on a timer instead, backing off to this.
constexpr std::chrono::milliseconds max_retry_delay{50};

} // namespace

datagram_socket::datagram_socket(engine& eng, std::shared_ptr<event_sink> sink)
    : socket_core(eng, std::move(sink), inflight_limit, datagram_overhead) {}

// The socket file goes before the socket (socket_core's destructor closes
// it): once closed, its inode number may be reused by a successor's file at
// the same path (see stream_listener).
datagram_socket::~datagram_socket() {
  if (fd_ >= 0)
    file_.remove();
}

std::shared_ptr<datagram_socket> datagram_socket::make(engine& eng,
                                                       std::shared_ptr<event_sink> sink) {
  return std::shared_ptr<datagram_socket>(new datagram_socket(eng, std::move(sink)));
}

void datagram_socket::bind(const endpoint& where) {
  if (where.empty())
    throw address_error("pants: listen needs an address");
  std::lock_guard<std::mutex> guard(mtx_);
  if (state_ != state::idle || close_requested_)
    throw state_error("pants: listen on a datagram channel that is already open or closed");
  unix_socket_file::prepare(where, SOCK_DGRAM);
  int fd = ::socket(where.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw os_error(errno, "pants: socket");
  int zero = 0;
  if (where.family() == AF_INET6)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); // dual-stack for [::]
  if (::bind(fd, where.data(), where.size()) != 0) {
    int err = errno;
    ::close(fd);
    throw os_error(err, "pants: cannot listen on " + where.to_string());
  }
  file_.bound(fd);
  fd_ = fd;
  family_ = where.family();
  local_ = endpoint::local_of(fd);
  state_ = state::open;
  // Posted even from the engine thread: registering takes mtx_, held here.
  engine_.post([self = self<datagram_socket>()] { self->register_in_engine(true); });
}

// The first write of a socket that never listened: an unbound socket of
// the destination's family. A Unix one autobinds to an abstract name, or
// its receivers would have no address to answer.
int datagram_socket::open_locked(int family) {
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw os_error(errno, "pants: socket");
  if (family == AF_UNIX) {
    sockaddr_storage autobind{};
    autobind.ss_family = AF_UNIX;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&autobind), sizeof(sa_family_t)) != 0) {
      int err = errno;
      ::close(fd);
      throw os_error(err, "pants: cannot autobind a Unix datagram socket");
    }
  }
  fd_ = fd;
  family_ = family;
  state_ = state::open;
  engine_.post([self = self<datagram_socket>()] { self->register_in_engine(false); }); // as in bind
  return fd;
}

void datagram_socket::register_in_engine(bool listening) {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (socket_core::register_in_engine() && listening)
    report(listening_msg{});
}

void datagram_socket::handle_io(std::uint32_t events) {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (state_ == state::closed)
    return;
  bool handled = false;
  if ((events & (io_event::readable | io_event::error | io_event::hangup)) && reading() &&
      !credit_.paused()) {
    on_readable();
    handled = true;
  }
  if (state_ != state::closed && (events & io_event::writable)) {
    flush();
    handled = true;
  }
  // A pending error (an ICMP report) while not reading: clear it, or a
  // level-triggered backend would report it again at once, forever.
  if (!handled && state_ != state::closed && (events & io_event::error))
    clear_socket_error();
}

void datagram_socket::on_readable() {
  PANTS_ASSERT_IN_LOOP(engine_);
  static thread_local char buf[max_datagram];
  for (int i = 0; i < read_batch && reading() && !credit_.paused(); ++i) {
    endpoint from;
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_name = from.data();
    msg.msg_namelen = endpoint::capacity();
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = retry_on_eintr([&] { return ::recvmsg(fd_, &msg, MSG_DONTWAIT); });
    if (n < 0) {
      // An error from an earlier send (ICMP) belongs to that datagram: the
      // socket goes on.
      if (int err = errno; !would_block(err))
        report(read_error_msg{os_net_error(err, "receiving")});
      return;
    }
    from.resize(msg.msg_namelen);
    if (msg.msg_flags & MSG_TRUNC) {
      report(read_error_msg{
          os_net_error(EMSGSIZE, "a datagram from " + describe(from) + " was larger than " +
                                     std::to_string(max_datagram) + " bytes and was dropped")});
      continue;
    }
    auto size = static_cast<std::size_t>(n);
    std::string bytes;
    try {
      bytes.assign(buf, size);
    } catch (const std::bad_alloc&) {
      // That datagram is lost, as one dropped on the way; the socket goes on.
      report(read_error_msg{os_net_error(ENOMEM, "a datagram of " + std::to_string(size) +
                                                     " bytes from " + describe(from) +
                                                     " was dropped")});
      continue;
    }
    if (credit_.charge(size))
      update_interest();
    report(packet_msg{std::move(bytes), from});
  }
}

void datagram_socket::clear_socket_error() {
  PANTS_ASSERT_IN_LOOP(engine_);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
    report(read_error_msg{os_net_error(err, "pending socket error")});
}

bool datagram_socket::send_locked(std::string_view data, const endpoint& to, int& err) {
  err = 0;
  if (data.size() > max_datagram) {
    err = EMSGSIZE; // UDP refuses it anyway; a Unix receiver could not read it
    return true;
  }
  ssize_t n = retry_on_eintr([&] {
    return ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT, to.data(),
                    to.size());
  });
  if (n >= 0)
    return true;
  if (would_block(errno))
    return false;
  err = errno;
  return true;
}

write_error_msg datagram_socket::refusal(const refused& r) {
  return write_error_msg{os_net_error(r.err, "a datagram of " + std::to_string(r.size) +
                                                 " bytes to " + describe(r.to) + " was dropped")};
}

bool datagram_socket::write(std::string_view data, const endpoint& to) {
  if (to.empty())
    throw address_error("pants: write needs a destination address");
  std::unique_lock<std::mutex> lock(mtx_);
  auto st = state_.load();
  if (st == state::closed || st == state::ending || close_requested_)
    throw state_error(st == state::ending ? "pants: write after end()"
                                          : "pants: write on a closed channel");
  // Checked before anything changes: a family this socket cannot reach throws.
  auto dest = fd_ >= 0 ? to.for_family(family_) : to;
  if (fd_ < 0)
    open_locked(to.family());
  if (queue_.empty()) {
    int err = 0;
    if (send_locked(data, dest, err)) {
      if (err == 0)
        return drain_.try_report();
      deliver_unlocked(lock, [r = refused{err, dest, data.size()}](event_sink& sink) {
        sink.deliver(refusal(r));
      });
      return false;
    }
  }
  queue_.push_back(outgoing{std::string(data), dest});
  queued_bytes_ += data.size();
  bool first = queue_.size() == 1;
  lock.unlock();
  if (first)
    schedule_flush();
  return false;
}

void datagram_socket::flush() {
  PANTS_ASSERT_IN_LOOP(engine_);
  bool close_after = false, blocked = false, drained = false;
  std::vector<refused> refusals; // reported after the unlock, in order
  {
    std::lock_guard<std::mutex> guard(mtx_);
    if (state_ == state::closed || fd_ < 0 || queue_.empty())
      return;
    while (!queue_.empty()) {
      auto& d = queue_.front();
      int err = 0;
      if (!send_locked(d.data, d.to, err)) {
        blocked = true;
        break;
      }
      if (err != 0)
        refusals.push_back(refused{err, d.to, d.data.size()});
      queued_bytes_ -= d.data.size();
      queue_.pop_front();
    }
    if (!blocked) {
      retry_delay_ = std::chrono::milliseconds{0};
      drained = sink_ && drain_.try_report();
      close_after = state_ == state::ending;
    }
  }
  for (auto& r : refusals)
    report(refusal(r));
  if (drained)
    report(drained_msg{});
  if (close_after)
    close_now();
  else if (blocked && family_ == AF_UNIX)
    arm_retry();
  else
    update_interest();
}

void datagram_socket::schedule_flush() {
  if (family_ == AF_UNIX)
    arm_retry();
  else
    request_interest_update();
}

void datagram_socket::arm_retry() {
  std::lock_guard<std::mutex> guard(mtx_);
  if (state_ == state::closed || armed_)
    return;
  retry_delay_ =
      std::min(max_retry_delay, std::max(std::chrono::milliseconds{1}, retry_delay_ * 2));
  armed_ = true;
  std::weak_ptr<datagram_socket> weak = self<datagram_socket>();
  retry_ = engine_.defer(retry_delay_, [weak] {
    if (auto self = weak.lock()) {
      {
        std::lock_guard<std::mutex> g(self->mtx_);
        self->armed_ = false;
      }
      self->flush();
    }
  });
}

std::uint32_t datagram_socket::interest_locked() const {
  if (fd_ < 0 || state_ == state::closed)
    return 0;
  std::uint32_t mask = 0;
  if (state_ == state::open && !close_requested_ && !credit_.paused())
    mask |= io_event::readable;
  if (!queue_.empty() && family_ != AF_UNIX)
    mask |= io_event::writable;
  return mask;
}

endpoint datagram_socket::local() const {
  std::lock_guard<std::mutex> guard(mtx_);
  return fd_ >= 0 ? endpoint::local_of(fd_) : local_;
}

void datagram_socket::discard_locked() noexcept {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (fd_ >= 0)
    local_ = endpoint::local_of(fd_);
  queue_.clear();
  queued_bytes_ = 0;
}

// No thread touches retry_ after the close: arm_retry checks the state
// under the lock.
void datagram_socket::before_close_unlocked() {
  PANTS_ASSERT_IN_LOOP(engine_);
  retry_.cancel();
  file_.remove();
}

} // namespace pants
