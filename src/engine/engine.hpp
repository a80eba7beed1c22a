#pragma once

#include "pants/engine/backend.hpp"
#include "pants/engine/clock_service.hpp"
#include "pants/engine/io_handler.hpp"
#include "pants/engine/timer.hpp"
#include "pants/engine/timer_queue.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

/// At the top of an engine-thread-only member: checks (in builds with
/// PANTS_THREAD_CHECKS) that `eng`'s engine thread is the caller.
#if PANTS_THREAD_CHECKS
#define PANTS_ASSERT_IN_LOOP(eng) (eng).assert_in_loop(__func__)
#else
#define PANTS_ASSERT_IN_LOOP(eng) ((void)0)
#endif

namespace pants {

/// Told by `engine::poll()` about each iteration, so a higher layer can run
/// work on the engine thread between iterations (the actors layer resumes
/// the channel actors the iteration woke). `iteration_begins` and
/// `iteration_ends` run in the engine thread, inside `poll()`, always in
/// pairs (also when a part of the iteration threw); no call may throw.
///
/// While `iteration_ends` runs, the thread is not the engine thread
/// (`in_engine_thread()` is false, so what it runs posts to the loop like
/// any other thread). If it runs longer than `engine::relief_delay`, the
/// engine's relief thread calls `relieve` and polls the engine itself until
/// `iteration_ends` returns: a blocked handler holds up only itself.
class iteration_observer {
public:
  virtual ~iteration_observer() = default;
  /// At the start of `poll()`, before anything of the iteration runs.
  virtual void iteration_begins() noexcept = 0;
  /// At the end of `poll()`: after dispatch, posted tasks and loops.
  virtual void iteration_ends() noexcept = 0;
  /// True when work is waiting for `iteration_ends` (in the engine thread,
  /// before the wait for I/O): `poll()` then does not sleep waiting.
  virtual bool has_work() noexcept = 0;
  /// From the relief thread, while `iteration_ends` has run too long: hand
  /// the work waiting behind the current piece to other threads. Runs
  /// concurrently with `iteration_ends`.
  virtual void relieve() noexcept = 0;
};

/// The poll reactor: watches file descriptors through a `backend` (epoll or
/// poll) and calls each descriptor's `io_handler` when it is ready.
///
/// The engine knows descriptors, interest masks and handlers, nothing else:
/// no bytes, no protocols, no actors. Other threads talk to it only through
/// `post()`, which queues a task and wakes the loop through an eventfd.
///
/// The thread inside `start()` or `poll()` is the engine thread. Registration
/// calls (`add`, `modify`, `remove`) must be called in the engine thread;
/// `post`, `stop`, `running` and `in_engine_thread` are safe from any thread.
class engine {
public:
  /// Makes an engine on the backend named "epoll", "poll" or "select"; an empty name
  /// takes `PANTS_BACKEND` from the environment, else epoll. `clock` drives
  /// `defer` and `cycle` (default: CAF's clock on the runtime's actor
  /// system, made on first use; tests pass one on CAF's virtual clock).
  /// Throws std::invalid_argument for an unknown backend name.
  explicit engine(const std::string& backend_name = "",
                  std::shared_ptr<clock_service> clock = nullptr);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// The process-wide default engine: the same object on every call.
  static engine& instance();

  /// Runs `poll()` until `stop()`. Returns at once if already running.
  /// The calling thread becomes the engine thread.
  void start();

  /// Makes `start()` return after the current iteration, and a blocked
  /// `poll()` return early. Safe from any thread, handler or signal
  /// handler. A stop before `start()` is kept, so the next `start()`
  /// returns at once (as Asio's `io_context::run` and asyncio's loop do);
  /// the request is cleared when `start()` returns.
  void stop();

  /// Makes `start()` return once no descriptor is registered (every
  /// channel and server on the engine closed) or `grace` has passed,
  /// whichever comes first; checked after each iteration, and cleared when
  /// `start()` returns. What a graceful shutdown waits with (see
  /// `stop_on_signals`). Safe from any thread.
  void stop_when_empty(std::chrono::milliseconds grace);

  /// One iteration: runs posted tasks, waits at most `timeout` for I/O
  /// (returning early when woken by `post` or `stop`), dispatches what is
  /// ready, runs posted tasks again. For embedding in a foreign loop.
  void poll(std::chrono::milliseconds timeout);

  /// True while `start()` is looping. Safe from any thread.
  bool running() const noexcept { return running_.load(); }

  /// True when called from the thread currently inside `start()`/`poll()`.
  bool in_engine_thread() const noexcept;

  /// True while a thread is inside `start()` or `poll()`, also while the
  /// actors layer runs handlers at the end of an iteration (when
  /// `in_engine_thread()` is false). Safe from any thread.
  bool polled() const noexcept;

