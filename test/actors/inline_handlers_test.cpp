#include "pants/actors/stream_server.hpp"

#include "pants/actors/detail/engine_unit.hpp"
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
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

// Inline handlers are on by default; ctest also runs this suite with
// PANTS_INLINE=never.
bool inline_on() {
  const char* v = std::getenv("PANTS_INLINE");
  return v == nullptr || *v == '\0' || std::string(v) == "auto";
}

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

// First in this file: before any channel starts the runtime (configure
// throws state_error after that).
BOOST_AUTO_TEST_CASE(configure_refuses_an_unknown_inline_handlers_name) {
  runtime_options bad;
  bad.inline_handlers = "sometimes";
  BOOST_CHECK_THROW(configure(bad), std::invalid_argument);
  runtime_options mode;
  mode.inline_handlers = inline_on() ? "auto" : "never";
  BOOST_CHECK_NO_THROW(configure(mode));
}

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
  // Inline is opportunistic: a turn the engine thread was preempted in looks
  // long (the channel may be marked heavy) or needs a relief (messages read
  // meanwhile go to the workers). Without either, every message ran inline.
  if (inline_on()) {
    auto unit = detail::engine_unit::for_engine(eng);
    BOOST_REQUIRE(unit);
    BOOST_TEST(on_engine > 0u);
    if (eng.reliefs() == 0 && unit->heavy_verdicts() == 0)
      BOOST_TEST(on_engine == ids.size());
    else
      BOOST_TEST_MESSAGE("reliefs " << eng.reliefs() << ", heavy verdicts "
                                    << unit->heavy_verdicts() << ": " << on_engine << " of "
                                    << ids.size() << " inline");
  } else {
    BOOST_TEST(on_engine == 0u);
  }
  srv->close();
}

BOOST_AUTO_TEST_CASE(a_blocked_handler_holds_up_only_itself_and_then_moves_to_the_workers) {
  // On "block" the handler waits until another channel of the same engine
  // has been served: with inline turns only the engine's relief thread,
  // polling while the engine thread is held, can make that happen.
  struct gated : connection {
    gated(pants::engine& e, event_log& l, thread_log& t) : connection(e), log_(l), threads_(t) {}
    void on_read(std::string_view data) override {
      if (data == "block") {
        threads_.add();
        log_.add("blocking");
        bool served = log_.wait_count("fast_served", ++rounds_);
        log_.add(served ? "released" : "timed_out");
      }
      write(data);
    }
    event_log& log_;
    thread_log& threads_;
    std::size_t rounds_ = 0;
  };
  auto srv =
      std::make_shared<server>([this] { return std::make_shared<gated>(eng, log, threads); }, eng);
  srv->listen("127.0.0.1", 0);
  blocking_client slow(srv->port());
  blocking_client fast(srv->port());
  ping_pong(fast, 1);
  ping_pong(slow, 1);
  // More rounds than one turn handles messages (engine_unit::max_throughput):
  // a message that arrives while the slow actor's turn still runs is handled
  // in that turn, wherever it runs.
  constexpr std::size_t rounds = detail::engine_unit::max_throughput + 2;
  for (std::size_t round = 1; round <= rounds; ++round) {
    slow.send("block");
    BOOST_REQUIRE(log.wait_count("blocking", round));
    ping_pong(fast, 1); // while the slow handler blocks
    log.add("fast_served");
    BOOST_REQUIRE(slow.recv_exactly(5) == "block");
  }
  BOOST_TEST(log.count("released") == rounds);
  BOOST_TEST(log.count("timed_out") == 0u);
  auto ids = threads.snapshot();
  BOOST_REQUIRE(ids.size() == rounds);
  if (inline_on()) {
    // The first blocked turn held the engine thread until relieved; the
    // channel is heavy from then on, and once that turn has ended its
    // handler blocks a worker instead.
    BOOST_TEST(eng.reliefs() >= 1u);
    BOOST_TEST((ids.front() == engine_id));
    BOOST_TEST((ids.back() != engine_id));
  } else {
    BOOST_TEST(eng.reliefs() == 0u);
    for (auto id : ids)
      BOOST_TEST((id != engine_id));
  }
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
  // Handlers of 150 us, more of them than one iteration's budget holds
  // (one turn each, so none is judged heavy: that takes two long turns); the engine is told to
  // stop while they are being read.
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
  BOOST_REQUIRE(loop->wait_returned()); // start() returned
  loop.reset();
  loop.emplace(eng);
  BOOST_TEST(log.wait_count("read", n)); // what was read was handled, the rest after
  srv->close();
  clients.clear();
  BOOST_TEST(loop->wait_no_handles());
}

BOOST_AUTO_TEST_SUITE_END()
