// The timer benchmark on pants: engine.defer, run on the engine thread
// (see timer_common.hpp for what is measured).
#include "timer_common.hpp"

#include <pants/pants.hpp>

using namespace timer_bench;

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  auto& eng = pants::engine::instance();
  checker check;
  std::size_t expected = o.cancel ? (o.n + 1) / 2 : o.n;
  std::vector<pants::timer> handles; // kept only to cancel: a defer runs without one
  if (o.cancel)
    handles.reserve(o.n);
  std::vector<bounds> due(o.n);
  auto start = clock::now();
  for (std::size_t i = 0; i < o.n; ++i) {
    auto d = delay_ms(i, o.n);
    auto* b = &due[i];
    b->lo = ns(clock::now()) + d * 1000000;
    auto t = eng.defer(std::chrono::milliseconds(d), [&check, &eng, b, expected] {
      check.ran(b->lo, b->hi, ns(clock::now()));
      if (check.count() == expected)
        eng.stop();
    });
    b->hi = ns(clock::now()) + d * 1000000;
    if (o.cancel)
      handles.push_back(std::move(t));
  }
  if (o.cancel)
    for (std::size_t i = 1; i < o.n; i += 2)
      handles[i].cancel();
  double schedule_s = seconds_since(start);
  eng.start();
  return check.report(schedule_s, seconds_since(start), 1e-6, expected);
}
