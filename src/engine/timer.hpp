#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pants {

namespace detail {

class timer_queue;

/// A timer's function: a move-only `void()` callable. One that is small
/// (up to 48 bytes: a lambda with six captured pointers; alignment up to a
/// pointer's) and moves without
/// throwing is kept inside the object, and so inside the timer's record: a
/// timer costs one allocation, not two as with `std::function`. A larger
/// one goes to the heap.
class timer_fn {
public:
  timer_fn() noexcept = default;
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, timer_fn> && std::is_invocable_v<D&>>>
  timer_fn(F&& f) { // NOLINT: converts, as std::function does
    if constexpr (std::is_constructible_v<bool, const D&>)
      if (!static_cast<bool>(f))
        return; // an empty std::function or a null pointer: holds nothing
    if constexpr (fits<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      auto* p = new D(std::forward<F>(f));
      ::new (static_cast<void*>(buf_)) D*(p);
      ops_ = &heap_ops<D>;
    }
  }
  timer_fn(timer_fn&& other) noexcept { take(other); }
  timer_fn& operator=(timer_fn&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  timer_fn& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  timer_fn(const timer_fn&) = delete;
  timer_fn& operator=(const timer_fn&) = delete;
  ~timer_fn() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  /// Calls the function; it must hold one.
  void operator()() { ops_->call(buf_); }

private:
  static constexpr std::size_t capacity = 48;
  struct operations {
    void (*call)(void*);
    void (*move)(void* from, void* to) noexcept; // constructs in `to`, destroys `from`
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  static constexpr bool
      fits = sizeof(D) <= capacity &&
             alignof(D) <= alignof(void*) && std::is_nothrow_move_constructible_v<D>;
  template <class D>
  static constexpr operations inline_ops{[](void* p) { (*static_cast<D*>(p))(); },
                                         [](void* from, void* to) noexcept {
                                           ::new (to) D(std::move(*static_cast<D*>(from)));
                                           static_cast<D*>(from)->~D();
                                         },
                                         [](void* p) noexcept { static_cast<D*>(p)->~D(); }};
  template <class D>
  static constexpr operations heap_ops{
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* from, void* to) noexcept { ::new (to) D*(*static_cast<D**>(from)); },
      [](void* p) noexcept { delete *static_cast<D**>(p); }};

  void take(timer_fn& other) noexcept {
    ops_ = std::exchange(other.ops_, nullptr);
    if (ops_)
      ops_->move(other.buf_, buf_);
  }
  void reset() noexcept {
    // Empty first: what the function's captures do as they are destroyed
    // finds it gone.
    if (auto* o = std::exchange(ops_, nullptr))
      o->destroy(buf_);
  }

  alignas(void*) unsigned char buf_[capacity];
  const operations* ops_ = nullptr;
};

/// One scheduled function (Pants' callback, loop, defer or cycle) and its
/// cancellation state, shared by the handle and whoever runs it.
///
/// `run` and `cancel` are safe from any thread. After `cancel` returns, the
/// function never starts again and is not running — unless `cancel` was
/// called from inside a timer function (this one or another), which only
/// stops later runs and never waits, so timers cancelling each other
/// cannot deadlock.
class timer_record {
public:
  using clock = std::chrono::steady_clock;
  using error_handler = std::function<void(const std::exception&)>;

  /// `interval` is zero except for a cycle. A `one_shot` record (callback,
  /// defer) releases its function, and what it captured, after its run.
  timer_record(timer_fn&& fn, clock::duration interval, bool one_shot = false)
      : fn_(std::move(fn)), interval_(interval), one_shot_(one_shot) {}

  /// Runs the function unless cancelled; an exception it throws goes to
  /// `on_error` (default: logged to stderr). Returns false when cancelled
  /// (before or during the run): the caller must not run or re-arm it again.
  bool run(const error_handler& on_error = nullptr);

  /// Cancels; releases the function (and what it captured) unless called
  /// from inside it, in which case it is released when that run returns.
  /// A queued defer or cycle leaves its queue at once.
  void cancel();

  /// See timer::restart. Throws std::logic_error unless this is a defer or
  /// a cycle, std::invalid_argument for `delay <= 0`.
  static bool restart(const std::shared_ptr<timer_record>& r, clock::duration delay);
  static bool restart(const std::shared_ptr<timer_record>& r);

  /// Releases the function after a defer's last run (its queue decides).
  void release();

  bool cancelled() const noexcept { return cancelled_.load(); }
  clock::duration interval() const noexcept { return interval_; }

  /// The deadline of the next run of a defer or cycle.
  clock::time_point due() const noexcept { return due_; }
  void due(clock::time_point t) noexcept { due_ = t; }

  /// For a cycle that ran at `now`: the next point of its grid
  /// (`due + k * interval`) after `now`, so a late run causes no burst of
  /// catch-up runs and the grid never drifts.
  clock::time_point next_due(clock::time_point now) const noexcept;

private:
  friend class timer_queue;
  /// Where a defer or cycle is in its queue: a heap index, or one of these.
  static constexpr std::size_t unqueued = static_cast<std::size_t>(-1); // never fires
  static constexpr std::size_t running = static_cast<std::size_t>(-2);
  static constexpr std::size_t finished = static_cast<std::size_t>(-3);

