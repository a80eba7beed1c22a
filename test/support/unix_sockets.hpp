#pragma once

// Test helpers for Unix sockets: a fresh temporary directory removed with
// everything in it, unique abstract names, and raw sockets the test
// controls (a stale socket file, a listener that never accepts).

#include "pants/channels/address.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace pants::test {

/// A directory made by mkdtemp, removed with its contents on destruction.
class temp_dir {
public:
  temp_dir() {
    char name[] = "/tmp/pants-test-XXXXXX";
    if (::mkdtemp(name) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~temp_dir() {
    // A channel still closing may unlink its socket file meanwhile, which
    // makes remove_all stop early: try again.
    std::error_code ec;
    for (int i = 0; i < 3 && std::filesystem::exists(path_, ec); ++i)
      std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  /// `name` inside the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  std::string file(const std::string& name) const { return *this / name; }

private:
  std::string path_;
};

/// An abstract socket name (`@...`) no other test or process uses.
inline std::string unique_abstract_name() {
  static std::atomic<int> counter{0};
  return "@pants-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(std::random_device{}());
}

inline bool exists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ignored));
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A raw AF_UNIX socket of `type` bound to `where` (a listener with
/// `backlog` for SOCK_STREAM, never accepting); closed on destruction
/// without removing its file, which is then stale.
class raw_unix_socket {
public:
  raw_unix_socket(const endpoint& where, int type, int backlog = 1) {
    fd_ = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::bind(fd_, where.data(), where.size()) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, backlog) != 0)) {
      if (fd_ >= 0)
        ::close(fd_);
      throw std::runtime_error("raw Unix socket on " + where.to_string() + " failed");
    }
  }
  ~raw_unix_socket() { close(); }
  raw_unix_socket(const raw_unix_socket&) = delete;
  raw_unix_socket& operator=(const raw_unix_socket&) = delete;

  int fd() const { return fd_; }
  /// Closes the socket and leaves its file behind: a stale socket file.
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

} // namespace pants::test
