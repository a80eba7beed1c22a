// loadgen_common.hpp: what the TCP and UDP load generators (loadgen.cpp, udp_loadgen.cpp)
// share: "--key value" option parsing, message contents, the warm-up/measurement clock, the
// result line and the hard stop.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
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

namespace bench {

constexpr double warmup_seconds = 0.5;

// Monotonic time in seconds.
inline double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Reports a failed system call and exits with status 2 (setup failure).
[[noreturn]] inline void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

// "--key value" command-line options. Every error prints `usage` and exits with status 2.
class arg_parser {
public:
  arg_parser(int argc, char** argv, std::string usage) : usage_(std::move(usage)) {
    for (int i = 1; i < argc; i += 2)
      args_[argv[i]] = i + 1 < argc ? argv[i + 1] : "";
  }

  [[noreturn]] void fail(const char* what, const std::string& arg = "") const {
    std::string name = usage_.substr(0, usage_.find(' '));
    std::fprintf(stderr, "%s: %s%s\nusage: %s\n", name.c_str(), what, arg.c_str(), usage_.c_str());
    std::exit(2);
  }

  // Removes option `key` and returns its value (or `fallback` if absent and fallback is not
  // NaN); the value must lie in [lo, hi].
  double take(const std::string& key, double lo, double hi, double fallback = std::nan("")) {
    auto it = args_.find(key);
    if (it == args_.end()) {
      if (std::isnan(fallback))
        fail("missing ", key);
      return fallback;
    }
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !(v >= lo && v <= hi))
      fail("bad or out-of-range value for ", key);
    args_.erase(it);
    return v;
  }

  // Like take() for a required integer in [lo, hi].
  size_t take_int(const std::string& key, double lo, double hi) {
    double v = take(key, lo, hi);
    if (v != static_cast<double>(static_cast<size_t>(v)))
      fail("expected an integer for ", key);
    return static_cast<size_t>(v);
  }

  std::string take_string(const std::string& key, const std::string& fallback) {
    auto it = args_.find(key);
    if (it == args_.end())
      return fallback;
    std::string v = it->second;
    args_.erase(it);
    return v;
  }

  // Fails if any option was not taken.
  void finish() const {
    if (!args_.empty())
      fail("unknown option ", args_.begin()->first);
  }

private:
  std::string usage_;
  std::map<std::string, std::string> args_;
};

// The options both load generators take. `connections` and `pipeline` are TCP connections and
// messages in flight per connection, or UDP sockets and datagrams in flight per socket.
struct options {
  std::string host;
  sockaddr_in addr{}; // host:port
  size_t port = 0, connections = 0, size = 0, pipeline = 0;
  double seconds = 0;
};

inline options take_options(arg_parser& args, size_t min_size, size_t max_size) {
  options o;
  o.host = args.take_string("--host", "127.0.0.1");
  o.port = args.take_int("--port", 1, 65535);
  o.connections = args.take_int("--connections", 1, 100000);
  o.size = args.take_int("--size", static_cast<double>(min_size), static_cast<double>(max_size));
  o.pipeline = args.take_int("--pipeline", 1, 100000);
  o.seconds = args.take("--seconds", 0.001, 3600);
  o.addr.sin_family = AF_INET;
  o.addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &o.addr.sin_addr) != 1)
    args.fail("--host must be an IPv4 address");
  return o;
}

inline uint64_t splitmix64(uint64_t x) {
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
  static constexpr size_t header_size = 16;

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

// The run's clock: a warm-up of warmup_seconds, then `seconds` of measurement.
class measurement {
public:
  explicit measurement(double seconds)
      : start_(now_s()), warm_end_(start_ + warmup_seconds), end_(warm_end_ + seconds) {}

  // Advances to `now`, given the number of messages completed so far. Returns false once the
  // measurement is over.
  bool tick(double now, uint64_t completed) {
    now_ = now;
    if (!measuring_ && now >= warm_end_) {
      measuring_ = true;
      m0_ = completed;
      t0_ = now;
    }
    return now < end_;
  }

  // True once the warm-up is over.
  bool measuring() const { return measuring_; }

  // Milliseconds until the next phase change (end of warm-up or of the run), at most `cap`.
  int wait_ms(int cap) const {
    double ms = ((measuring_ ? end_ : warm_end_) - now_) * 1000;
    return static_cast<int>(std::min(ms, static_cast<double>(cap))) + 1;
  }

  // Prints the result line (with `extra`, e.g. " lost=3", after errors=) and returns the exit
  // status: 1 on errors or if nothing completed during the measurement, else 0.
  int report(uint64_t completed, uint64_t errors, const std::string& extra) {
    if (!measuring_) { // everything failed during the warm-up
      m0_ = completed;
      t0_ = now_;
    }
    uint64_t messages = completed - m0_;
    double secs = now_ - t0_;
    std::printf("messages=%llu seconds=%.3f msgs_per_sec=%.1f errors=%llu%s total_messages=%llu "
                "total_seconds=%.3f loadgen_cpu_seconds=%.3f\n",
                static_cast<unsigned long long>(messages), secs,
                secs > 0 ? static_cast<double>(messages) / secs : 0.0,
                static_cast<unsigned long long>(errors), extra.c_str(),
                static_cast<unsigned long long>(completed), now_ - start_, cpu_seconds());
    std::fflush(stdout);
    if (messages == 0 && errors == 0)
      std::fprintf(stderr, "loadgen: no messages completed during measurement\n");
    return (errors > 0 || messages == 0) ? 1 : 0;
  }

private:
  // This process's user + system CPU time.
  static double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto tv_s = [](const timeval& tv) {
      return static_cast<double>(tv.tv_sec) + 1e-6 * static_cast<double>(tv.tv_usec);
    };
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
  }

  const double start_, warm_end_, end_;
  double now_ = start_, t0_ = start_;
  bool measuring_ = false;
  uint64_t m0_ = 0;
};

extern "C" inline void on_hard_stop(int) {
  const char msg[] = "loadgen: hard stop (seconds + 5 elapsed); server hung?\n";
  ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(3);
}

// Whatever happens (hung connect, stuck server), exit with status 3 after seconds + 5.
inline void arm_hard_stop(double seconds) {
  std::signal(SIGALRM, on_hard_stop);
  alarm(static_cast<unsigned>(std::ceil(seconds)) + 5);
}

} // namespace bench
