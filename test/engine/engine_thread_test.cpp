// The engine's thread rules in code: run_in_loop runs at once on the engine
// thread and posts from any other, and an engine-thread-only member called
// from another thread while the engine polls aborts with its name (in
// builds with PANTS_THREAD_CHECKS, the default). And the engine without the
// actors layer: no clock unless one is given.
#include "pants/engine/engine.hpp"

#include "support/loopback.hpp"

#define BOOST_TEST_MODULE engine_thread
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <future>
#include <memory>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace pants;
using namespace pants::test;

namespace {

struct no_op : io_handler {
  void handle_io(std::uint32_t) override {}
};

/// What a forked child printed on stderr and how it ended.
struct child_result {
  int status = 0;
  std::string err;
};

/// Runs `body` in a forked child with stderr on a pipe; `body` must end
/// the child itself (exit or abort). Bounded: the child is killed after
/// `patience`.
template <class F> child_result in_child(F body) {
  int err[2];
  BOOST_TEST_REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGABRT, SIG_DFL); // Boost.Test's handler would report it as a failure
    ::dup2(err[1], 2);
    body();
    ::_exit(0);
  }
  ::close(err[1]);
  child_result out;
  auto deadline = std::chrono::steady_clock::now() + patience;
  char buf[512];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{err[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    auto n = ::read(err[0], buf, sizeof buf);
    if (n > 0)
      out.err.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(err[0]);
  while (::waitpid(pid, &out.status, 0) < 0 && errno == EINTR) {
  }
  return out;
}

/// An iteration observer that records what the engine tells it, and whose
/// `iteration_ends` blocks once, when asked, until released (bounded).
struct blocking_observer : iteration_observer {
  std::atomic<int> begins{0}, ends{0}, reliefs{0};
  std::atomic<bool> engine_thread_at_end{false};
  std::atomic<bool> block_next{false};
  std::promise<void> blocked_promise, release_promise;
  std::shared_future<void> release = release_promise.get_future().share();
  std::atomic<bool> released_in_time{false};
  std::atomic<std::thread::id> end_thread{};
  engine* eng = nullptr;

  void iteration_begins() noexcept override { ++begins; }
  void iteration_ends() noexcept override {
    engine_thread_at_end = eng->in_engine_thread();
    end_thread = std::this_thread::get_id();
    if (block_next.exchange(false)) {
      blocked_promise.set_value();
      released_in_time = release.wait_for(patience) == std::future_status::ready;
    }
    ++ends;
  }
  void relieve() noexcept override { ++reliefs; }
  bool has_work() noexcept override { return false; }
};

std::shared_ptr<blocking_observer> observe(engine& eng) {
  auto obs = std::make_shared<blocking_observer>();
  obs->eng = &eng;
  BOOST_TEST_REQUIRE((eng.observe(obs) == obs));
  return obs;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_observer_is_told_around_every_iteration_outside_the_engine_thread) {
  engine eng;
  auto obs = observe(eng);
  BOOST_TEST((eng.observe(std::make_shared<blocking_observer>()) == obs)); // never replaced
  for (int i = 0; i < 3; ++i)
    eng.poll(std::chrono::milliseconds(0));
  BOOST_TEST(obs->begins == 3);
  BOOST_TEST(obs->ends == 3);
  BOOST_TEST(!obs->engine_thread_at_end); // its work posts to the loop like a worker's
  BOOST_TEST(eng.reliefs() == 0u);
}

BOOST_AUTO_TEST_CASE(an_iteration_end_that_blocks_is_relieved_and_the_engine_serves_meanwhile) {
  engine eng;
  auto obs = observe(eng);
  engine_thread t(eng);
  auto start_thread = t.call([] { return std::this_thread::get_id(); });
  obs->block_next = true;
  auto blocked = obs->blocked_promise.get_future();
  eng.post([] {}); // an iteration, whose end blocks
  BOOST_TEST_REQUIRE((blocked.wait_for(patience) == std::future_status::ready));
  // Only another thread polling the engine can run this task and so
  // release the blocked end.
  std::promise<std::thread::id> ran_on;
  auto where = ran_on.get_future();
  eng.post([&] {
    ran_on.set_value(std::this_thread::get_id());
    obs->release_promise.set_value();
  });
  BOOST_TEST_REQUIRE((where.wait_for(patience) == std::future_status::ready));
  auto relief_thread = where.get();
  BOOST_TEST((relief_thread != start_thread));
  // The blocked thread takes the engine back once its end returns: tasks
  // run there again (those posted before that may still run on the relief).
  bool back = false;
  for (auto deadline = std::chrono::steady_clock::now() + patience;
       !back && std::chrono::steady_clock::now() < deadline;)
    back = t.call([] { return std::this_thread::get_id(); }) == start_thread;
  BOOST_TEST(back);
  BOOST_TEST(obs->released_in_time);
  BOOST_TEST(obs->reliefs == 1);
  BOOST_TEST(eng.reliefs() == 1u);
  BOOST_TEST((obs->end_thread == start_thread));
}

BOOST_AUTO_TEST_CASE(stop_while_relieved_makes_start_return_once_the_blocked_end_returns) {
  engine eng;
  auto obs = observe(eng);
  std::optional<engine_thread> t(std::in_place, eng);
  obs->block_next = true;
  auto blocked = obs->blocked_promise.get_future();
  eng.post([] {});
  BOOST_TEST_REQUIRE((blocked.wait_for(patience) == std::future_status::ready));
  std::promise<void> relieved;
  auto relieved_future = relieved.get_future();
  eng.post([&] { relieved.set_value(); }); // runs once the relief thread polls
  BOOST_TEST_REQUIRE((relieved_future.wait_for(patience) == std::future_status::ready));
  eng.stop();
  obs->release_promise.set_value();
  BOOST_TEST(t->wait_returned()); // start() returns once the blocked turn does
  t.reset();
  BOOST_TEST(!eng.running());
  // The engine can be started again, and serves as before.
  t.emplace(eng);
  BOOST_TEST((t->call([] { return 7; }) == 7));
}

BOOST_AUTO_TEST_CASE(run_in_loop_runs_at_once_in_the_engine_thread) {
  engine eng;
  bool ran = false, ran_inside = false;
  eng.post([&] {
    eng.run_in_loop([&] { ran = true; });
    ran_inside = ran; // already ran, before run_in_loop returned
  });
  eng.poll(std::chrono::milliseconds(0));
  BOOST_TEST(ran_inside);
}

BOOST_AUTO_TEST_CASE(run_in_loop_from_another_thread_posts_to_the_engine_thread) {
  engine eng;
  engine_thread t(eng);
  std::promise<std::thread::id> where;
  auto ran = where.get_future();
  eng.run_in_loop([&] { where.set_value(std::this_thread::get_id()); });
  BOOST_TEST_REQUIRE((ran.wait_for(patience) == std::future_status::ready));
  auto engine_thread_id = t.call([] { return std::this_thread::get_id(); });
  BOOST_TEST((ran.get() == engine_thread_id));
}

BOOST_AUTO_TEST_CASE(registration_before_the_engine_runs_is_allowed_from_any_one_thread) {
  engine eng;
  int sv[2];
  BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  eng.add(sv[0], io_event::readable, std::make_shared<no_op>());
  eng.modify(sv[0], io_event::writable);
  eng.remove(sv[0]);
  BOOST_TEST(eng.size() == 0u);
  ::close(sv[0]);
  ::close(sv[1]);
}

// This suite links the engine and channel layers only: no clock is installed.
BOOST_AUTO_TEST_CASE(defer_on_an_engine_without_a_clock_throws_logic_error_and_runs_nothing) {
  BOOST_TEST_REQUIRE(default_clock_factory() == nullptr);
  engine eng;
  bool ran = false;
  BOOST_CHECK_THROW(eng.defer(std::chrono::milliseconds(1), [&] { ran = true; }), std::logic_error);
  BOOST_CHECK_THROW(eng.cycle(std::chrono::milliseconds(1), [&] { ran = true; }), std::logic_error);
  eng.poll(std::chrono::milliseconds(0));
  BOOST_TEST(!ran);
}

#if PANTS_THREAD_CHECKS
BOOST_AUTO_TEST_CASE(add_from_another_thread_while_the_engine_polls_aborts_with_its_name) {
  auto result = in_child([] {
    engine eng;
    engine_thread t(eng); // polling from here on
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      ::_exit(3);
    eng.add(sv[0], io_event::readable, std::make_shared<no_op>()); // aborts
    ::_exit(4);
  });
  BOOST_TEST_REQUIRE(WIFSIGNALED(result.status), "status " << result.status << ": " << result.err);
  BOOST_TEST(WTERMSIG(result.status) == SIGABRT);
  BOOST_TEST(result.err.find("add must be called in the engine thread") != std::string::npos,
             result.err);
}
#endif
