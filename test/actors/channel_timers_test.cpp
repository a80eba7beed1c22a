// Timers on the real clock: the engine's callback/loop/defer/cycle on a
// running engine thread and driven by poll(), and the same four calls on
// channels, where they run inside the channel's actor. Time is only ever
// bounded from below (a timer may be late, never early); every wait is
// bounded and waits for an event, never for a duration.

#include "pants/actors/detail/channel_timers.hpp"

#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"
#include "pants/engine/engine.hpp"
#include "support/loopback.hpp"
#include "support/recorder.hpp"

#define BOOST_TEST_MODULE channel_timers
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace pants;
using namespace pants::test;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto idle_limit = 300ms;

/// "ok" if at least `delay` passed since `start`, else how early it was.
std::string not_early(steady::time_point start, steady::duration delay) {
  auto elapsed = steady::now() - start;
  if (elapsed >= delay)
    return "ok";
  return "early by " +
         std::to_string(
             std::chrono::duration_cast<std::chrono::microseconds>(delay - elapsed).count()) +
         " us";
}

/// Simulated work in a timer: spins (yielding) until `done` or `limit`.
template <class Done> void busy_until(Done done, steady::duration limit) {
  auto until = steady::now() + limit;
  while (!done() && steady::now() < until)
    std::this_thread::yield();
}

struct fixture {
  engine eng;
  event_log log;
  engine_thread loop{eng};

  /// Logs `what` from an engine defer `delay` from now: "some other
  /// event", to wait for instead of sleeping.
  void later(std::chrono::milliseconds delay, const std::string& what = "later") {
    eng.defer(delay, [this, what] { log.add(what); });
  }
};

/// A server on 127.0.0.1 port 0 whose connections are recorders with the
/// fixture's hooks (set them before a client connects). Every channel it
/// made stays reachable through `made`.
struct channel_fixture : fixture {
  std::function<void(recorder&)> on_connect;
  std::function<void(recorder&, std::string_view)> on_read;
  std::mutex made_mtx;
  std::vector<std::shared_ptr<recorder>> made;
  std::shared_ptr<server> srv;

  channel_fixture() {
    srv = std::make_shared<server>(
        [this] {
          auto r = std::make_shared<recorder>(log, eng);
          r->connect_hook = on_connect;
          r->read_hook = on_read;
          std::lock_guard<std::mutex> guard(made_mtx);
          made.push_back(r);
          return r;
        },
        eng);
    srv->listen("127.0.0.1", 0);
  }
  ~channel_fixture() {
    // Tests close their channels; after a failed one, wait (bounded) for
    // the rest to close, so no callback runs into a destroyed log.
    srv->close();
    std::size_t n;
    {
      std::lock_guard<std::mutex> guard(made_mtx);
      n = made.size();
    }
    log.wait_count("close", n);
  }

  std::shared_ptr<recorder> channel(std::size_t i) {
    std::lock_guard<std::mutex> guard(made_mtx);
    return i < made.size() ? made[i] : nullptr;
  }

  /// Closes channel `i` from the test thread and waits for its on_close.
  void close_and_wait(std::size_t i, std::size_t closes) {
    channel(i)->close();
    BOOST_REQUIRE(log.wait_count("close", closes));
  }
};

/// A connection echoing what it reads, logging "connect", "close" and, from
/// its destructor, "destroyed".
struct counted_echo : connection {
  counted_echo(pants::engine& eng, event_log& log) : connection(eng), log_(log) {}
  ~counted_echo() override { log_.add("destroyed"); }
  std::function<void(counted_echo&)> hook;

protected:
  void on_connect() override {
    if (hook)
      hook(*this);
    log_.add("connect");
  }
  void on_read(std::string_view data) override { write(data); }
  void on_close() override { log_.add("close"); }

private:
  event_log& log_;
};

} // namespace

// -- engine timers on a running engine thread ---------------------------------------

BOOST_FIXTURE_TEST_SUITE(engine_timers, fixture)

