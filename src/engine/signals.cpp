#include "pants/engine/signals.hpp"

#include "pants/engine/engine.hpp"

#include <atomic>
#include <csignal>

namespace pants {

namespace {

std::atomic<engine*> signalled_engine{nullptr};

extern "C" void on_stop_signal(int) {
  if (auto* eng = signalled_engine.load())
    eng->stop();
}

} // namespace

void stop_on_signals(engine& eng) {
  static_assert(std::atomic<engine*>::is_always_lock_free);
  signalled_engine = &eng;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

} // namespace pants
