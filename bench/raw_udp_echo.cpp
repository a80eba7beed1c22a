// raw_udp_echo: the practical floor for the UDP echo benchmark.
//
//   raw_udp_echo PORT [--mmsg]     (PORT 0 picks a free port)
//
// A hand-written, single-threaded, level-triggered epoll UDP echo server on one non-blocking
// socket bound to [::]:PORT with IPV6_V6ONLY off, so it serves IPv4 (as ::ffff:a.b.c.d) and
// IPv6 on all interfaces, like examples/udp_echo. Prints "raw_udp_echo listening on
// [::]:<port>" once ready and exits cleanly on SIGINT/SIGTERM (through a signalfd).
//
// Default: one recvfrom and one sendto per datagram, the same system calls per datagram as
// Boost.Asio's async_receive_from/async_send_to and a channel that delivers datagrams one by
// one, so the benchmark compares the work around those calls. --mmsg batches up to 64
// datagrams per recvmmsg/sendmmsg instead: a lower floor, for seeing what batching would buy.
// Each wake-up echoes at most 64 datagrams before going back to epoll_wait, so a signal is
// seen even under load. A reply the kernel refuses (send buffer full) is dropped, as UDP may.

#include "server_args.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr unsigned batch = 64;         // datagrams per wake-up
constexpr size_t max_datagram = 65536; // larger than any UDP payload

bool transient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ENOBUFS;
}

// One recvfrom + sendto per datagram.
class single_echo {
public:
  explicit single_echo(int fd) : fd_(fd), buf_(max_datagram) {}

  void on_readable() {
    for (unsigned i = 0; i < batch; ++i) {
      sockaddr_in6 from{};
      socklen_t from_len = sizeof from;
      ssize_t n =
          recvfrom(fd_, buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) {
        if (!transient(errno))
          std::perror("recvfrom");
        return;
      }
      if (sendto(fd_, buf_.data(), static_cast<size_t>(n), 0,
                 reinterpret_cast<const sockaddr*>(&from), from_len) < 0 &&
          !transient(errno))
        std::perror("sendto");
    }
  }

private:
  int fd_;
  std::vector<char> buf_;
};

// Up to `batch` datagrams per recvmmsg, echoed with one sendmmsg.
class batched_echo {
public:
  explicit batched_echo(int fd)
      : fd_(fd), bufs_(batch * max_datagram), iovs_(batch), peers_(batch), msgs_(batch) {}

  void on_readable() {
    for (unsigned i = 0; i < batch; ++i) {
      iovs_[i] = {&bufs_[i * max_datagram], max_datagram};
      msgs_[i].msg_hdr = msghdr{};
      msgs_[i].msg_hdr.msg_name = &peers_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof peers_[i];
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd_, msgs_.data(), batch, 0, nullptr);
    if (n < 0) {
      if (!transient(errno))
        std::perror("recvmmsg");
      return;
    }
    for (int i = 0; i < n; ++i) // reply with exactly what came in, to where it came from
      iovs_[static_cast<size_t>(i)].iov_len = msgs_[static_cast<size_t>(i)].msg_len;
    for (int sent = 0; sent < n;) {
      int k = sendmmsg(fd_, msgs_.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (k < 0) {
        if (!transient(errno))
          std::perror("sendmmsg");
        return; // drop the rest of the batch
      }
      sent += k;
    }
  }

private:
  int fd_;
  std::vector<char> bufs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_in6> peers_;
  std::vector<mmsghdr> msgs_;
};

// Runs `echo` on every readable event of `fd` until `signal_fd` becomes readable.
template <class Echo> void serve(int fd, int signal_fd) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    bench::die("epoll_create1");
  for (int watched : {fd, signal_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = watched;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, watched, &ev) < 0)
      bench::die("epoll_ctl");
  }
  Echo echo(fd);
  epoll_event events[2];
  for (;;) {
    int n = epoll_wait(epfd, events, 2, -1);
    if (n < 0 && errno != EINTR)
      bench::die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == signal_fd) {
        ::close(epfd);
        return;
      }
      echo.on_readable();
    }
  }
}

// A non-blocking dual-stack UDP socket bound to [::]:port.
int open_socket(int port, unsigned* bound_port) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    bench::die("socket");
  int off = 0;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
    bench::die("setsockopt(IPV6_V6ONLY)");
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  addr.sin6_addr = in6addr_any;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    bench::die("bind");
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    bench::die("getsockname");
  *bound_port = ntohs(addr.sin6_port);
  return fd;
}

} // namespace

int main(int argc, char** argv) {
  bool mmsg = argc == 3 && std::strcmp(argv[2], "--mmsg") == 0;
  if (argc != 2 && !mmsg) {
    std::fprintf(stderr, "usage: %s PORT [--mmsg]\n", argv[0]);
    return 2;
  }
  int port = bench::parse_port(argv[1]);

  int sfd = bench::stop_signal_fd(); // SIGINT/SIGTERM, watched by the loop

  unsigned bound_port = 0;
  int fd = open_socket(port, &bound_port);
  std::printf("raw_udp_echo listening on [::]:%u%s\n", bound_port, mmsg ? " (recvmmsg)" : "");
  std::fflush(stdout);
  if (mmsg)
    serve<batched_echo>(fd, sfd);
  else
    serve<single_echo>(fd, sfd);
  ::close(fd);
  ::close(sfd);
  return 0;
}
