#pragma once

#include <atomic>

namespace pants {

// The drain (`on_write`) protocol, in one place. docs/design-engine-actor-
// contract.md ("The drain protocol") says why it is shaped this way.
//
// `on_write` means: the channel's output queue became empty after holding
// data, at least once since the last `on_write`. Drains that happen while
// one is outstanding fold into it; `on_write` then sees the current state.
//
// 1. The socket owns a `drain_latch`. Whoever empties the queue calls
//    `try_report()`: only the caller that gets true reports the drain, so at
//    most one report is outstanding.
//    - The engine thread (a flush emptied the queue) reports it as a
//      `drained_msg` through the event sink.
//    - A writer whose direct send took everything returns true from
//      `write` (the [[nodiscard]] bool of stream_io / datagram_io): the
//      channel reports it itself, through its `handler_drains`.
// 2. The channel owns a `handler_drains`. `report()` asks it whether its own
//    handler is running on this thread: then the drain is only marked due and
//    the handler loop (`scope` plus `take()`) runs `on_write` when the
//    handler returns, before the next message (the fast path: no message to
//    itself). Otherwise the channel must send itself a `drained_msg`.
// 3. Before it runs `on_write` the channel calls the socket's `drain_seen()`
//    (`drain_latch::seen()`), so the next drain is reported again.

/// The socket's half of the drain protocol: at most one drain report
/// outstanding. Safe from any thread (lock-free). Owned by the socket.
class drain_latch {
public:
  /// The queue became empty: true when the caller must report the drain
  /// (none is outstanding), false when it folds into the outstanding one.
  bool try_report() noexcept { return !reported_.exchange(true); }

  /// The channel handled the outstanding drain: the next one is reported.
  void seen() noexcept { reported_ = false; }

private:
  std::atomic<bool> reported_{false};
};

/// The channel's half: drains caused by the channel's own handler wait for
/// that handler to return instead of going through the mailbox. Owned by the
/// channel; `scope`, `report` and `take` are called in the channel's actor
/// only (so `due_` needs no lock); `report` may be called from any thread.
class handler_drains {
public:
  /// Marks the owner's handler as running on this thread for its lifetime,
  /// restoring the previous mark on exit (handlers nest across channels:
  /// one channel's handler may write to another).
  class scope {
  public:
    explicit scope(const handler_drains& owner) noexcept : outer_(running_) { running_ = &owner; }
    ~scope() { running_ = outer_; }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

  private:
    const handler_drains* outer_;
  };

  /// A write went out at once and its drain is due. Returns true when the
  /// owner's handler runs on this thread (the drain is now due after it);
  /// false when the caller must deliver it by message.
  bool report() noexcept {
    if (running_ != this)
      return false;
    due_ = true;
    return true;
  }

  /// True (once) when a drain became due in the running handler: the
  /// handler loop then calls `drain_seen` and `on_write`, and asks again.
  bool take() noexcept {
    bool due = due_;
    due_ = false;
    return due;
  }

private:
  // Whose handler runs on this thread, if any (one per thread).
  static inline thread_local const handler_drains* running_ = nullptr;
  bool due_ = false;
};

} // namespace pants
