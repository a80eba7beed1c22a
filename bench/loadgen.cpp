// loadgen: single-threaded pipelining echo load generator with verification.
//
//   loadgen --port P --connections N --size BYTES --pipeline D --seconds S [--host 127.0.0.1]
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
// total_* cover the whole run including warm-up (run.sh divides server CPU time by them);
// loadgen_cpu_seconds is this process's own user+system time (run.sh uses it to spot noise).
// Exit status: 0 ok; 1 verification/connection errors or no progress; 2 usage or connect
// failure; 3 hard stop (S + 5 s elapsed, e.g. a hung server).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr double warmup_seconds = 0.5;

// Monotonic time in seconds.
double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct options {
  std::string host;
  size_t port = 0, connections = 0, size = 0, pipeline = 0;
  double seconds = 0;
};

[[noreturn]] void usage(const char* what, const std::string& arg = "") {
  std::fprintf(stderr,
               "loadgen: %s%s\nusage: loadgen --port P --connections N --size BYTES --pipeline D "
               "--seconds S [--host 127.0.0.1]\n",
               what, arg.c_str());
  std::exit(2);
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  std::map<std::string, std::string> args{{"--host", "127.0.0.1"}};
  for (int i = 1; i < argc; i += 2)
    args[argv[i]] = i + 1 < argc ? argv[i + 1] : "";
  // Removes option `key` from `args` and returns its value, which must lie in [lo, hi].
  auto take = [&](const std::string& key, double lo, double hi) {
    auto it = args.find(key);
    if (it == args.end())
      usage("missing ", key);
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !(v >= lo && v <= hi))
      usage("bad or out-of-range value for ", key);
    args.erase(it);
    return v;
  };
  auto take_int = [&](const std::string& key, double hi) {
    double v = take(key, 1, hi);
    if (v != static_cast<double>(static_cast<size_t>(v)))
      usage("expected an integer for ", key);
    return static_cast<size_t>(v);
  };
  options o;
  o.host = args["--host"];
  args.erase("--host");
  o.port = take_int("--port", 65535);
  o.connections = take_int("--connections", 100000);
  o.size = take_int("--size", 64 << 20);
  o.pipeline = take_int("--pipeline", 100000);
  o.seconds = take("--seconds", 0.001, 3600);
  if (!args.empty())
    usage("unknown option ", args.begin()->first);
  return o;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Message contents: bytes 0..15 are the connection id and the sequence number (8 bytes each;
// cut short for shorter messages), the rest is pseudo-random filler read from a shared table
// at an offset that also depends on (connection, sequence). Writing and checking are
// memcpy/memcmp, so the generator's core goes to I/O rather than to computing patterns.
class pattern {
public:
  explicit pattern(size_t size) : size_(size), table_(size + 256) {
    for (size_t i = 0; i < table_.size(); ++i)
      table_[i] = static_cast<uint8_t>(splitmix64(i) >> 56);
  }

  // Writes message (conn, seq) to dst[0, size).
  void write(uint64_t conn, uint64_t seq, uint8_t* dst) const {
    uint64_t head[2] = {conn, seq};
    size_t h = std::min(size_, sizeof head);
    std::memcpy(dst, head, h); // native byte order: only this process reads it back
    std::memcpy(dst + h, filler(conn, seq) + h, size_ - h);
  }

  // True if data[0, len) equals bytes [off, off + len) of message (conn, seq).
  bool check(uint64_t conn, uint64_t seq, size_t off, const uint8_t* data, size_t len) const {
    uint64_t head[2] = {conn, seq};
    size_t h = std::min(off + len, sizeof head), i = std::min(off, h);
    if (std::memcmp(data, reinterpret_cast<const uint8_t*>(head) + i, h - i) != 0)
      return false;
    i = std::max(off, h);
    return std::memcmp(data + (i - off), filler(conn, seq) + i, off + len - i) == 0;
  }

private:
  const uint8_t* filler(uint64_t conn, uint64_t seq) const {
    return table_.data() + (splitmix64(conn * 1000003 + seq) & 255);
  }

  size_t size_;
  std::vector<uint8_t> table_;
};

struct connection {
  int fd = -1;
  uint64_t id = 0;
  uint64_t send_seq = 0; // next message to queue
  uint64_t recv_seq = 0; // message currently being received
  size_t recv_off = 0;   // bytes of message recv_seq received so far
  std::vector<uint8_t> out;
  size_t out_off = 0;    // first unsent byte in `out`
  bool want_out = false; // EPOLLOUT currently registered
};

class loadgen {
public:
  explicit loadgen(const options& o) : o_(o), pattern_(o.size) {
    if ((epfd_ = epoll_create1(EPOLL_CLOEXEC)) < 0)
      die("epoll_create1");
  }

  // Opens all connections (blocking connect with a timeout) or exits with status 2.
  void connect_all() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    if (inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr) != 1)
      usage("--host must be an IPv4 address");
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
    const double start = now_s(), warm_end = start + warmup_seconds, end = warm_end + o_.seconds;
    bool measuring = false;
    uint64_t m0 = 0;
    double t0 = start, now = start;
    epoll_event events[512];
    while ((now = now_s()) < end && open_ > 0) {
      if (!measuring && now >= warm_end) {
        measuring = true;
        m0 = completed_;
        t0 = now;
      }
      double wait_ms = ((measuring ? end : warm_end) - now) * 1000;
      int n = epoll_wait(epfd_, events, 512, static_cast<int>(wait_ms) + 1);
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
    if (!measuring) { // every connection failed during warm-up
      m0 = completed_;
      t0 = now;
    }
    uint64_t messages = completed_ - m0;
    double secs = now - t0;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv_s = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + 1e-6 * static_cast<double>(tv.tv_usec);
    };
    std::printf("messages=%llu seconds=%.3f msgs_per_sec=%.1f errors=%llu total_messages=%llu "
                "total_seconds=%.3f loadgen_cpu_seconds=%.3f\n",
                static_cast<unsigned long long>(messages), secs,
                secs > 0 ? static_cast<double>(messages) / secs : 0.0,
                static_cast<unsigned long long>(errors_),
                static_cast<unsigned long long>(completed_), now - start,
                tv_s(ru.ru_utime) + tv_s(ru.ru_stime));
    std::fflush(stdout);
    if (messages == 0 && errors_ == 0)
      std::fprintf(stderr, "loadgen: no messages completed during measurement\n");
    return (errors_ > 0 || messages == 0) ? 1 : 0;
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

  void queue_message(connection& c) {
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
    for (size_t k = 0; k < done; ++k)
      queue_message(c); // keep D messages in flight
    if (done > 0)
      flush(c);
  }

  const options o_;
  const pattern pattern_;
  int epfd_ = -1;
  std::vector<connection> conns_;
  size_t open_ = 0;
  uint64_t completed_ = 0, errors_ = 0;
  uint8_t buf_[64 * 1024];
};

extern "C" void on_alarm(int) {
  const char msg[] = "loadgen: hard stop (seconds + 5 elapsed); server hung?\n";
  ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(3);
}

} // namespace

int main(int argc, char** argv) {
  options o = parse_args(argc, argv);
  // Hard stop: whatever happens (hung connect, stuck server), exit after S + 5 seconds.
  std::signal(SIGALRM, on_alarm);
  alarm(static_cast<unsigned>(std::ceil(o.seconds)) + 5);

  loadgen lg(o);
  lg.connect_all();
  return lg.run(); // the process exit closes the sockets
}
