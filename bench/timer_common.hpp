#pragma once

// What the three timer benchmarks (timers_pants, timers_asio, timers_uv)
// share: the deadlines, the checks and the report line.
//
//   timers_X N [cancel]
// schedules N one-shot timers whose delays are spread over [1 ms, 1 s] in
// a scrambled order (timer i: 1 + (i * 7919 mod N) * 1000 / N ms). fire
// mode waits for all of them; cancel mode cancels every other one right
// after scheduling and waits for the rest. One line, "key=value" pairs:
//   schedule_s  wall time to schedule the N timers (and, cancelling, to
//               cancel half of them)
//   finish_s    wall time from the first schedule to the last run
//   rss_mb      peak resident memory (getrusage)
//   ran         timers that ran (N, or N/2 cancelling)
//   early       runs before their deadline (must be 0)
//   disorder    runs whose deadline is surely earlier than the one run
//               before (must be 0: deadline order)
//   late_ms     the largest lateness of a run past its deadline

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace timer_bench {

using clock = std::chrono::steady_clock;

struct options {
  std::size_t n = 1000000;
  bool cancel = false;
};

inline options parse(int argc, char** argv) {
  options o;
  if (argc > 1)
    o.n = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2)
    o.cancel = std::strcmp(argv[2], "cancel") == 0;
  if (o.n < 2) {
    std::fprintf(stderr, "usage: %s N [cancel]   (N >= 2)\n", argv[0]);
    std::exit(2);
  }
  return o;
}

/// Timer i's delay in milliseconds: 1 to 1000, scrambled.
inline std::int64_t delay_ms(std::size_t i, std::size_t n) {
  return 1 + static_cast<std::int64_t>((i * 7919u) % n * 1000u / n);
}

/// Whether timer i survives in cancel mode (the odd ones are cancelled).
inline bool kept(std::size_t i, const options& o) { return !o.cancel || i % 2 == 0; }

/// Checks each run against its deadline and the run before it. A library
/// takes its own "now" inside the call that schedules, so a deadline is
/// known to lie in [lo, hi]: the clock read just before that call and just
/// after it, plus the delay. Early: run before lo. Disorder: the run before
/// had a deadline surely later (its lo above this one's hi). All values on
/// one clock, in any unit (the caller's).
class checker {
public:
  void ran(std::int64_t lo, std::int64_t hi, std::int64_t now) {
    ++ran_;
    if (now < lo)
      ++early_;
    if (last_lo_ > hi)
      ++disorder_;
    last_lo_ = lo;
    if (now - hi > late_)
      late_ = now - hi;
  }
  std::size_t count() const { return ran_; }

  /// Prints the report line; returns the exit status (1 on a failed check).
  int report(double schedule_s, double finish_s, double late_unit_ms, std::size_t expected) const {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    std::printf("schedule_s=%.3f finish_s=%.3f rss_mb=%.1f ran=%zu early=%zu disorder=%zu "
                "late_ms=%.1f\n",
                schedule_s, finish_s, static_cast<double>(ru.ru_maxrss) / 1024.0, ran_, early_,
                disorder_, static_cast<double>(late_) * late_unit_ms);
    return ran_ == expected && early_ == 0 && disorder_ == 0 ? 0 : 1;
  }

private:
  std::size_t ran_ = 0, early_ = 0, disorder_ = 0;
  std::int64_t last_lo_ = INT64_MIN, late_ = 0;
};

/// A timer's deadline bounds, filled around the call that schedules it.
struct bounds {
  std::int64_t lo = 0, hi = 0;
};

inline double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

inline std::int64_t ns(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace timer_bench
