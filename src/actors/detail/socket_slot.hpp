#pragma once

#include <atomic>
#include <memory>

namespace pants::detail {

/// Where a channel keeps its socket, the same way for every channel kind:
/// set once, when the channel starts (connect, accept, a datagram's first
/// call), then read from any thread without a lock. Owns the socket from
/// `set` until the slot is destroyed.
template <class T> class socket_slot {
public:
  /// Publishes `s`. Call at most once, and only while no other thread can
  /// call `share` (a stream before it is shared, a datagram under its
  /// once-flag); readers of `get` may run meanwhile.
  void set(std::shared_ptr<T> s) noexcept {
    held_ = std::move(s);
    ptr_.store(held_.get(), std::memory_order_release);
  }

  /// The socket, or null before `set`. Any thread.
  T* get() const noexcept { return ptr_.load(std::memory_order_acquire); }
  T* operator->() const noexcept { return get(); }
  explicit operator bool() const noexcept { return get() != nullptr; }

  /// The socket as a shared handle (to outlive the channel, e.g. in a
  /// resolver's callback), or null before `set`. Any thread.
  std::shared_ptr<T> share() const { return get() ? held_ : nullptr; }

private:
  std::shared_ptr<T> held_;      // written once, before ptr_ publishes it
  std::atomic<T*> ptr_{nullptr}; // what readers look at
};

} // namespace pants::detail
