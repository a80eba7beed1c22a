// loadgen: single-threaded pipelining echo load generator with verification.
//
//   loadgen --port P --connections N --size BYTES --pipeline D --seconds S [--host 127.0.0.1]
//           [--latency 1]
//
// Opens N connections; each keeps D messages of BYTES bytes in flight: it sends D messages
// up front and one more whenever a full message's worth of echoed bytes has come back. Every
// echoed byte is checked against what was sent (contents depend on the connection and the
// message's sequence number, see `pattern`). After a 0.5 s warm-up it counts completed
// messages for S seconds and prints one line:
//
//   messages=<n> seconds=<s> msgs_per_sec=<x> errors=<e> total_messages=<t> total_seconds=<u>
//   loadgen_cpu_seconds=<c>        (all on one line)
//
// With --latency 1 (pipeline 1 only) the line also has p50_us=, p99_us= (round-trip times of
// the messages completed during the measurement) and first_all_ms= (from the first sends until
// every connection had its first echo back: how long the last of N fresh clients waited).
// total_* cover the whole run including warm-up (run.sh divides server CPU time by them);
// loadgen_cpu_seconds is this process's own user+system time (run.sh uses it to spot noise).
// Exit status: 0 ok; 1 verification/connection errors or no progress; 2 usage or connect
// failure; 3 hard stop (S + 5 s elapsed, e.g. a hung server).

#include "loadgen_common.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace bench;

struct connection {
  int fd = -1;
  uint64_t id = 0;
  uint64_t send_seq = 0; // next message to queue
  uint64_t recv_seq = 0; // message currently being received
  size_t recv_off = 0;   // bytes of message recv_seq received so far
  std::vector<uint8_t> out;
  size_t out_off = 0;    // first unsent byte in `out`
  bool want_out = false; // EPOLLOUT currently registered
  double sent_at = 0;    // --latency: when the message in flight was queued
};

class loadgen {
public:
  loadgen(const options& o, bool latency) : o_(o), latency_(latency), pattern_(o.size) {
    if ((epfd_ = epoll_create1(EPOLL_CLOEXEC)) < 0)
      die("epoll_create1");
  }

