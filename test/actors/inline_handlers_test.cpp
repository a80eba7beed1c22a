#include "pants/actors/stream_server.hpp"

#include "pants/actors/runtime.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE inline_handlers
#include <boost/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

// Inline handlers are on in this suite (configured below) unless
// PANTS_INLINE says otherwise (ctest also runs it with PANTS_INLINE=never).
bool inline_on() {
  const char* v = std::getenv("PANTS_INLINE");
  return v == nullptr || *v == '\0' || std::string(v) == "auto";
}

struct configure_inline {
  configure_inline() {
    if (inline_on()) {
      runtime_options o;
      o.inline_handlers = "auto";
      configure(o);
    }
  }
};
BOOST_TEST_GLOBAL_FIXTURE(configure_inline);

/// The threads that ran on_read, in order.
struct thread_log {
  std::mutex mtx;
  std::vector<std::thread::id> ids;
  void add() {
    std::lock_guard<std::mutex> guard(mtx);
    ids.push_back(std::this_thread::get_id());
  }
  std::vector<std::thread::id> snapshot() {
    std::lock_guard<std::mutex> guard(mtx);
    return ids;
  }
};

struct echo : connection {
  echo(pants::engine& eng, thread_log& t) : connection(eng), threads(t) {}
  void on_read(std::string_view data) override {
    threads.add();
    if (data == "slow")
      std::this_thread::sleep_for(100ms); // the deliberately blocking handler
    write(data);
  }
  thread_log& threads;
};

struct fixture {
  engine eng;
  thread_log threads;
  event_log log;
  std::optional<engine_thread> loop{std::in_place, eng};
  std::thread::id engine_id = loop->call([] { return std::this_thread::get_id(); });

  std::shared_ptr<server> echo_server() {
    auto srv =
        std::make_shared<server>([this] { return std::make_shared<echo>(eng, threads); }, eng);
    srv->listen("127.0.0.1", 0);
    return srv;
  }