BOOST_AUTO_TEST_CASE(callback_runs_in_the_engine_thread_after_the_scheduling_code_returns) {
  bool returned = false, saw_returned = false, in_engine = false; // engine thread only
  loop.call([&] {
    eng.callback([&] {
      saw_returned = returned;
      in_engine = eng.in_engine_thread();
      log.add("callback");
    });
    returned = true;
    return 0;
  });
  BOOST_REQUIRE(log.wait_count("callback"));
  BOOST_TEST(saw_returned);
  BOOST_TEST(in_engine);
}

BOOST_AUTO_TEST_CASE(callback_from_another_thread_gets_the_arguments_bound_when_scheduled) {
  std::string word = "bound";
  auto test_thread = std::this_thread::get_id();
  eng.callback(
      [&](const std::string& w, int n) {
        bool elsewhere = std::this_thread::get_id() != test_thread && eng.in_engine_thread();
        log.add(w + std::to_string(n) + (elsewhere ? " in engine" : " elsewhere"));
      },
      word, 7);
  word = "changed";
  BOOST_TEST(log.wait_count("bound7 in engine"));
}

BOOST_AUTO_TEST_CASE(defer_never_runs_before_its_delay_and_runs_in_deadline_order) {
  // Each deadline lies between (start + delay) and (end + delay), start and
  // end taken around the call: two timers whose ranges do not overlap must
  // run in the order of their deadlines.
  struct window {
    steady::time_point lo, hi;
  };
  std::vector<window> windows;
  std::vector<int> order; // engine thread only, read after the last run
  for (auto d : {50ms, 1ms, 20ms, 5ms}) {
    auto start = steady::now();
    int index = static_cast<int>(windows.size());
    eng.defer(d, [this, &order, index, start, d] {
      order.push_back(index);
      log.add(std::to_string(d.count()) + "ms " + not_early(start, d) +
              (eng.in_engine_thread() ? "" : " outside the engine thread"));
    });
    windows.push_back({start + d, steady::now() + d});
  }
  BOOST_REQUIRE(log.wait([](const auto& v) { return v.size() == 4; }));
  for (const auto& e : log.snapshot())
    BOOST_TEST(e.substr(e.find(' ')) == " ok", e);
  BOOST_REQUIRE(order.size() == 4u);
  for (std::size_t i = 0; i < order.size(); ++i)
    for (std::size_t j = i + 1; j < order.size(); ++j) {
      auto& first = windows[static_cast<std::size_t>(order[i])];
      auto& second = windows[static_cast<std::size_t>(order[j])];
      BOOST_TEST(!(second.hi < first.lo), "timer " << order[j] << " ran after " << order[i]);
    }
}

BOOST_AUTO_TEST_CASE(cycle_runs_repeatedly_and_never_after_cancel_from_another_thread_returns) {
  std::atomic<int> runs{0};
  auto t = eng.cycle(5ms, [&] {
    if (++runs == 3)
      log.add("three");
  });
  BOOST_REQUIRE(log.wait_count("three"));
  t.cancel();
  int after = runs;
  BOOST_TEST(t.cancelled());
  later(100ms); // twenty intervals
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(runs == after);
  t(); // cancelling again is harmless
}

