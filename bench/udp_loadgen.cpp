// udp_loadgen: single-threaded windowed UDP echo load generator with verification.
//
//   udp_loadgen --port P --connections N --size BYTES --pipeline W --seconds S
//               [--timeout-ms 100] [--host 127.0.0.1]
//
// Opens N UDP sockets, each connect()ed to host:port, and keeps W datagrams of BYTES bytes
// (16 to 65507) in flight on each: it sends W up front and one more for every echo that comes
// back. A datagram carries its socket id and sequence number in its first 16 bytes and a
// filler that depends on both (see bench::pattern); every echo must have the right length
// and exactly the contents of a datagram this socket sent. UDP may drop datagrams: one whose
// echo has not come back within --timeout-ms (checked every 10 ms, after reading whatever the
// socket holds) counts as lost and is replaced by a new one, so the window stays full and a
// run never stalls. An echo that arrives after its datagram was counted lost (or twice) is
// counted as late and ignored: lost == late means delays (e.g. a descheduled server), not
// drops.
// After a 0.5 s warm-up it counts echoes for S seconds and prints one line:
//
//   messages=<n> seconds=<s> msgs_per_sec=<x> errors=<e> lost=<l> late=<k> total_messages=<t>
//   total_seconds=<u> loadgen_cpu_seconds=<c>        (all on one line)
//
// lost, late and total_* cover the whole run including warm-up (run.sh divides server CPU
// time by total_messages); loadgen_cpu_seconds is this process's own user+system time.
// Exit status: 0 ok; 1 a wrong echo, a socket error (e.g. ECONNREFUSED: nothing listens) or
// no echo during the measurement; 2 usage or socket setup failure; 3 hard stop (S + 5 s).

#include "loadgen_common.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace bench;

constexpr size_t max_udp_payload = 65507; // IPv4: 65535 - 20 (IP header) - 8 (UDP header)
constexpr int timeout_scan_ms = 10;       // how often sockets are checked for a timeout

struct outstanding {
  uint64_t seq;
  double sent_at;
};

struct udp_socket {
  int fd = -1;
  uint64_t id = 0;
  uint64_t send_seq = 0;             // next datagram to send
  std::vector<outstanding> inflight; // neither echoed nor lost, oldest first (at most W)
};

class udp_loadgen {
public:
  udp_loadgen(const options& o, double timeout_s)
      : o_(o), timeout_s_(timeout_s), pattern_(o.size), out_(o.size) {
    if ((epfd_ = epoll_create1(EPOLL_CLOEXEC)) < 0)
      die("epoll_create1");
  }

  // Opens and connects all sockets or exits with status 2.
  void open_all() {
    socks_.resize(o_.connections);
    for (size_t i = 0; i < socks_.size(); ++i) {
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        die("socket");
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&o_.addr), sizeof o_.addr) < 0)
        die("connect");
      socks_[i].fd = fd;
      socks_[i].id = i;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl");
    }
    open_ = socks_.size();
  }

  // Runs warm-up + measurement and prints the result line. Returns the exit status.
  int run() {
    for (auto& s : socks_)
      for (size_t k = 0; k < o_.pipeline && s.fd >= 0; ++k)
        send_next(s, now_s());
    measurement m(o_.seconds);
    double now = now_s();
    double next_scan = now + timeout_scan_ms / 1000.0;
    epoll_event events[512];
    while (m.tick(now = now_s(), completed_) && open_ > 0) {
      if (now >= next_scan) {
        for (auto& s : socks_)
          expire(s, now);
        next_scan = now + timeout_scan_ms / 1000.0;
      }
      int n = epoll_wait(epfd_, events, 512, m.wait_ms(timeout_scan_ms));
      if (n < 0 && errno != EINTR)
        die("epoll_wait");
      for (int i = 0; i < n; ++i)
        if (socks_[events[i].data.u64].fd >= 0)
          on_readable(socks_[events[i].data.u64]);
    }
    return m.report(completed_, errors_,
                    " lost=" + std::to_string(lost_) + " late=" + std::to_string(late_));
  }

