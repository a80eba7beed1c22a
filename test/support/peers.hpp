#pragma once

// Peers a stream test drives by hand: draining a blocking client to its
// end, a non-blocking client with small buffers for flow-control tests, a
// temporary file for write_file, and a gate a handler waits at.

#include "pants/channels/address.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace pants::test {

using clock_type = std::chrono::steady_clock;

/// How a blocking read to the end of a stream ended.
enum class ending { eof, reset, timeout };

struct drained {
  std::string bytes;
  ending how = ending::timeout;
};

/// Reads from a blocking_client until EOF, a reset or its receive timeout.
inline drained drain(blocking_client& c) {
  drained out;
  char buf[65536];
  for (;;) {
    auto got = ::recv(c.fd(), buf, sizeof buf, 0);
    if (got > 0) {
      out.bytes.append(buf, static_cast<std::size_t>(got));
      continue;
    }
    out.how = got == 0 ? ending::eof : errno == ECONNRESET ? ending::reset : ending::timeout;
    return out;
  }
}

/// Turns off Nagle on a TCP socket; nothing to do for a Unix one.
inline void no_delay(int fd) {
  int one = 1;
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
      local.ss_family != AF_UNIX)
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// A client stream socket of `family` (AF_INET, AF_INET6, AF_UNIX) made
/// before it connects (so its descriptor exists before a test lowers
/// RLIMIT_NOFILE), non-blocking once connected, with optionally small fixed
/// kernel buffers.
class raw_client {
public:
  explicit raw_client(int family, int buffer = 0) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error("socket failed");
    if (buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    }
  }
  ~raw_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Connects to `where` (blocking), then turns non-blocking.
  void connect(const endpoint& where) {
    if (::connect(fd_, where.data(), where.size()) != 0)
      throw std::runtime_error("connect failed");
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    no_delay(fd_);
  }

  /// Sends what the kernel takes now: 0 when it would block.
  std::size_t send_some(std::string_view data) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0)
      return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return 0;
    throw std::runtime_error("send failed");
  }

  /// Reads what is there now into `buf`: bytes read, 0 when nothing is
  /// ready. Throws at EOF or on an error.
  std::size_t recv_some(char* buf, std::size_t n) {
    auto got = ::recv(fd_, buf, n, 0);
    if (got > 0)
      return static_cast<std::size_t>(got);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return 0;
    throw std::runtime_error("the echo stream ended early");
  }

  /// Waits up to `limit` for `events`; returns the events that are ready.
  short wait(short events, std::chrono::milliseconds limit) {
    pollfd p{fd_, events, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0)
      return 0;
    return p.revents;
  }

  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

/// Sends `data` (the pattern from `base`) from `sent` on and reads the echo
/// until all of `data` came back or `deadline` passes; returns how many
/// echoed bytes arrived and sets `bad` to the offset of the first wrong one
/// (npos: none).
inline std::size_t pump_echo(raw_client& c, const std::string& data, std::size_t base,
                             std::size_t sent, std::size_t& bad, clock_type::time_point deadline) {
  std::vector<char> buf(256 * KiB);
  std::size_t received = 0;
  bad = npos;
  while (received < data.size() && clock_type::now() < deadline) {
    if (sent < data.size())
      sent += c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    auto n = c.recv_some(buf.data(), buf.size());
    if (n > 0) {
      auto at = mismatch(std::string_view(buf.data(), n), base + received);
      if (at != npos && bad == npos)
        bad = received + at;
      received += n;
      continue;
    }
    auto want = static_cast<short>(sent < data.size() ? POLLIN | POLLOUT : POLLIN);
    c.wait(want, std::chrono::milliseconds(100));
  }
  return received;
}

/// A temporary file in /tmp holding `content`, removed on destruction.
class temp_file {
public:
  explicit temp_file(const std::string& content) {
    char name[] = "/tmp/pants-test-file-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0)
      throw std::runtime_error("mkstemp failed");
    path_ = name;
    std::size_t done = 0;
    while (done < content.size()) {
      auto n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0)
        break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != content.size())
      throw std::runtime_error("cannot write the temporary file");
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// A door a handler waits at (bounded) until the test opens it.
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> guard(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait_for(lock, patience, [this] { return open_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

} // namespace pants::test