BOOST_AUTO_TEST_CASE(cancel_from_another_thread_waits_for_a_run_in_progress) {
  std::atomic<bool> cancelling{false}, finished{false};
  std::atomic<int> runs{0};
  auto t = eng.cycle(5ms, [&] {
    if (++runs == 1)
      log.add("entered");
    // The run goes on until the test thread is about to cancel, then a while longer.
    busy_until([&] { return cancelling.load(); }, patience);
    busy_until([] { return false; }, 20ms);
    finished = true;
  });
  BOOST_REQUIRE(log.wait_count("entered"));
  cancelling = true;
  t.cancel();
  BOOST_TEST(finished.load()); // the run in progress ended before cancel returned
  later(50ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(runs == 1);
}

BOOST_AUTO_TEST_CASE(cycle_cancelled_from_inside_its_own_function_runs_no_more) {
  int runs = 0; // engine thread only
  loop.call([&] {
    auto self = std::make_shared<timer>();
    *self = eng.cycle(2ms, [&, self] {
      if (++runs == 3) {
        self->cancel();
        log.add("cancelled");
      }
    });
    return 0;
  });
  BOOST_REQUIRE(log.wait_count("cancelled"));
  later(50ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(loop.call([&] { return runs; }) == 3);
}

BOOST_AUTO_TEST_CASE(a_cancelled_defer_never_runs) {
  auto t = eng.defer(10ms, [this] { log.add("fired"); });
  t.cancel();
  later(60ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(log.count("fired") == 0u);
}

BOOST_AUTO_TEST_CASE(a_cycle_that_throws_keeps_running) {
  std::atomic<int> runs{0};
  auto t = eng.cycle(2ms, [&] {
    if (++runs == 3)
      log.add("third");
    throw std::runtime_error("channel_timers_test: an expected exception");
  });
  BOOST_TEST(log.wait_count("third"));
  t.cancel();
}

BOOST_AUTO_TEST_CASE(a_loop_keeps_running_with_nothing_else_to_wake_the_engine) {
  std::atomic<int> runs{0};
  auto t = eng.loop([&] {
    if (++runs == 1000)
      log.add("a thousand runs");
  });
  BOOST_TEST(log.wait_count("a thousand runs")); // the engine never slept waiting for I/O
  t.cancel();
}

BOOST_AUTO_TEST_CASE(loop_runs_in_the_engine_thread_while_an_echo_server_on_it_answers) {
  struct echo : connection {
    using connection::connection;
    void on_read(std::string_view data) override { write(data); }
  };
  auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng); }, eng);
  srv->listen("127.0.0.1", 0);
  std::atomic<long> runs{0};
  std::atomic<bool> outside{false};
  auto t = eng.loop([&] {
    ++runs;
    if (!eng.in_engine_thread())
      outside = true;
  });
  blocking_client c(srv->port());
  long first = -1;
  for (int i = 0; i < 100; ++i) {
    auto msg = "ping " + std::to_string(i) + "\n";
    c.send(msg);
    BOOST_REQUIRE(c.recv_exactly(msg.size()) == msg); // the loop never starves I/O
    if (first < 0)
      first = runs;
  }
  BOOST_TEST(runs > first); // and I/O never starved the loop
  t.cancel();
  long after = runs;
  c.send("after\n"); // served without the loop too, which stays stopped
  BOOST_TEST(c.recv_exactly(6) == "after\n");
  BOOST_TEST(runs == after);
  BOOST_TEST(!outside);
  srv->close();
  BOOST_TEST(loop.wait_no_handles());
}

BOOST_AUTO_TEST_SUITE_END()

// -- engine timers driven by poll() from the test thread ------------------------------

BOOST_AUTO_TEST_SUITE(engine_timers_driven_by_poll)

BOOST_AUTO_TEST_CASE(a_loop_runs_exactly_once_per_poll_in_the_polling_thread) {
  engine eng;
  int runs = 0;
  bool all_inside = true;
  auto t = eng.loop([&] {
    ++runs;
    all_inside = all_inside && eng.in_engine_thread();
  });
  for (int i = 0; i < 5; ++i)
    eng.poll(0ms);
  BOOST_TEST(runs == 5);
  BOOST_TEST(all_inside);
  t.cancel();
  for (int i = 0; i < 3; ++i)
    eng.poll(0ms);
  BOOST_TEST(runs == 5);
}

BOOST_AUTO_TEST_CASE(a_poll_waiting_longer_than_a_defer_runs_it_in_the_polling_thread) {
  engine eng;
  auto start = steady::now();
  bool fired = false;
  std::string early;
  std::thread::id ran_in;
  eng.defer(20ms, [&] {
    fired = true;
    early = not_early(start, 20ms);
    ran_in = std::this_thread::get_id();
  });
  int polls = 0;
  auto deadline = steady::now() + patience;
  while (!fired && steady::now() < deadline) {
    eng.poll(std::chrono::duration_cast<std::chrono::milliseconds>(patience));
    ++polls;
  }
  BOOST_REQUIRE(fired);
  BOOST_TEST(early == "ok");
  BOOST_TEST((ran_in == std::this_thread::get_id()));
  BOOST_TEST(polls == 1); // the due timer woke the blocked poll
}

