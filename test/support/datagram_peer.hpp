#pragma once

// Test helpers for datagram suites: a datagram channel that logs every
// callback, and a plain blocking datagram socket to play the peer.

#include "pants/actors/datagram.hpp"
#include "pants/channels/address.hpp"
#include "support/loopback.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace pants::test {

/// A datagram channel that logs "listen", "read:<data>", "write",
/// "overflow:<from>", "read_error:<what>", "write_error:<what>", "close",
/// "error:<what>", and keeps every datagram with its sender. Hooks run in
/// the channel's actor; set them before the channel starts.
class datagram_recorder : public datagram {
public:
  datagram_recorder(event_log& log, pants::engine& eng) : datagram(eng), log_(log) {}

  std::function<void(datagram_recorder&, std::string_view, const endpoint&)> read_hook;

  /// Makes this channel an echo: every datagram goes back to its sender.
  void echo_back() {
    read_hook = [](datagram_recorder& self, std::string_view data, const endpoint& from) {
      self.write(data, from);
    };
  }

  /// Every datagram (or frame) received so far, with its sender.
  std::vector<std::pair<std::string, endpoint>> received() {
    std::lock_guard<std::mutex> guard(mtx_);
    return received_;
  }

protected:
  void on_listen() override { log_.add("listen"); }
  void on_read(std::string_view data, const endpoint& from) override {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      received_.emplace_back(std::string(data), from);
    }
    log_.add("read:" + std::string(data));
    if (read_hook)
      read_hook(*this, data, from);
  }
  void on_write() override { log_.add("write"); }
  void on_overflow_error(const net_error&, const endpoint& from) override {
    log_.add("overflow:" + from.to_string());
  }
  void on_read_error(const net_error& e) override { log_.add("read_error:" + e.message); }
  void on_write_error(const net_error& e) override { log_.add("write_error:" + e.message); }
  void on_close() override { log_.add("close"); }
  void on_error(const std::exception& e) override { log_.add(std::string("error:") + e.what()); }

private:
  event_log& log_;
  std::mutex mtx_;
  std::vector<std::pair<std::string, endpoint>> received_;
};

/// A blocking datagram socket bound to `where` (port 0, a path, or an
/// @name), every receive bounded by `patience`.
class datagram_peer {
public:
  explicit datagram_peer(const endpoint& where) {
    fd_ = ::socket(where.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::bind(fd_, where.data(), where.size()) != 0)
      throw std::runtime_error("cannot bind a datagram peer to " + where.to_string());
    timeval tv{static_cast<time_t>(std::chrono::seconds(patience).count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    address_ = endpoint::local_of(fd_);
  }
  ~datagram_peer() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  datagram_peer(const datagram_peer&) = delete;
  datagram_peer& operator=(const datagram_peer&) = delete;

  int fd() const { return fd_; }
  const endpoint& address() const { return address_; }

  /// Sends one datagram to `to`; returns whether the kernel took it.
  bool send_to(const std::string& data, const endpoint& to) {
    auto dest = to.for_family(address_.family());
    return ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, dest.data(), dest.size()) ==
           static_cast<ssize_t>(data.size());
  }

  /// Receives one datagram (bounded wait): its bytes and sender, or
  /// nothing on timeout.
  std::optional<std::pair<std::string, endpoint>> receive() {
    std::string buf(70000, '\0');
    endpoint from;
    socklen_t len = endpoint::capacity();
    auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, from.data(), &len);
    if (n < 0)
      return std::nullopt;
    from.resize(len);
    buf.resize(static_cast<std::size_t>(n));
    return std::make_pair(std::move(buf), from);
  }

private:
  int fd_ = -1;
  endpoint address_;
};

} // namespace pants::test
