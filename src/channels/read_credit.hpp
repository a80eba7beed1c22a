#pragma once

#include <atomic>
#include <cstddef>

namespace pants {

/// Read flow control between a socket (which hands data to a channel) and
/// the channel's actor (which reports what it has processed): reading pauses
/// while more than `limit` is handed over and not yet consumed, and resumes
/// once at most `limit / 2` is (the hysteresis keeps the interest mask from
/// toggling per chunk). Each unit handed over also costs `overhead`, so a
/// flood of empty datagrams is bounded too.
///
/// `charge` is called by the one reading thread (the engine thread);
/// `release` and the getters are safe from any thread. Lock-free.
class read_credit {
public:
  /// `limit` > 0; `overhead` is added to every charge and release.
  explicit read_credit(std::size_t limit, std::size_t overhead = 0) noexcept
      : limit_(limit), overhead_(overhead) {}

  /// Counts `n` bytes handed over. Returns true when the backlog is over the
  /// limit: the caller recomputes its interest (`paused()` may be set).
  bool charge(std::size_t n) noexcept {
    if (inflight_ += n + overhead_; inflight_ <= limit_)
      return false;
    paused_ = true;
    // The consumer may have caught up between the add and the flag, seeing
    // no pause and so owning no resume: re-check, so a pause can never
    // outlive the backlog that caused it. Any later release sees the flag.
    if (inflight_ <= limit_ / 2)
      paused_ = false;
    return true;
  }

  /// The consumer processed `n` bytes. Returns true when this call ended a
  /// pause: the caller must make the reader read again. Exactly one caller
  /// (a release or the re-check in `charge`) ends each pause.
  bool release(std::size_t n) noexcept {
    inflight_ -= n + overhead_;
    return inflight_ <= limit_ / 2 && paused_.exchange(false);
  }

  /// True while reading is paused.
  bool paused() const noexcept { return paused_.load(); }

  /// Bytes (and overheads) handed over and not yet released.
  std::size_t inflight() const noexcept { return inflight_.load(); }

private:
  const std::size_t limit_;
  const std::size_t overhead_;
  std::atomic<std::size_t> inflight_{0};
  std::atomic<bool> paused_{false};
};

} // namespace pants