  // Opens all connections (blocking connect with a timeout) or exits with status 2.
  void connect_all() {
    sockaddr_in addr = o_.addr;
    conns_.resize(o_.connections);
    for (size_t i = 0; i < conns_.size(); ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0)
        die("socket");
      timeval tv{2, 0}; // on Linux SO_SNDTIMEO also bounds connect()
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        const char* why = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
        std::fprintf(stderr, "loadgen: connect %s:%zu (connection %zu): %s\n", o_.host.c_str(),
                     o_.port, i, why);
        std::exit(2);
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        die("fcntl(O_NONBLOCK)");
      conns_[i].fd = fd;
      conns_[i].id = i;
      set_events(conns_[i], EPOLL_CTL_ADD, EPOLLIN);
    }
    open_ = conns_.size();
  }

  // Runs warm-up + measurement and prints the result line. Returns the exit status.
  int run() {
    for (auto& c : conns_) {
      for (size_t k = 0; k < o_.pipeline; ++k)
        queue_message(c);
      flush(c);
    }
    measurement m(o_.seconds);
    start_ = now_s();
    epoll_event events[512];
    while (m.tick(now_s(), completed_) && open_ > 0) {
      measuring_ = m.measuring();
      int n = epoll_wait(epfd_, events, 512, m.wait_ms(1 << 30));
      if (n < 0 && errno != EINTR)
        die("epoll_wait");
      for (int i = 0; i < n; ++i) {
        auto& c = conns_[events[i].data.u64];
        if (c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
          on_readable(c);
        if (c.fd >= 0 && (events[i].events & EPOLLOUT)) // fd < 0: failed in this batch
          flush(c);
      }
    }
    return m.report(completed_, errors_, latency_ ? latency_report() : "");
  }

private:
  void set_events(const connection& c, int op, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epfd_, op, c.fd, &ev);
  }

  void fail(connection& c, const char* what) {
    if (errors_++ < 5)
      std::fprintf(stderr, "loadgen: connection %llu: %s\n", static_cast<unsigned long long>(c.id),
                   what);
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    --open_;
  }

  // " p50_us=... p99_us=... first_all_ms=..." for the result line.
  std::string latency_report() {
    auto at = [this](double q) {
      if (rtts_.empty())
        return 0.0;
      auto k = static_cast<size_t>(q * static_cast<double>(rtts_.size() - 1));
      std::nth_element(rtts_.begin(), rtts_.begin() + static_cast<std::ptrdiff_t>(k), rtts_.end());
      return rtts_[k] * 1e6;
    };
    char out[128];
    std::snprintf(out, sizeof out, " p50_us=%.1f p99_us=%.1f first_all_ms=%.1f", at(0.50), at(0.99),
                  first_answered_ == conns_.size() ? first_all_ * 1e3 : -1.0);
    return out;
  }

  void queue_message(connection& c) {
    if (latency_)
      c.sent_at = now_s();
    size_t base = c.out.size();
    c.out.resize(base + o_.size);
    pattern_.write(c.id, c.send_seq++, c.out.data() + base);
  }

  // Sends as much of the output buffer as the socket accepts; waits for EPOLLOUT if needed.
  void flush(connection& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        return fail(c, std::strerror(errno));
      c.out_off += static_cast<size_t>(n);
    }
    // Drop the sent prefix (everything, usually; at most D messages are ever unsent).
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_off));
    c.out_off = 0;
    if (c.want_out != !c.out.empty()) {
      c.want_out = !c.out.empty();
      set_events(c, EPOLL_CTL_MOD, c.want_out ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
    }
  }

  void on_readable(connection& c) {
    ssize_t n = ::read(c.fd, buf_, sizeof buf_);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    if (n <= 0)
      return fail(c, n == 0 ? "server closed the connection" : std::strerror(errno));
    size_t len = static_cast<size_t>(n), pos = 0, done = 0;
    while (pos < len) {
      if (c.recv_seq == c.send_seq)
        return fail(c, "received more bytes than were sent");
      size_t take = std::min(len - pos, o_.size - c.recv_off);
      if (!pattern_.check(c.id, c.recv_seq, c.recv_off, buf_ + pos, take)) {
        char msg[128];
        std::snprintf(msg, sizeof msg, "echo mismatch in message %llu, bytes %zu..%zu",
                      static_cast<unsigned long long>(c.recv_seq), c.recv_off,
                      c.recv_off + take - 1);
        return fail(c, msg);
      }
      pos += take;
      c.recv_off += take;
      if (c.recv_off == o_.size) {
        c.recv_off = 0;
        ++c.recv_seq;
        ++done;
      }
    }
    completed_ += done;
    if (latency_ && done > 0) {
      double t = now_s();
      if (c.recv_seq == 1 && ++first_answered_ == conns_.size())
        first_all_ = t - start_;
      if (measuring_)
        rtts_.push_back(t - c.sent_at);
    }
    for (size_t k = 0; k < done; ++k)
      queue_message(c); // keep D messages in flight
    if (done > 0)
      flush(c);
  }

  const options o_;
  const bool latency_;
  const pattern pattern_;
  double start_ = 0, first_all_ = 0;
  size_t first_answered_ = 0;
  bool measuring_ = false;
  std::vector<double> rtts_; // seconds, messages completed during the measurement
  int epfd_ = -1;
  std::vector<connection> conns_;
  size_t open_ = 0;
  uint64_t completed_ = 0, errors_ = 0;
  uint8_t buf_[64 * 1024];
};

} // namespace

int main(int argc, char** argv) {
  arg_parser args(argc, argv,
                  "loadgen --port P --connections N --size BYTES --pipeline D --seconds S "
                  "[--host 127.0.0.1] [--latency 1]");
  options o = take_options(args, 1, 64 << 20);
  bool latency = args.take("--latency", 0, 1, 0) == 1;
  if (latency && o.pipeline != 1)
    args.fail("--latency needs --pipeline 1");
  args.finish();
  arm_hard_stop(o.seconds);

  loadgen lg(o, latency);
  lg.connect_all();
  return lg.run(); // the process exit closes the sockets
}
