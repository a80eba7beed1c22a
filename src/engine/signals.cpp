#include "pants/engine/signals.hpp"

#include "pants/engine/engine.hpp"
#include "pants/engine/log.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <system_error>
#include <unistd.h>

namespace pants {

namespace {

std::atomic<engine*> signalled_engine{nullptr};
/// A graceful hook waits for its first signal.
std::atomic<bool> hook_armed{false};
/// The hook's wake-up: the signal handler writes a byte, the engine reads
/// it. Made once and kept for the process, so a signal never writes to a
/// descriptor that was closed (or reused) meanwhile.
int hook_pipe[2] = {-1, -1};

/// Reads every byte a signal wrote (the pipe is non-blocking).
void drain_hook_pipe() {
  char buf[16];
  while (::read(hook_pipe[0], buf, sizeof buf) > 0) {
  }
}

extern "C" void on_stop_signal(int) {
  int saved_errno = errno;
  if (hook_armed.exchange(false)) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(hook_pipe[1], &byte, 1);
  } else if (auto* eng = signalled_engine.load()) {
    eng->stop();
  }
  errno = saved_errno;
}

void install_handlers() {
  static_assert(std::atomic<engine*>::is_always_lock_free);
  static_assert(std::atomic<bool>::is_always_lock_free);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

/// The read end of the hook's pipe, registered on the engine: runs the
/// hook in the engine thread, then lets the engine stop once it is empty.
class signal_hook final : public io_handler {
public:
  signal_hook(engine& eng, std::function<void()> fn, std::chrono::milliseconds grace)
      : eng_(eng), fn_(std::move(fn)), grace_(grace) {}

  engine& owner() const noexcept { return eng_; }

  /// In the engine thread.
  void enroll(const std::shared_ptr<signal_hook>& self) {
    if (!retired_) {
      eng_.add(hook_pipe[0], io_event::readable, self);
      enrolled_ = true;
    }
  }
  /// In the engine thread: a later call replaced this hook.
  void retire() {
    retired_ = true;
    leave();
  }

  void handle_io(std::uint32_t) override {
    drain_hook_pipe();
    leave(); // no longer counted: the engine may now run empty
    try {
      if (fn_)
        fn_();
    } catch (const std::exception& e) {
      log(log_level::error, std::string("the stop_on_signals hook threw: ") + e.what());
    } catch (...) {
      log(log_level::error, "the stop_on_signals hook threw a non-standard exception");
    }
    eng_.stop_when_empty(grace_);
  }

private:
  void leave() {
    if (enrolled_)
      eng_.remove(hook_pipe[0]);
    enrolled_ = false;
  }

  engine& eng_;
  std::function<void()> fn_;
  std::chrono::milliseconds grace_;
  bool enrolled_ = false;
  bool retired_ = false;
};

std::mutex install_mtx;
std::weak_ptr<signal_hook> current_hook;

/// Makes a newer call win over a graceful hook installed before.
void retire_current_hook() {
  if (auto old = current_hook.lock())
    old->owner().post([old] { old->retire(); });
  current_hook.reset();
}

} // namespace

void stop_on_signals(engine& eng) {
  std::lock_guard<std::mutex> guard(install_mtx);
  hook_armed = false;
  retire_current_hook();
  signalled_engine = &eng;
  install_handlers();
}

void stop_on_signals(engine& eng, std::function<void()> on_signal,
                     std::chrono::milliseconds grace) {
  std::lock_guard<std::mutex> guard(install_mtx);
  hook_armed = false;
  retire_current_hook();
  if (hook_pipe[0] < 0 && ::pipe2(hook_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pants: stop_on_signals: pipe2");
  drain_hook_pipe(); // a byte from a hook this call replaces
  auto hook = std::make_shared<signal_hook>(eng, std::move(on_signal), grace);
  current_hook = hook;
  eng.post([hook] { hook->enroll(hook); });
  signalled_engine = &eng;
  hook_armed = true;
  install_handlers();
}

} // namespace pants
