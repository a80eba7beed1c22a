#pragma once

#include "engine/backend.hpp"
#include "engine/io_handler.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pants {

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
  /// Makes an engine on the backend named "epoll" or "poll"; an empty name
  /// takes `PANTS_BACKEND` from the environment, else epoll.
  /// Throws std::invalid_argument for an unknown backend name.
  explicit engine(const std::string& backend_name = "");
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
  /// handler; a no-op for a `start()` that has not begun yet.
  void stop();

  /// One iteration: runs posted tasks, waits at most `timeout` for I/O
  /// (returning early when woken by `post` or `stop`), dispatches what is
  /// ready, runs posted tasks again. For embedding in a foreign loop.
  void poll(std::chrono::milliseconds timeout);

  /// True while `start()` is looping. Safe from any thread.
  bool running() const noexcept { return running_.load(); }

  /// True when called from the thread currently inside `start()`/`poll()`.
  bool in_engine_thread() const noexcept;

  /// Queues `task` to run in the engine thread at the next iteration, in
  /// order with other posted tasks. Safe from any thread.
  void post(std::function<void()> task);

  /// Watches `fd` for `mask` (io_event bits; may be 0: registered but not
  /// polled). The engine keeps `handler` alive while registered and never
  /// owns the descriptor. Must be called in the engine thread.
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
  std::size_t size() const noexcept { return live_; }

  /// "epoll" or "poll".
  const char* backend_name() const noexcept { return backend_->name(); }

private:
  struct entry {
    std::shared_ptr<io_handler> handler;
    std::uint32_t generation = 0;
    std::uint32_t mask = 0;
  };

  void run_posted();
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

  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::thread::id> owner_{};
};

} // namespace pants
