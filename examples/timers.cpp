// Pants' four timers on the engine, and cancelling them; prints what fires.
//   timers
#include <pants/pants.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main() {
  auto& engine = pants::engine::instance();
  auto start = std::chrono::steady_clock::now();
  auto say = [start](const std::string& what) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    std::printf("%5lld ms  %s\n", static_cast<long long>(ms), what.c_str());
    std::fflush(stdout);
  };

  // callback: once, at the next iteration; arguments are bound now.
  engine.callback(say, std::string("callback: runs once, as soon as possible"));

  // loop: once per iteration until cancelled -- here it cancels itself
  // from inside its own function after three runs.
  int loops = 0;
  pants::timer loop;
  loop = engine.loop([&] {
    say("loop: run " + std::to_string(++loops));
    if (loops == 3)
      loop.cancel();
  });

  // cycle: every 100 ms on a fixed grid; a defer cancels it after ~450 ms.
  int ticks = 0;
  auto cycle = engine.cycle(100ms, [&] { say("cycle: tick " + std::to_string(++ticks)); });
  engine.defer(450ms, [&, cycle] {
    cycle.cancel();
    say("defer: cancelled the cycle after " + std::to_string(ticks) + " ticks");
  });

  // defer: once, after a delay -- this one is cancelled before it fires.
  auto never = engine.defer(200ms, [&] { say("defer: you never see this"); });
  engine.callback([&, never] {
    never.cancel(); // calling the handle, never(), does the same
    say("callback: cancelled the 200 ms defer");
  });

  engine.defer(600ms, [&] {
    say("defer: done, stopping the engine");
    engine.stop();
  });
  engine.start();
}