BOOST_AUTO_TEST_CASE(a_cycle_keeps_running_across_polls_until_cancelled) {
  engine eng;
  int runs = 0;
  auto t = eng.cycle(2ms, [&] { ++runs; });
  auto deadline = steady::now() + patience;
  while (runs < 3 && steady::now() < deadline)
    eng.poll(10ms);
  BOOST_REQUIRE(runs >= 3);
  t.cancel();
  int after = runs;
  bool later = false;
  eng.defer(30ms, [&] { later = true; });
  while (!later && steady::now() < deadline)
    eng.poll(10ms);
  BOOST_REQUIRE(later);
  BOOST_TEST(runs == after);
}

BOOST_AUTO_TEST_SUITE_END()

// -- channel timers -------------------------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(channel_timers_suite, channel_fixture)

BOOST_AUTO_TEST_CASE(all_four_run_inside_the_channels_actor_not_the_engine_thread) {
  auto test_thread = std::this_thread::get_id();
  auto where = [this, test_thread](const std::string& name) {
    if (eng.in_engine_thread())
      return name + " in the engine thread";
    if (std::this_thread::get_id() == test_thread)
      return name + " in the test thread";
    return name + " in an actor";
  };
  on_connect = [&, where](recorder& r) {
    auto returned = std::make_shared<bool>(false);
    r.callback([this, where, returned] {
      log.add(where("callback") + (*returned ? "" : " before its scheduler returned"));
    });
    r.defer(5ms, [this, where] { log.add(where("defer")); });
    auto cycle = std::make_shared<timer>();
    *cycle = r.cycle(2ms, [this, where, cycle] {
      log.add(where("cycle"));
      cycle->cancel();
    });
    auto spin = std::make_shared<timer>();
    *spin = r.loop([this, where, spin] {
      log.add(where("loop"));
      spin->cancel();
    });
    *returned = true;
  };
  blocking_client c(srv->port());
  for (auto e :
       {"callback in an actor", "defer in an actor", "cycle in an actor", "loop in an actor"})
    BOOST_TEST(log.wait_count(e), e);
  later(30ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(log.snapshot().size() == 6u); // connect, four timers once each, later
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_channel_cycle_never_runs_while_a_handler_of_the_channel_runs) {
  std::atomic<bool> release{false};
  on_connect = [this](recorder& r) { r.cycle(2ms, [this] { log.add("tick"); }); };
  on_read = [&](recorder&, std::string_view) {
    log.add("blocked");
    later(60ms); // thirty intervals pass while the handler holds the actor
    busy_until([&] { return release.load(); }, patience);
    log.add("unblocked");
  };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("tick", 2));
  c.send("x");
  BOOST_REQUIRE(log.wait_count("later"));
  release = true;
  BOOST_REQUIRE(log.wait_count("unblocked"));
  auto ticks_before = log.count("tick");
  BOOST_TEST(log.wait_count("tick", ticks_before + 2)); // and it resumes afterwards
  auto v = log.snapshot();
  auto b = std::find(v.begin(), v.end(), "blocked");
  auto u = std::find(v.begin(), v.end(), "unblocked");
  BOOST_REQUIRE((b < u));
  BOOST_TEST(std::count(b, u, "tick") == 0);
  BOOST_TEST(std::count(b, u, "later") == 1);
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_handler_and_a_cycle_share_a_plain_counter_without_a_race) {
  struct shared_state {
    int plain = 0; // touched by the handler and the cycle, never locked
    std::atomic<int> reads{0}, ticks{0}, inside{0}, overlaps{0};
    timer cycle;
    void enter() {
      if (inside.fetch_add(1) != 0)
        ++overlaps;
    }
    void leave() { inside.fetch_sub(1); }
  };
  auto s = std::make_shared<shared_state>();
  on_connect = [s](recorder& r) {
    s->cycle = r.cycle(1ms, [s] {
      s->enter();
      ++s->plain;
      ++s->ticks;
      s->leave();
    });
  };
  on_read = [this, s](recorder& r, std::string_view data) {
    s->enter();
    if (data == "end") {
      s->cycle.cancel();
      log.add("total " + std::to_string(s->plain) + " of " + std::to_string(s->reads + s->ticks));
    } else {
      ++s->plain;
      ++s->reads;
      r.write("k");
    }
    s->leave();
  };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("connect"));
  // 300 reads, and more until the cycle has ticked at least once (bounded):
  // CI saw no tick within 300 round trips once, on a loaded machine.
  int sent = 0;
  for (auto deadline = std::chrono::steady_clock::now() + patience;
       sent < 300 || (s->ticks == 0 && std::chrono::steady_clock::now() < deadline); ++sent) {
    c.send("x");
    BOOST_REQUIRE(c.recv_exactly(1) == "k");
  }
  c.send("end");
  BOOST_REQUIRE(log.wait([](const auto& v) { return v.back().rfind("total", 0) == 0; }));
  BOOST_TEST(s->reads == sent);
  BOOST_TEST(s->ticks > 0);
  BOOST_TEST(log.snapshot().back() ==
             "total " + std::to_string(sent + s->ticks) + " of " + std::to_string(sent + s->ticks));
  BOOST_TEST(s->overlaps == 0);
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(callback_and_defer_may_write_to_the_channel_and_defer_is_never_early) {
  on_connect = [this](recorder& r) {
    auto start = steady::now();
    r.defer(30ms, [this, &r, start] {
      r.write("from defer\n");
      log.add("defer " + not_early(start, 30ms));
    });
    r.callback([&r] { r.write("from callback\n"); });
  };
  blocking_client c(srv->port());
  BOOST_TEST(c.recv_exactly(25) == "from callback\nfrom defer\n");
  BOOST_TEST(log.wait_count("defer ok"));
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(an_idle_timeout_closes_a_quiet_connection_and_not_a_talking_one) {
  struct idle_echo : recorder {
    using recorder::recorder;
    timer idle;
    void arm() {
      idle.cancel();
      idle = defer(idle_limit, [this] {
        write("idle\n");
        end();
      });
    }
  };
  on_connect = [](recorder& r) { static_cast<idle_echo&>(r).arm(); };
  on_read = [](recorder& r, std::string_view data) {
    r.write(data);
    static_cast<idle_echo&>(r).arm();
  };
  srv->close();
  srv = std::make_shared<server>(
      [this] {
        auto r = std::make_shared<idle_echo>(log, eng);
        r->connect_hook = on_connect;
        r->read_hook = on_read;
        return r;
      },
      eng);
  srv->listen("127.0.0.1", 0);

  blocking_client talker(srv->port());
  talker.send("hi");
  BOOST_REQUIRE(talker.recv_exactly(2) == "hi");
  auto quiet_start = steady::now();
  blocking_client quiet(srv->port()); // younger than the talker
  int pings = 0;
  pollfd p{quiet.fd(), POLLIN, 0};
  auto deadline = steady::now() + patience;
  // The talker pings until the quiet one hears from the server; each wait
  // for that is bounded and far shorter than the limit.
  while (::poll(&p, 1, 20) == 0 && steady::now() < deadline) {
    talker.send("ping");
    BOOST_REQUIRE(talker.recv_exactly(4) == "ping");
    ++pings;
  }
  BOOST_TEST(quiet.recv_all() == "idle\n");
  BOOST_TEST(not_early(quiet_start, idle_limit) == "ok");
  BOOST_TEST(pings > 0);
  talker.send("still here"); // talked for longer than the limit, still open
  BOOST_TEST(talker.recv_exactly(10) == "still here");
  BOOST_TEST(log.wait_count("close", 1));
  talker.shutdown_write();
  BOOST_TEST(talker.recv_all() == "");
  BOOST_TEST(log.wait_count("close", 2));
}

BOOST_AUTO_TEST_CASE(closing_a_channel_cancels_all_its_timers_and_refuses_new_ones) {
  std::atomic<int> ticks{0}, spins{0};
  std::vector<timer> handles; // written in the actor before the first tick
  on_connect = [&](recorder& r) {
    handles.push_back(r.cycle(2ms, [&] {
      if (++ticks == 2)
        log.add("two ticks");
    }));
    handles.push_back(r.loop([&] { ++spins; }));
    handles.push_back(r.defer(100ms, [this] { log.add("defer ran"); }));
  };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("two ticks"));
  c.reset();
  BOOST_REQUIRE(log.wait_count("close"));
  int ticks_after = ticks, spins_after = spins;
  later(200ms); // past the defer's deadline, a hundred cycle intervals
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(ticks == ticks_after);
  BOOST_TEST(spins == spins_after);
  BOOST_TEST(log.count("defer ran") == 0u);
  for (auto& h : handles)
    BOOST_TEST(h.cancelled());
  auto r = channel(0);
  BOOST_CHECK_THROW(r->callback([] {}), state_error);
  BOOST_CHECK_THROW(r->loop([] {}), state_error);
  BOOST_CHECK_THROW(r->defer(1ms, [] {}), state_error);
  BOOST_CHECK_THROW(r->cycle(1ms, [] {}), state_error);
}

