// docs: hidden {
// The C++ blocks of docs/timers.md, each compiled (docs_sync_test checks that
// this file, without its hidden lines, is exactly the page's code).

// docs: hidden }
#include <pants/actors/caf_clock.hpp>
#include <pants/engine/engine.hpp>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
// docs: hidden {

#include <memory>
#include <vector>

using namespace std::chrono_literals;

int main() {
// docs: hidden }

caf::actor_system_config cfg;
cfg.set("scheduler.policy", caf::atom("testing"));
caf::actor_system sys{cfg};
auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
{
  pants::engine eng("", std::make_shared<pants::caf_clock>(sys));
  std::vector<int> ran;
  auto t = eng.cycle(100ms, [&] { ran.push_back(1); });
  eng.defer(250ms, [&] { ran.push_back(2); });
  auto step = [&](auto d) {
    sched.advance_time(d);   // CAF delivers the wake-ups due by then to the clock's actor,
    sched.run();             // which posts the due runs to the engine,
    eng.poll(0ms);           // which runs them here, in the test thread
  };
  step(99ms);    // ran == {}
  step(1ms);     // ran == {1}
  step(1000ms);  // ran == {1, 1, 2}: the stall skipped the missed ticks, no burst
  t.cancel();
}
// docs: hidden {
}
// docs: hidden }
