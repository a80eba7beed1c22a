#pragma once

// Test helpers: a blocking client with bounded waits, an engine
// running on its own thread, and a thread-safe event log to wait on.

#include "pants/channels/address.hpp"
#include "pants/engine/engine.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <functional>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pants::test {

using namespace std::chrono_literals;

/// Every wait in the suite is bounded by this.
constexpr auto patience = 10s;

/// CPU time used by the whole process so far, for tests that check a
/// window of waiting costs next to no CPU (a measurement, not a wait).
inline double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Runs `eng.start()` on a thread, returning once the loop is up;
/// stops and joins on destruction.
class engine_thread {
public:
  explicit engine_thread(engine& eng) : eng_(eng) {
    std::promise<void> up;
    auto ready = up.get_future();
    eng_.post([&up] { up.set_value(); }); // runs in the first iteration
    thread_ = std::thread([this] {
      eng_.start();
      returned_ = true;
    });
    if (ready.wait_for(patience) != std::future_status::ready)
      throw std::runtime_error("engine did not start");
  }
  /// Stops the engine unless its start() returned already (a stop is kept
  /// for the next start() otherwise), and joins.
  ~engine_thread() {
    if (!returned_)
      eng_.stop();
    thread_.join();
  }

  /// Waits (bounded) until start() has returned, after a stop the test made.
  bool wait_returned() {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (!returned_)
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      else
        std::this_thread::yield();
    return true;
  }

  /// Runs `f` in the engine thread and returns its result (bounded wait).
  template <class F> auto call(F f) -> decltype(f()) {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    eng_.post([task] { (*task)(); });
    if (result.wait_for(patience) != std::future_status::ready)
      throw std::runtime_error("engine did not answer");
    return result.get();
  }

  /// Waits (bounded) until no descriptor is registered with the engine:
  /// every channel closed. Returns whether that happened.
  bool wait_no_handles() {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < deadline)
      if (call([this] { return eng_.size(); }) == 0)
        return true;
    return false;
  }
  engine_thread(const engine_thread&) = delete;
  engine_thread& operator=(const engine_thread&) = delete;

private:
  engine& eng_;
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

/// Thread-safe log of strings that tests wait on.
/// How many of `events` start with `prefix`.
inline std::size_t count_prefix(const std::vector<std::string>& events, const std::string& prefix) {
  std::size_t n = 0;
  for (auto& e : events)
    n += e.compare(0, prefix.size(), prefix) == 0;
  return n;
}

class event_log {
public:
  void add(std::string e) {
    // Notify under the lock: a waiter woken by the last event may destroy
    // the log as soon as it can take the lock.
    std::lock_guard<std::mutex> guard(m_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }

  /// Waits (bounded) until `pred(events)` holds; returns whether it did.
  bool wait(const std::function<bool(const std::vector<std::string>&)>& pred,
            std::chrono::milliseconds limit = patience) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, limit, [&] { return pred(events_); });
  }

  /// Waits until `e` has been logged `n` times.
  bool wait_count(const std::string& e, std::size_t n = 1) {
    return wait([&](const auto& v) { return count_locked(v, e) >= n; });
  }

  std::size_t count(const std::string& e) {
    std::lock_guard<std::mutex> guard(m_);
    return count_locked(events_, e);
  }

  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> guard(m_);
    return events_;
  }

private:
  static std::size_t count_locked(const std::vector<std::string>& v, const std::string& e) {
    std::size_t n = 0;
    for (auto& x : v)
      n += x == e;
    return n;
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

/// A blocking client stream socket, every call bounded.
class blocking_client {
public:
  /// Connects to `where`: 127.0.0.1, [::1] or a Unix socket address.
  explicit blocking_client(const endpoint& where) {
    fd_ = ::socket(where.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error("socket failed");
    timeval tv{static_cast<time_t>(std::chrono::seconds(patience).count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd_, where.data(), where.size()) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  /// Connects to `port` on the IPv4 (or IPv6) loopback host.
  explicit blocking_client(std::uint16_t port, bool ipv6 = false)
      : blocking_client(endpoint::numeric(ipv6 ? "::1" : "127.0.0.1", port)) {}
  ~blocking_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  blocking_client(const blocking_client&) = delete;
  blocking_client& operator=(const blocking_client&) = delete;

  int fd() const { return fd_; }

  void send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        throw std::runtime_error("send failed");
      done += static_cast<std::size_t>(n);
    }
  }

  /// Reads exactly `n` bytes; fewer if the peer closes or the wait times out.
  std::string recv_exactly(std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      auto want = std::min(sizeof buf, n - out.size());
      auto got = ::recv(fd_, buf, want, 0);
      if (got <= 0)
        break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }

  /// Reads until the peer closes (or the wait times out).
  std::string recv_all() {
    std::string out;
    char buf[65536];
    for (;;) {
      auto got = ::recv(fd_, buf, sizeof buf, 0);
      if (got <= 0)
        break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }

  /// True when the peer has closed: recv returns 0 (or a reset) in time.
  bool peer_closed() {
    char c;
    auto got = ::recv(fd_, &c, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  /// Closes abortively: a TCP socket with a reset (SO_LINGER 0) instead of
  /// an orderly FIN; a Unix one simply closes (its peer sees ECONNRESET
  /// only if data it sent was left unread here, else EOF).
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

} // namespace pants::test