  std::mutex run_mtx_;
  std::atomic<std::thread::id> runner_{};
  timer_fn fn_;
  clock::duration interval_;
  clock::time_point due_{};
  // A defer's or cycle's queue and its place there, under the queue's lock.
  std::weak_ptr<timer_queue> queue_;
  clock::duration delay_{0}; // as made; zero for callbacks and loops
  std::size_t slot_ = unqueued;
  std::uint64_t seq_ = 0; // the order its deadline was set in: FIFO on ties
  // The queue's hold on this record while it is in the heap (the heap
  // itself holds plain pointers, so its slots stay small).
  std::shared_ptr<timer_record> queued_;
  clock::time_point restart_due_{}; // set by a restart while running
  std::atomic<bool> cancelled_{false};
  // Set under the queue's lock, read without it before a batched run.
  std::atomic<bool> restart_pending_{false};
  bool one_shot_;
};

} // namespace detail

/// A handle to a scheduled timer. Calling it, or `cancel()`, cancels the
/// timer: from any thread, including from inside the timer's own function;
/// no run starts after it returns. Cancelling twice, or after the last run,
/// is harmless. Copyable; a default-constructed handle cancels nothing.
class timer {
public:
  timer() = default;
  explicit timer(std::shared_ptr<detail::timer_record> record) : record_(std::move(record)) {}

  void cancel() const {
    if (record_)
      record_->cancel();
  }
  void operator()() const { cancel(); }

  /// True when the handle holds a timer (a default-constructed one does not).
  explicit operator bool() const noexcept { return record_ != nullptr; }

  /// True once cancelled (by this handle, a copy, or a closing channel).
  bool cancelled() const noexcept { return record_ && record_->cancelled(); }

  /// Re-arms a `defer` or `cycle`: its next run comes `delay` from now
  /// (default: the delay or interval it was made with), replacing the
  /// deadline it had; a cycle keeps its interval from there. Called from
  /// inside a defer's own function, it makes the defer run once more.
  /// Costs a heap update and no allocation: re-arming per read or per
  /// message grows nothing. Safe from any thread. Returns false, changing
  /// nothing, when there is nothing to re-arm: the timer was cancelled, a
  /// defer already ran, or its engine or channel is gone. Throws
  /// std::logic_error for a callback's, a loop's or a default handle, and
  /// std::invalid_argument for `delay <= 0`.
  template <class Rep, class Period> bool restart(std::chrono::duration<Rep, Period> delay) const;
  bool restart() const { return detail::timer_record::restart(checked()); }

private:
  const std::shared_ptr<detail::timer_record>& checked() const;
  std::shared_ptr<detail::timer_record> record_;
};

namespace detail {

/// Binds `args` (copied or moved now) to `f`; each run passes the bound
/// values on, as Pants does. Move-only values (a std::unique_ptr) may be
/// bound: they stay with the timer, which lends them to each run.
template <class F, class... Args> timer_fn bind_timer(F&& f, Args&&... args) {
  static_assert(std::is_invocable_v<std::decay_t<F>&, std::decay_t<Args>&...>,
                "pants: this timer function cannot be called with the arguments given after it: "
                "each run calls f(args...), so f needs one parameter per argument (none for none)");
  return [f = std::forward<F>(f), bound = std::make_tuple(std::forward<Args>(args)...)]() mutable {
    std::apply(f, bound);
  };
}

/// Always false, for a static_assert that fires only when its template is used.
template <class> inline constexpr bool always_false = false;

/// Rejects a delay that is a bare number, with a message that says why.
template <class D> constexpr void require_duration() {
  static_assert(always_false<D>,
                "pants: a timer delay must be a std::chrono duration, e.g. defer(5s, f) after "
                "`using namespace std::chrono_literals;` or defer(std::chrono::seconds(5), f): "
                "a bare number has no unit");
}

/// Converts a user's delay to the clock's duration. Throws
/// std::invalid_argument for `delay <= 0`. A delay too long for the clock
/// (centuries) yields `clock::duration::max()`: such a timer never fires.
template <class Rep, class Period>
std::chrono::steady_clock::duration checked_delay(std::chrono::duration<Rep, Period> delay,
                                                  const char* what) {
  using target = std::chrono::steady_clock::duration;
  if (delay <= delay.zero())
    throw std::invalid_argument(std::string("pants: ") + what + " must be positive");
  // Compare in floating point: converting first could overflow and wrap.
  std::chrono::duration<long double, typename target::period> wide(delay);
  if (wide.count() >= static_cast<long double>(target::max().count()) / 2)
    return target::max();
  auto d = std::chrono::duration_cast<target>(delay);
  return d > target::zero() ? d : target(1);
}

} // namespace detail

template <class Rep, class Period>
bool timer::restart(std::chrono::duration<Rep, Period> delay) const {
  auto& r = checked();
  return detail::timer_record::restart(r, detail::checked_delay(delay, "restart delay"));
}

} // namespace pants
