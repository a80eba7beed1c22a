// idle_loadgen: many idle connections, for the server's memory per connection.
//
//   idle_loadgen --port P --connections N --hold S [--host 127.0.0.1]
//
// Opens N connections (at most 256 connecting at a time), sends one byte on each and waits
// for its echo, so the server has set every connection up, then prints
//
//   open=<N> setup_seconds=<from the first connect until the last echo>
//
// and keeps them all open, idle, for S seconds (run.sh samples the server's RSS then), and
// exits 0. Raises its own descriptor limit to N + 64. Exit status: 1 on any failure, 2 usage,
// 3 hard stop (S + setup + 5 s elapsed).

#include "loadgen_common.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using namespace bench;

constexpr size_t max_connecting = 256;

void raise_fd_limit(size_t n) {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur >= n)
    return;
  r.rlim_cur = n;
  r.rlim_max = r.rlim_max < n ? n : r.rlim_max; // root may raise the hard limit
  if (setrlimit(RLIMIT_NOFILE, &r) != 0)
    die("setrlimit(RLIMIT_NOFILE)");
}

} // namespace

int main(int argc, char** argv) {
  arg_parser args(argc, argv, "idle_loadgen --port P --connections N --hold S [--host 127.0.0.1]");
  std::string host = args.take_string("--host", "127.0.0.1");
  auto port = static_cast<uint16_t>(args.take_int("--port", 1, 65535));
  size_t n = args.take_int("--connections", 1, 100000);
  double hold = args.take("--hold", 0, 600);
  args.finish();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    args.fail("--host must be an IPv4 address");
  raise_fd_limit(n + 64);
  arm_hard_stop(hold + 60); // setup of 10 000 connections takes seconds, not a minute

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    die("epoll_create1");
  std::vector<int> fds;
  fds.reserve(n);
  size_t echoed = 0, connecting = 0;
  double start = now_s();
  auto open_more = [&] {
    while (fds.size() < n && connecting < max_connecting) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        die("socket");
      if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 &&
          errno != EINPROGRESS)
        die("connect");
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u64 = fds.size();
      epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
      fds.push_back(fd);
      ++connecting;
    }
  };
  open_more();
  epoll_event events[256];
  while (echoed < n) {
    int k = epoll_wait(epfd, events, 256, 10000);
    if (k == 0) {
      std::fprintf(stderr, "idle_loadgen: no progress for 10 s (%zu of %zu echoed)\n", echoed, n);
      return 1;
    }
    for (int i = 0; i < k; ++i) {
      int fd = fds[events[i].data.u64];
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        std::fprintf(stderr, "idle_loadgen: connection %llu failed\n",
                     static_cast<unsigned long long>(events[i].data.u64));
        return 1;
      }
      if (events[i].events & EPOLLOUT) { // connected: send the byte, wait for its echo
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
          die("send");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = events[i].data.u64;
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
      } else if (events[i].events & EPOLLIN) {
        char c;
        if (read(fd, &c, 1) != 1 || c != 'x') {
          std::fprintf(stderr, "idle_loadgen: bad echo\n");
          return 1;
        }
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr); // idle from now on
        ++echoed;
        --connecting;
      }
    }
    open_more();
  }
  std::printf("open=%zu setup_seconds=%.3f\n", n, now_s() - start);
  std::fflush(stdout);
  // Idle: nothing to do but wait (the process exit closes every connection).
  epoll_wait(epfd, events, 1, static_cast<int>(hold * 1000));
  return 0;
}