BOOST_AUTO_TEST_CASE(closing_from_inside_a_channel_timer_stops_its_cycle) {
  std::atomic<int> ticks{0};
  on_connect = [&](recorder& r) {
    r.cycle(2ms, [&] { ++ticks; });
    r.defer(20ms, [&r] { r.close(); });
  };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("close"));
  BOOST_TEST(c.peer_closed());
  int after = ticks;
  later(50ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(ticks == after);
}

BOOST_AUTO_TEST_CASE(a_closed_channel_with_long_timers_pending_is_released) {
  srv->close();
  srv = std::make_shared<server>(
      [this] {
        auto ch = std::make_shared<counted_echo>(eng, log);
        ch->hook = [](counted_echo& self) {
          self.defer(std::chrono::hours(1), [] {});
          self.cycle(std::chrono::hours(1), [] {});
          self.defer(std::chrono::hours(24 * 365 * 1000), [] {}); // never fires
          // A timer holding the channel itself must not keep it alive either.
          self.defer(std::chrono::hours(1), [keep = self.shared_from_this()] {});
        };
        return ch;
      },
      eng);
  srv->listen("127.0.0.1", 0);
  {
    blocking_client c(srv->port());
    BOOST_REQUIRE(log.wait_count("connect"));
    c.send("hello");
    BOOST_REQUIRE(c.recv_exactly(5) == "hello");
  }
  BOOST_TEST(log.wait_count("close"));
  BOOST_TEST(log.wait_count("destroyed"));
}