  static void ping_pong(blocking_client& c, int n) {
    for (int i = 0; i < n; ++i) {
      c.send("ping");
      BOOST_REQUIRE(c.recv_exactly(4) == "ping");
    }
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(inline_handlers_suite, fixture)

BOOST_AUTO_TEST_CASE(on_read_runs_on_the_engine_thread_with_auto_and_on_a_worker_with_never) {
  auto srv = echo_server();
  blocking_client c(srv->port());
  ping_pong(c, 50);
  auto ids = threads.snapshot();
  BOOST_REQUIRE(ids.size() == 50u);
  std::size_t on_engine = 0;
  for (auto id : ids)
    on_engine += id == engine_id;
  if (inline_on())
    BOOST_TEST(on_engine == ids.size());
  else
    BOOST_TEST(on_engine == 0u);
  srv->close();
}

BOOST_AUTO_TEST_CASE(a_handler_blocking_100ms_moves_to_the_workers_and_others_keep_answering) {
  auto srv = echo_server();
  blocking_client slow(srv->port());
  blocking_client fast(srv->port());
  ping_pong(fast, 1);
  ping_pong(slow, 1); // a channel's first turn is not judged
  slow.send("slow");  // its first long turn may hold the engine thread once
  BOOST_REQUIRE(slow.recv_exactly(4) == "slow");
  auto repeat = std::async(std::launch::async, [&slow] {
    for (int i = 0; i < 5; ++i) {
      slow.send("slow");
      if (slow.recv_exactly(4) != "slow")
        return false;
    }
    return true;
  });
  // While the slow channel blocks again and again, each echo comes back
  // in far less than one of its turns.
  auto until = std::chrono::steady_clock::now() + 400ms;
  int answered = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto t0 = std::chrono::steady_clock::now();
    fast.send("ping");
    BOOST_REQUIRE(fast.recv_exactly(4) == "ping");
    auto took = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(std::chrono::duration_cast<std::chrono::microseconds>(took).count() < 150'000);
    ++answered;
  }
  BOOST_TEST(answered > 10);
  BOOST_TEST(repeat.get());
  srv->close();
}

BOOST_AUTO_TEST_CASE(a_handler_waiting_on_another_actor_does_not_deadlock) {
  auto helper = pants::actor_system().spawn(
      [](caf::event_based_actor*) -> caf::behavior { return {[](int x) { return x + 1; }}; });
  struct asking : connection {
    asking(pants::engine& e, caf::actor h) : connection(e), helper_(std::move(h)) {}
    void on_read(std::string_view) override {
      caf::scoped_actor self{pants::actor_system()};
      std::string answer = "none";
      self->request(helper_, std::chrono::seconds(5), 41)
          .receive([&](int x) { answer = std::to_string(x); }, [&](caf::error&) {});
      write(answer);
    }
    caf::actor helper_;
  };
  auto srv = std::make_shared<server>([&] { return std::make_shared<asking>(eng, helper); }, eng);
  srv->listen("127.0.0.1", 0);
  blocking_client c(srv->port());
  for (int i = 0; i < 3; ++i) {
    c.send("?");
    BOOST_TEST(c.recv_exactly(2) == "42");
  }
  srv->close();
  caf::anon_send_exit(helper, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(on_close_runs_exactly_once_and_last) {
  struct recording : connection {
    recording(pants::engine& e, event_log& l) : connection(e), log_(l) {}
    void on_read(std::string_view data) override {
      log_.add("read");
      write(data);
    }
    void on_close() override { log_.add("close"); }
    event_log& log_;
  };
  auto srv = std::make_shared<server>([&] { return std::make_shared<recording>(eng, log); }, eng);
  srv->listen("127.0.0.1", 0);
  {
    blocking_client c(srv->port());
    ping_pong(c, 20);
  }
  BOOST_REQUIRE(log.wait_count("close"));
  srv->close();
  BOOST_REQUIRE(loop->wait_no_handles());
  auto v = log.snapshot();
  BOOST_TEST(log.count("close") == 1u);
  BOOST_TEST(v.back() == "close");
  BOOST_TEST(log.count("read") == 20u);
}

BOOST_AUTO_TEST_CASE(the_engine_stopping_with_handlers_pending_returns_and_nothing_is_lost) {
  // Handlers just under the heavy mark, more of them than one iteration's
  // budget holds; the engine is told to stop while they are being read.
  struct busy : connection {
    busy(pants::engine& e, event_log& l) : connection(e), log_(l) {}
    void on_connect() override { log_.add("connect"); }
    void on_read(std::string_view) override {
      auto until = std::chrono::steady_clock::now() + 150us;
      while (std::chrono::steady_clock::now() < until) {
      }
      log_.add("read");
    }
    event_log& log_;
  };
  auto srv = std::make_shared<server>([&] { return std::make_shared<busy>(eng, log); }, eng);
  srv->listen("127.0.0.1", 0);
  constexpr std::size_t n = 20;
  std::vector<std::unique_ptr<blocking_client>> clients;
  for (std::size_t i = 0; i < n; ++i)
    clients.push_back(std::make_unique<blocking_client>(srv->port()));
  BOOST_REQUIRE(log.wait_count("connect", n));
  // Hold the engine while every client sends, then stop it.
  std::promise<void> sent;
  auto all_sent = sent.get_future().share();
  auto stopping = std::make_shared<std::promise<void>>();
  auto stopped_in_engine = stopping->get_future();
  eng.post([this, all_sent, stopping] {
    all_sent.wait_for(patience);
    eng.stop();
    stopping->set_value();
  });
  for (auto& c : clients)
    c->send("x");
  sent.set_value();
  // The task ran in this run of the engine, not a later one.
  BOOST_REQUIRE(stopped_in_engine.wait_for(patience) == std::future_status::ready);
  auto joined = std::async(std::launch::async, [this] { loop.reset(); });
  BOOST_REQUIRE(joined.wait_for(patience) == std::future_status::ready); // start() returned
  loop.emplace(eng);
  BOOST_TEST(log.wait_count("read", n)); // what was read was handled, the rest after
  srv->close();
  clients.clear();
  BOOST_TEST(loop->wait_no_handles());
}

BOOST_AUTO_TEST_SUITE_END()
