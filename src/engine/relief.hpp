#pragma once

// The engine's relief thread (engine.cpp, relief.cpp): engine-private, included
// by those two files only.

#include "pants/engine/engine.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace pants {

// While the observer's iteration_ends runs (a "phase"), nobody polls the
// engine. The relief thread ticks every relief_tick while phases happen;
// when it finds the same phase under way at two ticks in a row, it takes
// the engine over: it tells the observer to relieve(), becomes the engine
// thread and polls until the phase ends, when the phase's thread takes the
// engine back. After idle_ticks ticks with no phase begun it sleeps until
// the next one begins, so an idle or observer-less engine costs nothing.

struct engine::relief {
  enum : int { polling, observing, relieved, reclaiming };
  static constexpr int idle_ticks = 100;

  std::atomic<int> phase{polling};
  std::atomic<std::uint64_t> phases{0}; // phases begun
  std::atomic<bool> sleeping{true};
  std::atomic<std::uint64_t> taken{0}; // take-overs
  std::mutex mtx;
  std::condition_variable cv;
  bool quit = false; // under mtx
  std::thread thread;

  // Stops and joins the thread (the engine's destructor).
  void finish();

  // The phase's thread, before the observer's work.
  void begin_phase();

  // The phase's thread, after it: takes the engine back from the relief
  // thread if it took over.
  void end_phase(engine& eng);

  // The relief thread's loop: ticks, sleeps when idle, takes over.
  void run(engine& eng);

  // Claims the engine from a phase that runs too long and polls until the
  // phase's thread takes it back (or stop() is asked).
  void take_over(engine& eng);
};

} // namespace pants