BOOST_AUTO_TEST_CASE(an_exception_from_a_channel_timer_goes_to_on_error_and_the_cycle_goes_on) {
  std::atomic<int> runs{0};
  on_connect = [&](recorder& r) {
    r.cycle(2ms, [&] {
      if (++runs <= 2)
        throw std::runtime_error("boom");
      if (runs == 3)
        log.add("third run");
    });
    r.defer(1ms, [] { throw std::runtime_error("deferred boom"); });
  };
  on_read = [](recorder& r, std::string_view data) { r.write(data); };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("third run"));
  BOOST_TEST(log.count("error:boom") == 2u);
  BOOST_TEST(log.wait_count("error:deferred boom"));
  c.send("alive");
  BOOST_TEST(c.recv_exactly(5) == "alive");
  BOOST_TEST(log.count("close") == 0u);
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_non_standard_exception_from_a_channel_timer_goes_to_on_error_too) {
  on_connect = [](recorder& r) { r.callback([] { throw 42; }); };
  blocking_client c(srv->port());
  BOOST_TEST(log.wait_count("error:a timer threw an exception not derived from std::exception"));
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_channel_cycle_never_runs_after_cancel_from_another_thread_returns) {
  std::atomic<bool> cancelling{false}, finished{false};
  std::atomic<int> runs{0};
  timer t; // written in the actor before the first run
  on_connect = [&](recorder& r) {
    t = r.cycle(2ms, [&] {
      if (++runs == 1)
        log.add("entered");
      busy_until([&] { return cancelling.load(); }, patience);
      busy_until([] { return false; }, 20ms);
      finished = true;
    });
  };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("entered"));
  cancelling = true;
  t.cancel();
  BOOST_TEST(finished.load());
  later(50ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(runs == 1);
  BOOST_TEST(channel(0)->connected()); // cancelling a timer leaves the channel open
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_channel_loop_runs_repeatedly_while_the_channel_reads_until_cancelled) {
  std::atomic<long> runs{0};
  std::atomic<bool> in_engine{false}, mark{false};
  timer t; // written in the actor before the first run
  on_connect = [&](recorder& r) {
    t = r.loop([&] {
      if (eng.in_engine_thread())
        in_engine = true;
      if (++runs == 10)
        log.add("ten");
      if (mark.exchange(false))
        log.add("ran after the pings");
    });
  };
  on_read = [](recorder& r, std::string_view data) { r.write(data); };
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("ten"));
  for (int i = 0; i < 50; ++i) {
    c.send("ping");
    BOOST_REQUIRE(c.recv_exactly(4) == "ping");
  }
  mark = true;
  BOOST_TEST(log.wait_count("ran after the pings")); // I/O never starved the loop
  t.cancel();
  long after = runs;
  later(30ms);
  BOOST_REQUIRE(log.wait_count("later"));
  BOOST_TEST(runs == after);
  BOOST_TEST(!in_engine);
  c.send("done");
  BOOST_TEST(c.recv_exactly(4) == "done");
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(scheduling_on_a_channel_before_connect_throws_state_error) {
  auto c = std::make_shared<client>(eng);
  BOOST_CHECK_THROW(c->callback([] {}), state_error);
  BOOST_CHECK_THROW(c->loop([] {}), state_error);
  BOOST_CHECK_THROW(c->defer(1ms, [] {}), state_error);
  BOOST_CHECK_THROW(c->cycle(1ms, [] {}), state_error);
}

