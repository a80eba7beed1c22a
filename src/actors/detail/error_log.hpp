#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace pants::detail {

/// The rate limit of the default error handlers: at most one line a second,
/// counting the rest, so peers cannot flood stderr. Errors that are only a
/// peer leaving (a reset, a broken pipe) are counted and never printed by
/// themselves. Safe from any thread.
class error_log {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Whether to print an error seen at `now`; `ordinary` ones never are.
  /// When it says yes, `note` is what the line should end with: " (N more
  /// errors not shown)" for those hidden since the last line, else empty.
  bool admit(time_point now, bool ordinary, std::string& note) {
    std::lock_guard<std::mutex> guard(mtx_);
    if (ordinary || (printed_once_ && now - last_ < std::chrono::seconds(1))) {
      ++hidden_;
      ++not_shown_;
      return false;
    }
    note = hidden_ > 0 ? " (" + std::to_string(hidden_) + " more errors not shown)" : "";
    hidden_ = 0;
    printed_once_ = true;
    last_ = now;
    return true;
  }

  /// Every error not printed so far.
  std::uint64_t not_shown() const {
    std::lock_guard<std::mutex> guard(mtx_);
    return not_shown_;
  }

private:
  mutable std::mutex mtx_;
  bool printed_once_ = false;
  time_point last_;
  std::size_t hidden_ = 0;
  std::uint64_t not_shown_ = 0;
};

} // namespace pants::detail
