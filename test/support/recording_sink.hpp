#pragma once

// An event_sink that records every event as a string, for the direct tests
// of the real sockets, and a bounded loop that polls an engine until a
// condition holds.

#include "pants/channels/event_sink.hpp"
#include "pants/engine/engine.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

namespace pants::test {

/// What a recording_sink saw, in order.
using events = std::vector<std::string>;

/// Records events in order: "connected", "connect_failed:<errno>",
/// "chunk" (bytes go to `data()`), "eof", "packet:<bytes>", "drained",
/// "read_error:<errno>", "write_error:<errno>", "listening", "accepted",
/// "closed". Accepted descriptors are kept and closed on destruction.
/// Safe from any thread (a writer's thread may deliver).
class recording_sink final : public event_sink {
public:
  ~recording_sink() override {
    for (int fd : fds_)
      ::close(fd);
  }

  void deliver(connected_msg) override { add("connected"); }
  void deliver(connect_failed_msg m) override {
    add("connect_failed:" + std::to_string(m.error.code));
    std::lock_guard<std::mutex> guard(mtx_);
    messages_.push_back(m.error.message);
  }
  void deliver(chunk_msg m) override {
    std::lock_guard<std::mutex> guard(mtx_);
    data_ += m.bytes;
    if (events_.empty() || events_.back() != "chunk")
      events_.push_back("chunk"); // consecutive chunks as one: sizes vary
  }
  void deliver(eof_msg) override { add("eof"); }
  void deliver(packet_msg m) override {
    std::lock_guard<std::mutex> guard(mtx_);
    events_.push_back("packet:" + m.bytes);
    senders_.push_back(m.from.to_string());
  }
  void deliver(drained_msg) override { add("drained"); }
  void deliver(read_error_msg m) override { add("read_error:" + std::to_string(m.error.code)); }
  void deliver(write_error_msg m) override { add("write_error:" + std::to_string(m.error.code)); }
  void deliver(listening_msg) override { add("listening"); }
  void deliver(accepted_msg m) override {
    std::lock_guard<std::mutex> guard(mtx_);
    events_.push_back("accepted");
    fds_.push_back(m.fd);
  }
  void deliver(tls_handshake_msg) override { add("tls_handshake"); }
  void deliver(tls_error_msg m) override { add("tls_error " + m.error.message); }
  void deliver(closed_msg) override { add("closed"); }

  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return events_;
  }
  std::size_t count(const std::string& e) const {
    std::lock_guard<std::mutex> guard(mtx_);
    std::size_t n = 0;
    for (auto& x : events_)
      n += x == e;
    return n;
  }
  bool saw(const std::string& e) const { return count(e) > 0; }
  /// The message of each connect_failed_msg, in order.
  std::vector<std::string> messages() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return messages_;
  }
  /// Every chunk's bytes, in order.
  std::string data() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return data_;
  }
  std::size_t data_size() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return data_.size();
  }
  /// Each packet's sender, in order.
  std::vector<std::string> senders() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return senders_;
  }
  /// The accepted descriptors (owned by this sink).
  std::vector<int> accepted_fds() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return fds_;
  }

private:
  void add(std::string e) {
    std::lock_guard<std::mutex> guard(mtx_);
    events_.push_back(std::move(e));
  }

  mutable std::mutex mtx_;
  std::vector<std::string> events_;
  std::vector<std::string> messages_;
  std::string data_;
  std::vector<std::string> senders_;
  std::vector<int> fds_;
};

/// For BOOST_CHECK_EXCEPTION: an exception whose `code()` is `errno_value`.
inline auto has_code(int errno_value) {
  return [errno_value](const auto& e) { return e.code() == errno_value; };
}

/// Polls `eng` (10 ms at most per iteration) until `done()` holds or
/// `limit` has passed; returns whether it held. Calls `step()` (if any)
/// before every iteration, e.g. to let a peer read or write.
inline bool poll_until(engine& eng, const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(3),
                       const std::function<void()>& step = {}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    if (step)
      step();
    eng.poll(std::chrono::milliseconds(10));
  }
  return true;
}

/// Polls `eng` for `n` iterations of at most 1 ms: lets every event that is
/// already due happen, to check that a further one does not.
inline void poll_a_while(engine& eng, int n = 20) {
  for (int i = 0; i < n; ++i)
    eng.poll(std::chrono::milliseconds(1));
}

/// True when `sink` has still seen nothing after `poll_a_while(eng)`.
inline bool stays_silent(engine& eng, const recording_sink& sink) {
  poll_a_while(eng);
  return sink.events().empty();
}

} // namespace pants::test
