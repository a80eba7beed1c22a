// raw_epoll_echo: the practical floor for the echo benchmarks.
//
// A hand-written, single-threaded, level-triggered epoll echo server. Usage:
//
//   raw_epoll_echo PORT      (listens on 127.0.0.1:PORT; PORT 0 picks a free port)
//
// Prints "raw_epoll_echo listening on 127.0.0.1:<port>" to stdout once ready and exits
// cleanly on SIGINT/SIGTERM (delivered through a signalfd, so there is no race with
// epoll_wait). Per connection: read up to 64 KiB, write it straight back; if the write is
// partial, the rest goes into a pending buffer and the connection waits for EPOLLOUT (and
// stops reading, which applies backpressure) until the buffer is drained.

#include "server_args.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

constexpr size_t read_chunk = 64 * 1024;

struct connection {
  bool open = false;
  std::vector<char> pending; // bytes read but not yet written back
  size_t pending_off = 0;    // first unsent byte in `pending`
};

class server {
public:
  server(int listen_fd, int signal_fd) : listen_fd_(listen_fd), signal_fd_(signal_fd) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
      bench::die("epoll_create1");
    ctl(EPOLL_CTL_ADD, listen_fd_, EPOLLIN);
    ctl(EPOLL_CTL_ADD, signal_fd_, EPOLLIN);
  }

  // Runs until SIGINT/SIGTERM arrives.
  void run() {
    epoll_event events[256];
    for (;;) {
      int n = epoll_wait(epfd_, events, 256, -1);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        bench::die("epoll_wait");
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == signal_fd_)
          return;
        if (fd == listen_fd_)
          accept_all();
        else if (!conns_[static_cast<size_t>(fd)].pending.empty())
          on_writable(fd); // EPOLLOUT (or EPOLLERR/HUP, which the write then reports)
        else
          on_readable(fd); // EPOLLIN (or EPOLLERR/HUP, which the read then reports)
      }
    }
  }

  ~server() {
    for (size_t fd = 0; fd < conns_.size(); ++fd)
      if (conns_[fd].open)
        ::close(static_cast<int>(fd));
    ::close(epfd_);
  }

private:
  void ctl(int op, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, op, fd, &ev) < 0)
      bench::die("epoll_ctl");
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return;
        if (errno == EINTR || errno == ECONNABORTED)
          continue;
        std::perror("accept4"); // e.g. EMFILE: keep serving existing connections
        return;
      }
      // Echo replies are small; do not let Nagle hold them back behind unacked data.
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto idx = static_cast<size_t>(fd);
      if (idx >= conns_.size())
        conns_.resize(idx + 1);
      conns_[idx] = connection{};
      conns_[idx].open = true;
      ctl(EPOLL_CTL_ADD, fd, EPOLLIN);
    }
  }

  void close_conn(int fd) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_[static_cast<size_t>(fd)] = connection{};
  }

  // Writes as much of [data, data+len) as the socket takes. Returns the number of bytes
  // written, or -1 if the connection failed (the caller then closes it).
  static ssize_t write_some(int fd, const char* data, size_t len) {
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::send(fd, data + done, len - done, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        return -1;
      }
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(done);
  }

  void on_readable(int fd) {
    ssize_t n = ::read(fd, buf_, sizeof buf_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return; // level-triggered: we will be told again
      close_conn(fd);
      return;
    }
    if (n == 0) {
      close_conn(fd);
      return;
    }
    auto len = static_cast<size_t>(n);
    ssize_t w = write_some(fd, buf_, len);
    if (w < 0) {
      close_conn(fd);
      return;
    }
    auto written = static_cast<size_t>(w);
    if (written < len) {
      // Partial write: park the rest and switch interest to EPOLLOUT only.
      auto& c = conns_[static_cast<size_t>(fd)];
      c.pending.assign(buf_ + written, buf_ + len);
      c.pending_off = 0;
      ctl(EPOLL_CTL_MOD, fd, EPOLLOUT);
    }
  }

  void on_writable(int fd) {
    auto& c = conns_[static_cast<size_t>(fd)];
    ssize_t w = write_some(fd, c.pending.data() + c.pending_off, c.pending.size() - c.pending_off);
    if (w < 0) {
      close_conn(fd);
      return;
    }
    c.pending_off += static_cast<size_t>(w);
    if (c.pending_off == c.pending.size()) {
      c.pending.clear();
      c.pending_off = 0;
      ctl(EPOLL_CTL_MOD, fd, EPOLLIN); // drained: resume reading
    }
  }

  int listen_fd_;
  int signal_fd_;
  int epfd_ = -1;
  std::vector<connection> conns_; // indexed by fd
  char buf_[read_chunk];
};

} // namespace

int main(int argc, char** argv) {
  int port = bench::port_argument(argc, argv);

  int sfd = bench::stop_signal_fd(); // SIGINT/SIGTERM, watched by the loop
  signal(SIGPIPE, SIG_IGN);

  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0)
    bench::die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    bench::die("bind");
  if (listen(lfd, SOMAXCONN) < 0)
    bench::die("listen");
  socklen_t alen = sizeof addr;
  if (getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen) < 0)
    bench::die("getsockname");

  {
    server srv(lfd, sfd);
    std::printf("raw_epoll_echo listening on 127.0.0.1:%u\n", unsigned{ntohs(addr.sin_port)});
    std::fflush(stdout);
    srv.run();
  }
  ::close(lfd);
  ::close(sfd);
  return 0;
}