private:
  void fail(udp_socket& s, const char* what) {
    if (errors_++ < 5)
      std::fprintf(stderr, "udp_loadgen: socket %llu: %s\n", static_cast<unsigned long long>(s.id),
                   what);
    epoll_ctl(epfd_, EPOLL_CTL_DEL, s.fd, nullptr);
    ::close(s.fd);
    s.fd = -1;
    --open_;
  }

  // Counts the datagrams sent more than the timeout before `now` as lost and replaces them.
  void expire(udp_socket& s, double now) {
    auto expired = [&](const outstanding& d) { return now - d.sent_at > timeout_s_; };
    if (s.fd < 0 || s.inflight.empty() || !expired(s.inflight.front()))
      return;
    // Take what has arrived first: if this process was not scheduled for a while, the
    // echoes may be waiting in the socket, and they are not lost.
    on_readable(s);
    if (s.fd < 0)
      return;
    auto old = std::find_if(s.inflight.begin(), s.inflight.end(),
                            [&](const outstanding& d) { return !expired(d); });
    auto n = static_cast<size_t>(old - s.inflight.begin());
    s.inflight.erase(s.inflight.begin(), old);
    lost_ += n;
    for (size_t k = 0; k < n && s.fd >= 0; ++k)
      send_next(s, now);
  }

  // Sends datagram s.send_seq. One the kernel refuses for lack of buffer space (EAGAIN,
  // ENOBUFS) stays in flight and is counted lost at the timeout, like one dropped later.
  void send_next(udp_socket& s, double now) {
    pattern_.write(s.id, s.send_seq, out_.data());
    s.inflight.push_back({s.send_seq++, now});
    ssize_t n;
    do
      n = ::send(s.fd, out_.data(), out_.size(), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
      fail(s, std::strerror(errno));
  }

  // Receives every echo queued on the socket.
  void on_readable(udp_socket& s) {
    while (s.fd >= 0) {
      ssize_t n = ::recv(s.fd, buf_, sizeof buf_, MSG_TRUNC);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n < 0)
        return fail(s, std::strerror(errno)); // e.g. ECONNREFUSED: nothing listens
      on_echo(s, static_cast<size_t>(n));
    }
  }

  void on_echo(udp_socket& s, size_t len) {
    if (len != o_.size) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "echo of %zu bytes, expected %zu", len, o_.size);
      return fail(s, msg);
    }
    uint64_t seq;
    std::memcpy(&seq, buf_ + 8, sizeof seq);
    if (seq >= s.send_seq || !pattern_.check(s.id, seq, 0, buf_, len))
      return fail(s, "echo differs from every datagram this socket sent");
    auto it = std::find_if(s.inflight.begin(), s.inflight.end(),
                           [&](const outstanding& d) { return d.seq == seq; });
    if (it == s.inflight.end()) {
      ++late_; // already counted lost, or a duplicate
      return;
    }
    s.inflight.erase(it);
    ++completed_;
    send_next(s, now_s()); // keep W datagrams in flight
  }

  const options o_;
  const double timeout_s_;
  const pattern pattern_;
  std::vector<uint8_t> out_;
  int epfd_ = -1;
  std::vector<udp_socket> socks_;
  size_t open_ = 0;
  uint64_t completed_ = 0, errors_ = 0, lost_ = 0, late_ = 0;
  uint8_t buf_[max_udp_payload + 1];
};

} // namespace

int main(int argc, char** argv) {
  arg_parser args(argc, argv,
                  "udp_loadgen --port P --connections N --size BYTES --pipeline W --seconds S "
                  "[--timeout-ms 100] [--host 127.0.0.1]");
  options o = take_options(args, pattern::header_size, max_udp_payload);
  double timeout_ms = args.take("--timeout-ms", 1, 60000, 100);
  args.finish();
  arm_hard_stop(o.seconds);

  udp_loadgen lg(o, timeout_ms / 1000);
  lg.open_all();
  return lg.run(); // the process exit closes the sockets
}