  /// True when the calling thread is inside `start()` or `poll()` (in a
  /// handler run at the end of an iteration too). Safe from any thread.
  bool polled_by_this_thread() const noexcept;

  /// Cancels every loop, prepare, defer and cycle made on this engine (what
  /// its destructor does; `pants::shutdown` does it too). A callback is not
  /// touched: it runs at the next iteration. Must be called in the engine
  /// thread.
  void cancel_timers();

  /// Queues `task` to run in the engine thread at the next iteration, in
  /// order with other posted tasks. Safe from any thread.
  void post(std::function<void()> task);

  /// Runs `f` at once when called in the engine thread, else posts it
  /// (muduo's `runInLoop`). Safe from any thread.
  template <class F> void run_in_loop(F&& f) {
    if (in_engine_thread())
      f();
    else
      post(std::forward<F>(f));
  }

  /// Aborts with a message naming `member` unless the caller may use the
  /// engine-thread-only members: it is the thread inside `start()`/`poll()`,
  /// or no thread is (an engine not running yet is set up from any one
  /// thread). Engine-thread-only members of the library start with
  /// `PANTS_ASSERT_IN_LOOP`, which calls this in builds with
  /// `PANTS_THREAD_CHECKS` (Debug and sanitizer builds). Safe from any thread.
  void assert_in_loop(const char* member) const noexcept;

  // -- timers (Pants' callback, loop, defer, cycle) -----------------------------
  //
  // Each runs `f(args...)` in the engine thread, with `args` bound now, and
  // returns a handle that cancels it (see `timer`). An exception thrown by
  // `f` is caught and logged; other timers and later runs go on. Safe from
  // any thread.

