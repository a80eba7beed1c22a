#include "pants/engine/relief.hpp"

#include "pants/engine/log.hpp"

#include <chrono>
#include <exception>

namespace pants {

void engine::relief::finish() {
  {
    std::lock_guard<std::mutex> guard(mtx);
    quit = true;
  }
  cv.notify_all();
  if (thread.joinable())
    thread.join();
}

void engine::relief::begin_phase() {
  phases.fetch_add(1);
  phase.store(observing);
  if (sleeping.load()) { // seq_cst against the relief thread's re-check
    {
      std::lock_guard<std::mutex> guard(mtx);
      sleeping = false;
    }
    cv.notify_all();
  }
}

void engine::relief::end_phase(engine& eng) {
  for (;;) {
    int expected = observing;
    if (phase.compare_exchange_strong(expected, polling))
      return;
    if (expected == relieved && phase.compare_exchange_strong(expected, reclaiming)) {
      eng.wake(); // out of its epoll_wait
      std::unique_lock<std::mutex> lock(mtx);
      cv.wait(lock, [this] { return phase.load() == polling; });
      return;
    }
    // The relief thread handed the phase back meanwhile (a stop): retry.
  }
}

void engine::relief::run(engine& eng) {
  std::unique_lock<std::mutex> lock(mtx);
  std::uint64_t seen = phases.load(), relieved_phase = 0;
  int idle = 0;
  while (!quit) {
    if (sleeping.load()) {
      cv.wait(lock, [this] { return quit || !sleeping.load(); });
      seen = phases.load();
      idle = 0;
      continue;
    }
    auto deadline = std::chrono::steady_clock::now() + relief_tick;
    if (cv.wait_until(lock, deadline, [this] { return quit; }))
      break;
    auto now = phases.load();
    if (now == seen && now != relieved_phase && phase.load() == observing) {
      lock.unlock();
      take_over(eng);
      lock.lock();
      relieved_phase = now; // not again for the same phase (left by a stop)
      idle = 0;
      continue;
    }
    if (now != seen) {
      idle = 0;
    } else if (++idle >= idle_ticks) {
      sleeping.store(true);
      if (phases.load() != now) // a phase began meanwhile and saw no sleeper
        sleeping.store(false);
    }
    seen = now;
  }
}

void engine::relief::take_over(engine& eng) {
  int expected = observing;
  if (!phase.compare_exchange_strong(expected, relieved))
    return;
  ++taken;
  eng.owner_ = std::this_thread::get_id();
  eng.wake_pending_ = false; // posts wake this thread's polls now
  if (auto* obs = eng.observer_ptr_.load(std::memory_order_acquire))
    obs->relieve();
  try {
    while (phase.load() == relieved && !eng.stop_requested_.load())
      eng.poll_once(std::chrono::milliseconds(-1), nullptr);
  } catch (const std::exception& e) {
    log(log_level::error, std::string("the engine's relief thread stops polling: ") + e.what());
  }
  eng.owner_ = std::thread::id{};
  expected = relieved;
  if (phase.compare_exchange_strong(expected, observing))
    return; // stopped while the phase goes on: nobody polls, as asked
  {
    std::lock_guard<std::mutex> guard(mtx);
    phase.store(polling); // reclaiming: the phase's thread waits for this
  }
  cv.notify_all();
}

} // namespace pants
