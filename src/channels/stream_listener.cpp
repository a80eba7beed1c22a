#include "pants/channels/stream_listener.hpp"

#include "pants/channels/errors.hpp"

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pants {

namespace {

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

} // namespace

stream_listener::stream_listener(engine& eng, int fd, unix_socket_file file,
                                 std::shared_ptr<event_sink> sink)
    // A listener's credit is never charged: it hands over descriptors, not
    // bytes, and the kernel's backlog is its flow control.
    : socket_core(eng, std::move(sink), 1), local_(endpoint::local_of(fd)), spare_fd_(open_spare()),
      file_(std::move(file)) {
  fd_ = fd;
  state_ = state::open;
}

// socket_core's destructor closes a descriptor never closed.
stream_listener::~stream_listener() {
  if (fd_ >= 0)
    file_.remove(); // before the close: see unix_socket_file::remove
  if (spare_fd_ >= 0)
    ::close(spare_fd_);
}

std::shared_ptr<stream_listener> stream_listener::listen(engine& eng, const endpoint& where,
                                                         int backlog,
                                                         std::shared_ptr<event_sink> sink) {
  if (backlog < 1)
    throw std::invalid_argument("pants: listen backlog must be at least 1");
  unix_socket_file::prepare(where, SOCK_STREAM);
  int fd = ::socket(where.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw os_error(errno, "pants: socket");
  int one = 1, zero = 0;
  if (where.family() != AF_UNIX)
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (where.family() == AF_INET6)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); // dual-stack for [::]
  unix_socket_file file;
  bool was_bound = ::bind(fd, where.data(), where.size()) == 0;
  if (was_bound)
    file.bound(fd);
  if (!was_bound || ::listen(fd, backlog) != 0) {
    int err = errno;
    file.remove();
    ::close(fd);
    throw os_error(err, "pants: cannot listen on " + where.to_string());
  }
  auto self = std::shared_ptr<stream_listener>(
      new stream_listener(eng, fd, std::move(file), std::move(sink)));
  eng.run_in_loop([self] { self->listening_in_engine(); });
  return self;
}

void stream_listener::listening_in_engine() {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (register_in_engine())
    report(listening_msg{});
}

void stream_listener::handle_io(std::uint32_t) {
  PANTS_ASSERT_IN_LOOP(engine_);
  for (int i = 0; i < accept_batch && !is_closed(); ++i) {
    if (!below_cap()) {
      update_interest(); // at the cap: stop watching until a release
      return;
    }
    endpoint peer; // from accept4 itself: no getpeername per connection
    int fd = retry_on_eintr([&] {
      socklen_t size = endpoint::capacity();
      int got = ::accept4(fd_, peer.data(), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
      peer.resize(got >= 0 ? size : 0);
      return got;
    });
    if (fd >= 0) {
      ++open_;
      report(accepted_msg{fd, peer.to_string()});
      continue;
    }
    if (errno == ECONNABORTED)
      continue;
    if (errno == EMFILE || errno == ENFILE)
      accept_after_emfile();
    return; // EAGAIN, or an error that the next readiness event retries
  }
}

// Out of descriptors: the pending connection stays in the backlog and would
// make the level-triggered loop spin. Free the spare descriptor, accept the
// connection and close it at once (the client sees a reset, not a hang),
// then take the spare back. Accepting resumes normally once fds free up.
void stream_listener::accept_after_emfile() {
  PANTS_ASSERT_IN_LOOP(engine_);
  if (spare_fd_ < 0) {
    spare_fd_ = open_spare();
    return;
  }
  ::close(spare_fd_);
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0)
    ::close(fd);
  spare_fd_ = open_spare();
}

void stream_listener::limit(std::size_t max) {
  cap_ = max;
  request_interest_update();
}

void stream_listener::release() {
  auto n = open_.load();
  while (n > 0 && !open_.compare_exchange_weak(n, n - 1)) {
  }
  auto cap = cap_.load();
  if (cap != 0 && n == cap)
    request_interest_update(); // was at the cap: accept again
}

void stream_listener::before_close_unlocked() {
  PANTS_ASSERT_IN_LOOP(engine_);
  file_.remove();
}

} // namespace pants