BOOST_AUTO_TEST_CASE(a_delay_or_interval_of_zero_or_less_throws_invalid_argument) {
  blocking_client c(srv->port());
  BOOST_REQUIRE(log.wait_count("connect"));
  auto r = channel(0);
  BOOST_CHECK_THROW(r->defer(0ms, [] {}), std::invalid_argument);
  BOOST_CHECK_THROW(r->defer(-1ms, [] {}), std::invalid_argument);
  BOOST_CHECK_THROW(r->cycle(0ms, [] {}), std::invalid_argument);
  BOOST_CHECK_THROW(r->cycle(-std::chrono::hours(1), [] {}), std::invalid_argument);
  BOOST_CHECK_THROW(eng.defer(0ms, [] {}), std::invalid_argument);
  BOOST_CHECK_THROW(eng.cycle(std::chrono::seconds(-1), [] {}), std::invalid_argument);
  r->defer(1ms, [this] { log.add("still schedules"); });
  BOOST_TEST(log.wait_count("still schedules"));
  close_and_wait(0, 1);
}

BOOST_AUTO_TEST_CASE(a_client_may_schedule_timers_once_connecting) {
  event_log client_log;
  auto cl = std::make_shared<client_recorder>(client_log, eng);
  on_read = [](recorder& r, std::string_view data) { r.write(data); };
  cl->connect_hook = [](client_recorder& self) {
    self.defer(5ms, [&self] { self.write("deferred hello"); });
  };
  cl->read_hook = [](client_recorder& self, std::string_view) { self.close(); };
  cl->connect(srv->port());
  cl->callback([&client_log] { client_log.add("callback while connecting"); });
  BOOST_TEST(client_log.wait_count("read:deferred hello"));
  BOOST_TEST(client_log.wait_count("close"));
  BOOST_TEST(client_log.count("callback while connecting") == 1u);
  BOOST_TEST(log.wait_count("close"));
}

BOOST_AUTO_TEST_SUITE_END()
