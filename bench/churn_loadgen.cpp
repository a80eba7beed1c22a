// churn_loadgen: connection-rate load for the echo benchmarks.
//
//   churn_loadgen --port P --concurrency K --seconds S [--host 127.0.0.1] [--size 64]
//
// K slots, each looping: connect (non-blocking), send one message of SIZE bytes, read its
// echo back and check it, close (an orderly FIN), connect again. After a 0.5 s warm-up it
// counts the completed connections for S seconds and prints the loadgen result line, one
// "message" per connection:
//
//   messages=<connections> seconds=<s> msgs_per_sec=<connections/s> errors=<e>
//   total_messages=<t> total_seconds=<u> loadgen_cpu_seconds=<c>
//
// so run.sh's server CPU per "message" is the server's CPU per connection. On loopback the
// kernel reuses our TIME_WAIT ports (net.ipv4.tcp_tw_reuse=2, the default), so the port
// range does not run out. Exit status as loadgen's.

#include "loadgen_common.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using namespace bench;

struct slot {
  int fd = -1;
  uint64_t seq = 0; // connections this slot made, which also picks the message contents
  size_t sent = 0, received = 0;
};

class churn {
public:
  churn(const options& o, size_t concurrency)
      : o_(o), pattern_(o.size), slots_(concurrency), msg_(o.size), got_(o.size) {
    if ((epfd_ = epoll_create1(EPOLL_CLOEXEC)) < 0)
      die("epoll_create1");
  }

  int run() {
    for (size_t i = 0; i < slots_.size(); ++i)
      open(i);
    measurement m(o_.seconds);
    epoll_event events[256];
    while (m.tick(now_s(), completed_)) {
      int n = epoll_wait(epfd_, events, 256, m.wait_ms(1 << 30));
      if (n < 0 && errno != EINTR)
        die("epoll_wait");
      for (int i = 0; i < n; ++i)
        step(static_cast<size_t>(events[i].data.u64), events[i].events);
    }
    return m.report(completed_, errors_, "");
  }

private:
  void open(size_t i) {
    auto& s = slots_[i];
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0)
      die("socket");
    int one = 1;
    setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s.sent = s.received = 0;
    ++s.seq;
    if (connect(s.fd, reinterpret_cast<const sockaddr*>(&o_.addr), sizeof o_.addr) < 0 &&
        errno != EINPROGRESS)
      return fail(i, std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  void fail(size_t i, const char* what) {
    if (errors_++ < 5)
      std::fprintf(stderr, "churn_loadgen: slot %zu: %s\n", i, what);
    close_slot(i);
    if (errors_ < 1000)
      open(i); // a few refusals under load are reported, not fatal
  }

  void close_slot(size_t i) {
    auto& s = slots_[i];
    if (s.fd >= 0) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, nullptr);
      ::close(s.fd);
      s.fd = -1;
    }
  }

  void step(size_t i, uint32_t events) {
    auto& s = slots_[i];
    if (s.fd < 0)
      return;
    if (events & EPOLLERR) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      return fail(i, std::strerror(err != 0 ? err : EIO));
    }
    if (s.sent < o_.size && (events & EPOLLOUT)) {
      pattern_.write(i, s.seq, msg_.data());
      ssize_t n = send(s.fd, msg_.data() + s.sent, o_.size - s.sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return fail(i, std::strerror(errno));
      if (n > 0 && (s.sent += static_cast<size_t>(n)) == o_.size) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(epfd_, EPOLL_CTL_MOD, s.fd, &ev);
      }
    }
    if (events & (EPOLLIN | EPOLLHUP)) {
      ssize_t n = read(s.fd, got_.data(), o_.size - s.received);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n <= 0)
        return fail(i, n == 0 ? "server closed before echoing" : std::strerror(errno));
      if (!pattern_.check(i, s.seq, s.received, got_.data(), static_cast<size_t>(n)))
        return fail(i, "echo mismatch");
      if ((s.received += static_cast<size_t>(n)) == o_.size) {
        ++completed_;
        close_slot(i);
        open(i);
      }
    }
  }

  const options o_;
  const pattern pattern_;
  std::vector<slot> slots_;
  std::vector<uint8_t> msg_, got_;
  int epfd_ = -1;
  uint64_t completed_ = 0, errors_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  arg_parser args(argc, argv,
                  "churn_loadgen --port P --concurrency K --seconds S [--host 127.0.0.1] "
                  "[--size 64]");
  // take_options wants --connections and --pipeline: churn has neither, so pass fixed ones.
  options o;
  o.host = args.take_string("--host", "127.0.0.1");
  o.port = args.take_int("--port", 1, 65535);
  o.size = static_cast<size_t>(args.take("--size", 1, 65536, 64));
  o.seconds = args.take("--seconds", 0.001, 3600);
  size_t concurrency = args.take_int("--concurrency", 1, 4096);
  args.finish();
  o.addr.sin_family = AF_INET;
  o.addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &o.addr.sin_addr) != 1)
    args.fail("--host must be an IPv4 address");
  arm_hard_stop(o.seconds);
  return churn(o, concurrency).run();
}
