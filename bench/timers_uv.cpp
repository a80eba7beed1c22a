// The timer benchmark on libuv: one uv_timer_t per timer on one loop (see
// timer_common.hpp for what is measured). libuv counts in milliseconds of
// its loop time (uv_now), so deadlines and runs are checked on that clock.
#include "timer_common.hpp"

#include <uv.h>

using namespace timer_bench;

namespace {
struct entry {
  uv_timer_t handle;
  std::int64_t due_ms;
  checker* check;
};
} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  uv_loop_t* loop = uv_default_loop();
  checker check;
  std::size_t expected = o.cancel ? (o.n + 1) / 2 : o.n;
  std::vector<entry> timers(o.n);
  auto start = clock::now();
  for (std::size_t i = 0; i < o.n; ++i) {
    auto& e = timers[i];
    uv_timer_init(loop, &e.handle);
    e.handle.data = &e;
    e.check = &check;
    auto delay = static_cast<std::uint64_t>(delay_ms(i, o.n));
    e.due_ms = static_cast<std::int64_t>(uv_now(loop) + delay);
    uv_timer_start(
        &e.handle,
        [](uv_timer_t* h) {
          auto* self = static_cast<entry*>(h->data);
          self->check->ran(self->due_ms, self->due_ms, static_cast<std::int64_t>(uv_now(h->loop)));
        },
        delay, 0);
  }
  if (o.cancel)
    for (std::size_t i = 1; i < o.n; i += 2)
      uv_timer_stop(&timers[i].handle);
  double schedule_s = seconds_since(start);
  uv_run(loop, UV_RUN_DEFAULT);
  return check.report(schedule_s, seconds_since(start), 1.0, expected);
}