  /// Runs once, at the next iteration (after the calling code returns).
  template <class F, class... Args> timer callback(F&& f, Args&&... args) {
    return add_callback(detail::bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// Runs once per iteration, from the next one, until cancelled. While a
  /// loop is active the engine does not sleep waiting for I/O (it polls
  /// with a zero timeout), so I/O is still served every iteration.
  template <class F, class... Args> timer loop(F&& f, Args&&... args) {
    return add_loop(detail::bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// Runs once per iteration, from the next one, until cancelled, right
  /// before the engine waits for I/O (libuv's prepare handle): for code
  /// that decides what to watch from what the iteration changed (asyncore's
  /// `readable()` and `writable()`). Unlike `loop`, it does not keep the
  /// engine from sleeping.
  template <class F, class... Args> timer prepare(F&& f, Args&&... args) {
    return add_prepare(detail::bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// Runs once, `delay` after the call (steady clock, never early).
  /// Throws std::invalid_argument for `delay <= 0`.
  template <class Rep, class Period, class F, class... Args>
  timer defer(std::chrono::duration<Rep, Period> delay, F&& f, Args&&... args) {
    return add_timed(detail::checked_delay(delay, "defer delay"), clock_service::clock::duration{0},
                     detail::bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// Runs every `interval` on a fixed grid from the call: no drift, and a
  /// late run causes no burst of catch-up runs (missed slots are skipped).
  /// Throws std::invalid_argument for `interval <= 0`.
  template <class Rep, class Period, class F, class... Args>
  timer cycle(std::chrono::duration<Rep, Period> interval, F&& f, Args&&... args) {
    auto d = detail::checked_delay(interval, "cycle interval");
    return add_timed(d, d, detail::bind_timer(std::forward<F>(f), std::forward<Args>(args)...));
  }

  /// A bare number as a delay: a compile error that says to use a duration.
  template <class D, class F, class... Args, class = std::enable_if_t<std::is_arithmetic_v<D>>>
  timer defer(D, F&&, Args&&...) {
    detail::require_duration<D>();
    return {};
  }
  template <class D, class F, class... Args, class = std::enable_if_t<std::is_arithmetic_v<D>>>
  timer cycle(D, F&&, Args&&...) {
    detail::require_duration<D>();
    return {};
  }

  /// The clock behind `defer` and `cycle` (made on first use).
  clock_service& clock() { return *shared_clock(); }
  /// The same, shared: for what may outlive the engine (a channel's timers).
  std::shared_ptr<clock_service> shared_clock();

  /// Watches `fd` for `mask` (io_event bits; may be 0: registered but not
  /// polled). The engine keeps `handler` alive while registered and never
  /// owns the descriptor. Must be called in the engine thread. Throws
  /// std::system_error (EMFILE) for a descriptor its backend cannot watch
  /// (select: at or above FD_SETSIZE), changing nothing.
  void add(int fd, std::uint32_t mask, std::shared_ptr<io_handler> handler);

  /// Changes the interest mask of a registered `fd`. Must be called in the
  /// engine thread.
  void modify(int fd, std::uint32_t mask);

  /// Unregisters `fd`; no event for this registration is delivered after,
  /// even one already reported in the current iteration. Must be called in
  /// the engine thread, before the descriptor is closed.
  void remove(int fd);

  /// Number of registered descriptors (the wake-up eventfd not counted).
  /// Must be called in the engine thread.
  std::size_t size() const noexcept {
    PANTS_ASSERT_IN_LOOP(*this);
    return live_;
  }

  /// Installs `obs` as this engine's iteration observer unless one is
  /// installed already; returns the one installed (kept alive by the engine
  /// until it is destroyed; never replaced). Safe from any thread; an
  /// iteration already under way is not told.
  std::shared_ptr<iteration_observer> observe(std::shared_ptr<iteration_observer> obs);

  /// How long the observer's `iteration_ends` may hold the thread before
  /// the relief thread takes over polling: between one and two of these.
  static constexpr std::chrono::milliseconds relief_tick{2};

  /// How many times the relief thread took over polling (for tests and
  /// statistics). Safe from any thread.
  std::uint64_t reliefs() const noexcept;

  /// "epoll", "poll" or "select".
  const char* backend_name() const noexcept { return backend_->name(); }

  /// Why `add` would refuse `fd` (select: at or above FD_SETSIZE), or
  /// nullptr when the backend can watch it.
  const char* refusal(int fd) const noexcept { return backend_->refusal(fd); }

  /// Moves every registration (interest masks, handlers, the wake-up
  /// descriptor) to a new backend named as for the constructor; posted
  /// tasks and timers are not touched (asyncore's `loop` picks select or
  /// poll per call). Must be called in the engine thread, outside
  /// `poll()`. Throws std::invalid_argument for an unknown name and
  /// std::system_error (EMFILE) naming the first descriptor the new backend
  /// cannot watch; either way nothing changed.
  void use_backend(const std::string& name);

private:
  struct entry {
    std::shared_ptr<io_handler> handler;
    std::uint32_t generation = 0;
    std::uint32_t mask = 0;
  };

  timer add_callback(detail::timer_fn&& fn);
  timer add_loop(detail::timer_fn&& fn);
  timer add_prepare(detail::timer_fn&& fn);
  timer add_timed(clock_service::clock::duration delay, clock_service::clock::duration interval,
                  detail::timer_fn&& fn);
  /// The queue of defers and cycles (made with the clock, on first use).
  detail::timer_queue& timed();
  static void run_each(std::vector<std::shared_ptr<detail::timer_record>>& records);
  void run_posted();
  void poll_once(std::chrono::milliseconds timeout, iteration_observer* observer);
  void observe_iteration_end(iteration_observer& obs) noexcept;
  void dispatch(const ready_event& ev);
  void drain_wakeup();
  void wake();
  std::uint64_t token(int fd) const;

  std::unique_ptr<backend> backend_;
  int wake_fd_;
  std::vector<entry> table_;
  std::vector<ready_event> ready_;
  std::size_t live_ = 0;
  std::uint32_t generation_ = 0;

  std::mutex posted_mtx_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> running_tasks_;
  std::atomic<bool> wake_pending_{false};

  // Timers: the clock (made on first use), the active loops (engine
  // thread), and the anchor through which a firing timer finds this engine,
  // cut when the engine is destroyed.
  struct anchor {
    std::mutex mtx;
    engine* eng;
  };
  std::mutex clock_mtx_;
  std::shared_ptr<clock_service> clock_;
  std::vector<std::shared_ptr<detail::timer_record>> loops_;
  std::vector<std::shared_ptr<detail::timer_record>> prepares_;
  std::shared_ptr<detail::timer_queue> timed_;
  std::atomic<detail::timer_queue*> timed_ready_{nullptr}; // timed_, once made: no lock to read
  std::shared_ptr<anchor> anchor_;

  // The iteration observer: set once (under observer_mtx_), read by poll()
  // through observer_ptr_ without a lock.
  std::mutex observer_mtx_;
  std::shared_ptr<iteration_observer> observer_;
  std::atomic<iteration_observer*> observer_ptr_{nullptr};

  // The relief thread (engine.cpp), made with the observer.
  struct relief;
  std::unique_ptr<relief> relief_;

  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  /// stop_when_empty's deadline (steady_clock ticks), or `no_deadline`.
  static constexpr std::int64_t no_deadline = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> empty_deadline_{no_deadline};
  std::atomic<std::thread::id> owner_{};
  /// The thread inside poll(), for the whole call (owner_ is cleared while
  /// the observer runs handlers at the end of an iteration).
  std::atomic<std::thread::id> poller_{};
};

} // namespace pants
