#pragma once

// Test helpers for timer suites: a live-instance counter, to see when a
// timer's captured state is released, and a capture of stderr.

#include <cstdio>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace pants::test {

/// Counts live instances, to see when a timer's captured state is released.
struct tracked {
  static inline long live = 0;
  tracked() { ++live; }
  tracked(const tracked&) { ++live; }
  tracked(tracked&&) noexcept { ++live; }
  tracked& operator=(const tracked&) = default;
  tracked& operator=(tracked&&) = default;
  ~tracked() { --live; }
};

/// Redirects file descriptor 2 into a temporary file while alive.
class stderr_capture {
public:
  stderr_capture() : file_(std::tmpfile()), saved_(::dup(2)) {
    if (file_ == nullptr || saved_ < 0)
      throw std::runtime_error("cannot capture stderr");
    std::fflush(stderr);
    ::dup2(fileno(file_), 2);
  }
  ~stderr_capture() {
    restore();
    std::fclose(file_);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;

  /// Stops capturing and returns what was written.
  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[512];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0)
      out.append(buf, n);
    return out;
  }

private:
  void restore() {
    if (saved_ < 0)
      return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

} // namespace pants::test
