// The timer benchmark on Boost.Asio: one steady_timer per timer, one
// io_context on one thread (see timer_common.hpp for what is measured).
#include "timer_common.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

using namespace timer_bench;

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  boost::asio::io_context io;
  checker check;
  std::size_t expected = o.cancel ? (o.n + 1) / 2 : o.n;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  timers.reserve(o.n);
  std::vector<bounds> due(o.n);
  auto start = clock::now();
  for (std::size_t i = 0; i < o.n; ++i) {
    auto d = delay_ms(i, o.n);
    auto* b = &due[i];
    b->lo = ns(clock::now()) + d * 1000000;
    timers.push_back(std::make_unique<boost::asio::steady_timer>(io, std::chrono::milliseconds(d)));
    b->hi = ns(clock::now()) + d * 1000000;
    timers.back()->async_wait([&check, b](const boost::system::error_code& ec) {
      if (!ec)
        check.ran(b->lo, b->hi, ns(clock::now()));
    });
  }
  if (o.cancel)
    for (std::size_t i = 1; i < o.n; i += 2)
      timers[i]->cancel();
  double schedule_s = seconds_since(start);
  io.run();
  return check.report(schedule_s, seconds_since(start), 1e-6, expected);
}
