#include "pants/engine/engine.hpp"
#include "pants/engine/epoll_backend.hpp"

#include "support/loopback.hpp"

#define BOOST_TEST_MODULE engine
#include <boost/test/unit_test.hpp>

#include "support/descriptors.hpp" // after the module: it uses Boost.Test

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace pants;
using namespace pants::test;
using namespace std::chrono_literals;

namespace {

const char* const backends[] = {"epoll", "poll", "select"};

/// A connected AF_UNIX stream socketpair; closes what it still holds.
struct socket_pair {
  int a = -1;
  int b = -1;
  socket_pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
      throw std::runtime_error("socketpair failed");
    a = sv[0];
    b = sv[1];
  }
  ~socket_pair() { close(); }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
  socket_pair(socket_pair&& o) noexcept : a(std::exchange(o.a, -1)), b(std::exchange(o.b, -1)) {}
  void close() {
    close_a();
    close_b();
  }
  void close_a() {
    if (a >= 0)
      ::close(a);
    a = -1;
  }
  void close_b() {
    if (b >= 0)
      ::close(b);
    b = -1;
  }
};

void put(int fd, const std::string& data = "x") {
  if (::send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size()))
    throw std::runtime_error("send failed");
}

/// Reads whatever is buffered on the non-blocking `fd`.
void drain(int fd) {
  char buf[256];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

/// An io_handler that records every event mask it gets, then runs `then`.
class recording_handler : public io_handler {
public:
  explicit recording_handler(std::function<void(std::uint32_t)> then = {})
      : then_(std::move(then)) {}
  void handle_io(std::uint32_t events) override {
    events_.push_back(events);
    if (then_)
      then_(events);
  }
  std::size_t calls() const { return events_.size(); }
  const std::vector<std::uint32_t>& events() const { return events_; }

private:
  std::function<void(std::uint32_t)> then_;
  std::vector<std::uint32_t> events_;
};

std::shared_ptr<recording_handler> recorder(std::function<void(std::uint32_t)> then = {}) {
  return std::make_shared<recording_handler>(std::move(then));
}

/// Sets (or unsets, for nullptr) an environment variable for one scope.
class scoped_env {
public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    set(value);
  }
  ~scoped_env() { set(old_ ? old_->c_str() : nullptr); }
  void set(const char* value) {
    if (value)
      ::setenv(name_, value, 1);
    else
      ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Waits (bounded) until thread `tid` of this process is inside one of the
/// kernel's readiness waits, as /proc/self/task/<tid>/syscall shows.
bool wait_blocked_in_poll(long tid) {
  const long waits[] = {
#ifdef SYS_poll
      SYS_poll,
#endif
#ifdef SYS_epoll_wait
      SYS_epoll_wait,
#endif
#ifdef SYS_select
      SYS_select,
#endif
      SYS_pselect6,     SYS_ppoll, SYS_epoll_pwait,
#ifdef SYS_epoll_pwait2
      SYS_epoll_pwait2,
#endif
  };
  auto path = "/proc/self/task/" + std::to_string(tid) + "/syscall";
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    long nr = -1;
    if (in >> nr)
      for (long w : waits)
        if (nr == w)
          return true;
    std::this_thread::yield();
  }
  return false;
}

long this_tid() { return static_cast<long>(::syscall(SYS_gettid)); }

/// Runs `eng.start()` on a thread, keeping any exception that escapes it.
class start_thread {
public:
  explicit start_thread(engine& eng) : eng_(eng) {
    thread_ = std::thread([this] {
      try {
        eng_.start();
      } catch (...) {
        error_ = std::current_exception();
      }
      returned_.set_value();
    });
  }
  ~start_thread() {
    // A stop is kept until a start() consumes it: none is left for the
    // next start() when this one has returned already.
    if (done_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      eng_.stop();
    if (thread_.joinable())
      thread_.join();
  }
  /// Waits (bounded) for `start()` to return; true when it did.
  bool wait_returned() { return done_.wait_for(patience) == std::future_status::ready; }
  bool threw() const { return error_ != nullptr; }
  start_thread(const start_thread&) = delete;
  start_thread& operator=(const start_thread&) = delete;

private:
  engine& eng_;
  std::promise<void> returned_;
  std::future<void> done_ = returned_.get_future();
  std::exception_ptr error_;
  std::thread thread_;
};

/// Posts `f` and waits (bounded) until it has run; false if it never did.
bool run_in(engine& eng, std::function<void()> f) {
  auto done = std::make_shared<std::promise<void>>();
  auto ran = done->get_future();
  eng.post([done, f = std::move(f)] {
    f();
    done->set_value();
  });
  return ran.wait_for(patience) == std::future_status::ready;
}

} // namespace

BOOST_AUTO_TEST_SUITE(engine_suite)

// --- construction -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(instance_is_the_same_object_every_call) {
  BOOST_TEST(&engine::instance() == &engine::instance());
}

BOOST_AUTO_TEST_CASE(engines_are_made_on_the_backend_named) {
  for (const char* name : backends) {
    engine eng(name);
    BOOST_TEST(std::string(eng.backend_name()) == name);
  }
}

BOOST_AUTO_TEST_CASE(unknown_backend_name_throws_invalid_argument) {
  BOOST_CHECK_THROW(engine("kqueue"), std::invalid_argument);
  BOOST_CHECK_THROW(engine("EPOLL"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(pants_backend_environment_variable_picks_the_backend) {
  scoped_env env("PANTS_BACKEND", "poll");
  BOOST_TEST(std::string(engine("").backend_name()) == "poll");
  env.set("epoll");
  BOOST_TEST(std::string(engine("").backend_name()) == "epoll");
  BOOST_TEST(std::string(engine("poll").backend_name()) == "poll"); // a name beats the variable
  env.set("select");
  BOOST_TEST(std::string(engine("").backend_name()) == "select");
  env.set("kqueue");
  BOOST_CHECK_THROW(engine(""), std::invalid_argument);
  env.set(nullptr);
  BOOST_TEST(std::string(engine("").backend_name()) == "epoll");
}

BOOST_AUTO_TEST_CASE(select_refuses_a_descriptor_at_or_above_fd_setsize_and_changes_nothing) {
  engine eng("select");
  socket_pair p;
  // A descriptor number select(2) cannot hold.
  int big = dup_at_or_above_fd_setsize(p.a);
  try {
    eng.add(big, io_event::readable, recorder());
    BOOST_ERROR("add did not throw");
  } catch (const std::system_error& e) {
    BOOST_TEST(e.code().value() == EMFILE);
    BOOST_TEST(std::string(e.what()).find("FD_SETSIZE") != std::string::npos, e.what());
  }
  BOOST_TEST(eng.size() == 0u); // nothing changed: the same descriptor can still be
  auto h = recorder();          // watched by another backend, and a small one here
  eng.add(p.a, io_event::readable, h);
  put(p.b);
  eng.poll(patience);
  BOOST_TEST(h->calls() == 1u);
  eng.remove(p.a);
  ::close(big);
}

// --- dispatch ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_readable_socket_dispatches_readable_to_its_handler) {
  engine eng;
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, io_event::readable, h);
  eng.poll(0ms);
  BOOST_TEST(h->calls() == 0u); // nothing to read yet
  put(p.b, "hello");
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 1u);
  BOOST_TEST((h->events()[0] & io_event::readable) != 0u);
  BOOST_TEST((h->events()[0] & io_event::writable) == 0u);
}

BOOST_AUTO_TEST_CASE(modify_to_writable_dispatches_writable) {
  engine eng;
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, io_event::readable, h);
  eng.poll(0ms);
  BOOST_TEST(h->calls() == 0u);
  eng.modify(p.a, io_event::writable);
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 1u);
  BOOST_TEST(h->events()[0] == io_event::writable);
  put(p.b);
  eng.modify(p.a, io_event::readable | io_event::writable);
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 2u);
  BOOST_TEST(h->events()[1] == (io_event::readable | io_event::writable));
}

/// A connected TCP pair over 127.0.0.1 (non-blocking): urgent data needs TCP.
struct tcp_pair {
  int a = -1;
  int b = -1;
  tcp_pair() {
    int lst = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto at = endpoint::numeric("127.0.0.1", 0);
    if (lst < 0 || ::bind(lst, at.data(), at.size()) != 0 || ::listen(lst, 1) != 0)
      throw std::runtime_error("listen failed");
    at = endpoint::local_of(lst);
    b = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(b, at.data(), at.size()) != 0)
      throw std::runtime_error("connect failed");
    a = ::accept4(lst, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    ::close(lst);
    if (a < 0)
      throw std::runtime_error("accept failed");
  }
  ~tcp_pair() {
    ::close(a);
    ::close(b);
  }
  tcp_pair(const tcp_pair&) = delete;
  tcp_pair& operator=(const tcp_pair&) = delete;
};

BOOST_AUTO_TEST_CASE(urgent_data_is_reported_as_priority_only_to_a_mask_that_asks) {
  engine eng;
  tcp_pair p;
  auto h = recorder();
  eng.add(p.a, io_event::writable, h);
  BOOST_TEST_REQUIRE(::send(p.b, "!", 1, MSG_OOB) == 1);
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 1u);
  BOOST_TEST(h->events()[0] == io_event::writable); // not asked: not told
  eng.modify(p.a, io_event::priority);
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 2u);
  BOOST_TEST(h->events()[1] == io_event::priority);
  char byte = 0;
  BOOST_TEST(::recv(p.a, &byte, 1, MSG_OOB) == 1);
  BOOST_TEST(byte == '!');
  eng.poll(0ms); // read: no longer reported
  BOOST_TEST(h->calls() == 2u);
  eng.remove(p.a);
}

BOOST_AUTO_TEST_CASE(a_prepare_hook_runs_each_iteration_right_before_the_wait) {
  engine eng;
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, 0, h); // registered, not polled
  put(p.b);
  int runs = 0;
  auto hook = eng.prepare([&] {
    ++runs;
    eng.modify(p.a, io_event::readable); // decided before this iteration's wait
  });
  eng.poll(patience);
  BOOST_TEST(runs == 1);
  BOOST_TEST(h->calls() == 1u); // the mask the hook set served the same iteration
  eng.poll(0ms);
  BOOST_TEST(runs == 2);
  hook.cancel();
  eng.poll(0ms);
  BOOST_TEST(runs == 2);
  eng.remove(p.a);
}

BOOST_AUTO_TEST_CASE(use_backend_moves_every_registration_or_refuses_and_changes_nothing) {
  engine eng("epoll");
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, io_event::readable, h);
  eng.add(p.b, 0, recorder());
  bool ran = false;
  eng.post([&] { ran = true; });
  for (const char* name : {"select", "poll", "epoll", "poll"}) {
    eng.use_backend(name);
    BOOST_TEST(std::string(eng.backend_name()) == name);
    put(p.b);
    auto before = h->calls();
    eng.poll(patience);
    BOOST_TEST(h->calls() == before + 1, name);
    drain(p.a);
  }
  BOOST_TEST(ran); // a task posted before the moves ran
  int big = dup_at_or_above_fd_setsize(p.a);
  eng.add(big, 0, recorder());
  BOOST_CHECK_THROW(eng.use_backend("select"), std::system_error);
  BOOST_TEST(std::string(eng.backend_name()) == "poll");
  BOOST_CHECK_THROW(eng.use_backend("kqueue"), std::invalid_argument);
  put(p.b);
  eng.poll(patience);
  BOOST_TEST(h->calls() == 5u);
  eng.remove(big);
  ::close(big);
  eng.remove(p.a);
  eng.remove(p.b);
}

BOOST_AUTO_TEST_CASE(pipes_and_eventfds_dispatch_like_sockets) {
  engine eng;
  int fds[2];
  BOOST_REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  BOOST_REQUIRE(efd >= 0);
  auto reader = recorder();
  auto writer = recorder();
  auto counter = recorder();
  eng.add(fds[0], io_event::readable, reader);
  eng.add(fds[1], io_event::writable, writer);
  eng.add(efd, io_event::readable, counter);
  eng.poll(patience);
  BOOST_TEST(reader->calls() == 0u);
  BOOST_TEST(writer->calls() == 1u);
  BOOST_TEST(counter->calls() == 0u);
  std::uint64_t one = 1;
  BOOST_REQUIRE(::write(efd, &one, sizeof one) == static_cast<ssize_t>(sizeof one));
  BOOST_REQUIRE(::write(fds[1], "x", 1) == 1);
  eng.modify(fds[1], 0);
  eng.poll(patience);
  BOOST_TEST(reader->calls() == 1u);
  BOOST_TEST(writer->calls() == 1u);
  BOOST_TEST(counter->calls() == 1u);
  for (int fd : {fds[0], fds[1], efd}) {
    eng.remove(fd);
    ::close(fd);
  }
  BOOST_TEST(eng.size() == 0u);
}

BOOST_AUTO_TEST_CASE(more_ready_descriptors_than_one_batch_are_all_served_over_iterations) {
  engine eng;
  const std::size_t count = 2 * epoll_backend::max_events + 44;
  std::vector<int> fds;
  std::vector<std::shared_ptr<recording_handler>> handlers;
  for (std::size_t i = 0; i < count; ++i) {
    int efd = ::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC); // readable until read: level-triggered
    BOOST_REQUIRE(efd >= 0);
    fds.push_back(efd);
    handlers.push_back(recorder());
    eng.add(efd, io_event::readable, handlers.back());
  }
  auto served = [&] {
    std::size_t n = 0;
    for (auto& h : handlers)
      if (h->calls() > 0)
        ++n;
    return n;
  };
  auto calls = [&] {
    std::size_t n = 0;
    for (auto& h : handlers)
      n += h->calls();
    return n;
  };
  eng.poll(patience);
  // epoll hands out one bounded batch per iteration (so an iteration's
  // inline handlers fit their budget); poll(2) reports every ready one.
  if (std::string(eng.backend_name()) == "epoll")
    BOOST_TEST(calls() == epoll_backend::max_events);
  else
    BOOST_TEST(calls() == count);
  // None is starved: the kernel's ready list turns, so three batches reach all.
  eng.poll(patience);
  eng.poll(patience);
  BOOST_TEST(served() == count);
  for (int fd : fds) {
    eng.remove(fd);
    ::close(fd);
  }
}

BOOST_AUTO_TEST_CASE(mask_zero_keeps_the_descriptor_registered_but_not_polled) {
  engine eng;
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, 0, h);
  BOOST_TEST(eng.size() == 1u);
  put(p.b, "data");
  p.close_b(); // the peer hangs up: poll and epoll report that whatever the mask
  for (int i = 0; i < 5; ++i)
    eng.poll(0ms);
  eng.poll(20ms);
  BOOST_TEST(h->calls() == 0u);

  eng.modify(p.a, io_event::readable);
  eng.poll(patience);
  BOOST_REQUIRE(h->calls() == 1u);
  BOOST_TEST((h->events()[0] & io_event::readable) != 0u);

  eng.modify(p.a, 0); // paused again
  for (int i = 0; i < 5; ++i)
    eng.poll(0ms);
  BOOST_TEST(h->calls() == 1u);
  BOOST_TEST(eng.size() == 1u);
}

BOOST_AUTO_TEST_CASE(removing_a_descriptor_in_a_handler_drops_its_event_already_reported) {
  engine eng;
  socket_pair p[2];
  std::shared_ptr<recording_handler> h[2];
  int removed = -1;
  for (int self = 0; self < 2; ++self) {
    h[self] = recorder([&, self](std::uint32_t) {
      if (removed < 0) {
        removed = 1 - self;
        eng.remove(p[removed].a);
      }
    });
  }
  put(p[0].b);
  put(p[1].b);
  eng.add(p[0].a, io_event::readable, h[0]);
  eng.add(p[1].a, io_event::readable, h[1]);
  eng.poll(patience); // both are readable before the wait: one iteration reports both
  BOOST_REQUIRE(removed >= 0);
  BOOST_TEST(h[removed]->calls() == 0u);
  BOOST_TEST(h[1 - removed]->calls() == 1u);
  BOOST_TEST(eng.size() == 1u);
  eng.poll(patience); // the survivor is still readable
  BOOST_TEST(h[removed]->calls() == 0u);
  BOOST_TEST(h[1 - removed]->calls() == 2u);
}

BOOST_AUTO_TEST_CASE(a_reused_descriptor_gets_no_stale_event_from_the_same_iteration) {
  engine eng;
  socket_pair p[2];
  std::shared_ptr<recording_handler> h[2];
  std::optional<socket_pair> fresh_pair;
  auto fresh = recorder();
  int victim = -1;
  int old_fd = -1;
  for (int self = 0; self < 2; ++self) {
    h[self] = recorder([&, self](std::uint32_t) {
      if (victim >= 0)
        return;
      victim = 1 - self;
      old_fd = p[victim].a;
      eng.remove(old_fd);
      p[victim].close();
      // The lowest free descriptors are the two just closed.
      fresh_pair.emplace();
      if (fresh_pair->b == old_fd)
        std::swap(fresh_pair->a, fresh_pair->b);
      if (fresh_pair->a == old_fd) {
        eng.add(fresh_pair->a, io_event::readable, fresh);
        put(fresh_pair->b);
      }
    });
  }
  put(p[0].b);
  put(p[1].b);
  eng.add(p[0].a, io_event::readable, h[0]);
  eng.add(p[1].a, io_event::readable, h[1]);
  eng.poll(patience);
  BOOST_REQUIRE(victim >= 0);
  BOOST_REQUIRE_MESSAGE(fresh_pair->a == old_fd, "the descriptor number was not reused");
  BOOST_TEST(h[victim]->calls() == 0u);
  BOOST_TEST(fresh->calls() == 0u); // the stale event of the old registration was dropped
  BOOST_TEST(eng.size() == 2u);
  eng.poll(patience); // the new registration gets its own events
  BOOST_TEST(fresh->calls() == 1u);
  BOOST_TEST(h[victim]->calls() == 0u);
  eng.remove(fresh_pair->a);
}

BOOST_AUTO_TEST_CASE(size_counts_registrations) {
  engine eng;
  socket_pair p, q, r;
  BOOST_TEST(eng.size() == 0u);
  eng.add(p.a, io_event::readable, recorder());
  eng.add(q.a, io_event::writable, recorder());
  eng.add(r.a, 0, recorder());
  BOOST_TEST(eng.size() == 3u);
  BOOST_CHECK_THROW(eng.add(p.a, io_event::readable, recorder()), std::logic_error);
  BOOST_TEST(eng.size() == 3u);
  eng.remove(q.a);
  BOOST_TEST(eng.size() == 2u);
  eng.remove(q.a); // not registered: a no-op
  eng.remove(p.b);
  BOOST_TEST(eng.size() == 2u);
  eng.remove(p.a);
  eng.remove(r.a);
  BOOST_TEST(eng.size() == 0u);
  BOOST_CHECK_THROW(eng.modify(p.a, io_event::readable), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_is_caught_and_the_loop_goes_on) {
  engine eng;
  socket_pair p, q;
  auto thrower = recorder([](std::uint32_t) { throw std::runtime_error("handler failed"); });
  auto other = recorder();
  put(p.b);
  put(q.b);
  eng.add(p.a, io_event::readable, thrower);
  eng.add(q.a, io_event::readable, other);
  BOOST_CHECK_NO_THROW(eng.poll(patience));
  BOOST_TEST(thrower->calls() == 1u);
  BOOST_TEST(other->calls() == 1u); // same iteration, whichever ran first
  BOOST_CHECK_NO_THROW(eng.poll(patience));
  BOOST_TEST(thrower->calls() == 2u);
  BOOST_TEST(other->calls() == 2u);
  eng.remove(p.a);
  eng.remove(q.a);
}

BOOST_AUTO_TEST_CASE(a_handler_throwing_a_non_standard_exception_does_not_escape_poll) {
  engine eng;
  socket_pair p;
  auto thrower = recorder([](std::uint32_t) { throw 42; });
  put(p.b);
  eng.add(p.a, io_event::readable, thrower);
  BOOST_CHECK_NO_THROW(eng.poll(patience));
  BOOST_TEST(thrower->calls() == 1u);
  eng.remove(p.a);
}

BOOST_AUTO_TEST_CASE(a_throwing_task_is_caught_and_later_tasks_run) {
  engine eng;
  std::vector<int> ran;
  eng.post([&] { ran.push_back(1); });
  eng.post([] { throw std::runtime_error("task failed"); });
  eng.post([] { throw 7; });
  eng.post([&] { ran.push_back(2); });
  BOOST_CHECK_NO_THROW(eng.poll(0ms));
  BOOST_TEST(ran == (std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_does_not_end_start) {
  engine eng;
  socket_pair p;
  auto thrower = recorder([&](std::uint32_t) {
    drain(p.a);
    throw std::runtime_error("handler failed");
  });
  start_thread t(eng);
  BOOST_REQUIRE(run_in(eng, [&] { eng.add(p.a, io_event::readable, thrower); }));
  for (std::size_t round = 1; round <= 3; ++round) {
    put(p.b);
    // A task posted after a task posted after the put runs after the next dispatch.
    std::size_t calls = 0;
    BOOST_REQUIRE(run_in(eng, [] {}));
    BOOST_REQUIRE(run_in(eng, [&] { calls = thrower->calls(); }));
    BOOST_TEST(calls == round);
  }
  BOOST_TEST(eng.running());
  BOOST_REQUIRE(run_in(eng, [&] { eng.remove(p.a); }));
  eng.stop();
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!t.threw());
}

// --- posting and waking -----------------------------------------------------

BOOST_AUTO_TEST_CASE(posted_tasks_run_in_order_in_the_engine_thread) {
  engine eng;
  engine_thread loop{eng};
  BOOST_TEST(!eng.in_engine_thread());
  const int per_thread = 2000;
  const int threads = 4;
  // Touched only in the engine thread.
  std::vector<std::vector<int>> seen(threads);
  int outside_engine_thread = 0;
  std::thread::id engine_id;
  eng.post([&] { engine_id = std::this_thread::get_id(); });
  std::vector<std::thread> posters;
  for (int t = 0; t < threads; ++t)
    posters.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        eng.post([&, t, i] {
          seen[static_cast<std::size_t>(t)].push_back(i);
          if (!eng.in_engine_thread() || std::this_thread::get_id() != engine_id)
            ++outside_engine_thread;
        });
    });
  for (auto& th : posters)
    th.join();
  // Posted after every task above, so it runs after them.
  auto result = loop.call([&] { return std::make_pair(seen, outside_engine_thread); });
  BOOST_TEST(result.second == 0);
  for (int t = 0; t < threads; ++t) {
    const auto& v = result.first[static_cast<std::size_t>(t)];
    BOOST_REQUIRE(v.size() == static_cast<std::size_t>(per_thread));
    bool in_order = true;
    for (int i = 0; i < per_thread; ++i)
      in_order = in_order && v[static_cast<std::size_t>(i)] == i;
    BOOST_TEST(in_order, "poster " << t);
  }
  BOOST_TEST(engine_id != std::this_thread::get_id());
}

BOOST_AUTO_TEST_CASE(post_wakes_a_poll_blocked_in_another_thread) {
  engine eng;
  // A spare registration lets the test unblock a poll that post failed to wake.
  socket_pair rescue;
  eng.add(rescue.a, io_event::readable, recorder());
  std::promise<long> tid;
  auto tid_known = tid.get_future();
  std::atomic<bool> ran{false};
  auto returned = std::async(std::launch::async, [&] {
    tid.set_value(this_tid());
    eng.poll(-1ms);
  });
  BOOST_REQUIRE(tid_known.wait_for(patience) == std::future_status::ready);
  BOOST_TEST(wait_blocked_in_poll(tid_known.get()));
  eng.post([&] { ran = true; });
  bool woke = returned.wait_for(patience) == std::future_status::ready;
  if (!woke)
    put(rescue.b);
  BOOST_TEST(woke);
  returned.get();
  BOOST_TEST(ran.load());
  eng.remove(rescue.a);
}

BOOST_AUTO_TEST_CASE(post_wakes_start_blocked_in_another_thread) {
  engine eng;
  start_thread t(eng);
  std::promise<long> tid;
  eng.post([&] { tid.set_value(this_tid()); });
  auto tid_known = tid.get_future();
  BOOST_REQUIRE(tid_known.wait_for(patience) == std::future_status::ready);
  BOOST_TEST(wait_blocked_in_poll(tid_known.get()));
  bool inside = false;
  BOOST_TEST(run_in(eng, [&] { inside = eng.in_engine_thread(); }));
  BOOST_TEST(inside);
}

// --- start and stop ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(stop_from_another_thread_makes_start_return) {
  engine eng;
  start_thread t(eng);
  BOOST_REQUIRE(run_in(eng, [] {}));
  BOOST_TEST(eng.running());
  eng.stop();
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!eng.running());
  BOOST_TEST(!t.threw());
}

BOOST_AUTO_TEST_CASE(stop_from_inside_a_handler_makes_start_return) {
  engine eng;
  socket_pair p;
  auto stopper = recorder([&](std::uint32_t) { eng.stop(); });
  start_thread t(eng);
  BOOST_REQUIRE(run_in(eng, [&] { eng.add(p.a, io_event::readable, stopper); }));
  put(p.b);
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(stopper->calls() == 1u);
  BOOST_TEST(!eng.running());
  eng.remove(p.a); // the engine thread is gone: this thread may touch it now
}

BOOST_AUTO_TEST_CASE(stop_from_inside_a_posted_task_makes_start_return) {
  engine eng;
  start_thread t(eng);
  eng.post([&] { eng.stop(); });
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!eng.running());
}

BOOST_AUTO_TEST_CASE(start_while_running_returns_at_once) {
  engine eng;
  start_thread t(eng);
  std::atomic<bool> marker_ran{false};
  std::atomic<bool> marker_ran_inside{true};
  bool running_inside = false;
  BOOST_REQUIRE(run_in(eng, [&] {
    running_inside = eng.running();
    // Were the nested start() to loop, it would run this marker (and stop).
    eng.post([&] {
      marker_ran = true;
      eng.stop();
    });
    eng.start();
    marker_ran_inside = marker_ran.load();
  }));
  BOOST_TEST(running_inside);
  BOOST_TEST(!marker_ran_inside.load());
  BOOST_REQUIRE(t.wait_returned()); // the marker stopped the outer loop
  BOOST_TEST(marker_ran.load());
}

BOOST_AUTO_TEST_CASE(a_stop_before_start_makes_the_next_start_return_at_once_then_is_cleared) {
  engine eng;
  BOOST_CHECK_NO_THROW(eng.stop());
  BOOST_CHECK_NO_THROW(eng.stop());
  BOOST_TEST(!eng.running());
  {
    start_thread t(eng); // as Asio's io_context::run after stop()
    BOOST_REQUIRE(t.wait_returned());
  }
  // Consumed by that start(): the next one runs until its own stop.
  start_thread t(eng);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(run_in(eng, [] {}));
  BOOST_TEST(eng.running());
  eng.stop();
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!eng.running());
}

BOOST_AUTO_TEST_CASE(stop_when_empty_returns_once_the_last_descriptor_is_removed) {
  engine eng;
  socket_pair p;
  eng.add(p.a, io_event::readable, recorder());
  start_thread t(eng);
  eng.stop_when_empty(std::chrono::minutes(10));
  BOOST_REQUIRE(run_in(eng, [] {})); // still running: one descriptor is registered
  BOOST_TEST(eng.running());
  BOOST_REQUIRE(run_in(eng, [&] { eng.remove(p.a); }));
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!eng.running());
}

BOOST_AUTO_TEST_CASE(stop_when_empty_returns_after_the_grace_time_with_descriptors_left) {
  engine eng;
  socket_pair p;
  eng.add(p.a, io_event::readable, recorder());
  start_thread t(eng);
  eng.stop_when_empty(std::chrono::milliseconds(20));
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(eng.size() == 1u);
  // Cleared on return: a new start() runs until its own stop.
  start_thread again(eng);
  BOOST_REQUIRE(run_in(eng, [] {}));
  BOOST_TEST(eng.running());
  eng.stop();
  BOOST_REQUIRE(again.wait_returned());
  eng.remove(p.a);
}

BOOST_AUTO_TEST_CASE(stop_wakes_a_poll_blocked_in_another_thread) {
  engine eng;
  socket_pair rescue; // unblocks a poll that stop failed to wake
  auto h = recorder();
  eng.add(rescue.a, io_event::readable, h);
  std::promise<long> tid;
  auto tid_known = tid.get_future();
  auto returned = std::async(std::launch::async, [&] {
    tid.set_value(this_tid());
    eng.poll(-1ms);
  });
  BOOST_REQUIRE(tid_known.wait_for(patience) == std::future_status::ready);
  BOOST_TEST(wait_blocked_in_poll(tid_known.get()));
  eng.stop();
  bool woke = returned.wait_for(patience) == std::future_status::ready;
  if (!woke)
    put(rescue.b);
  BOOST_TEST(woke);
  returned.get();
  BOOST_TEST(h->calls() == (woke ? 0u : 1u));
  eng.remove(rescue.a);
}

BOOST_AUTO_TEST_CASE(start_can_run_again_after_stop) {
  engine eng;
  for (int round = 0; round < 3; ++round) {
    start_thread t(eng);
    BOOST_REQUIRE(run_in(eng, [] {}));
    eng.stop();
    BOOST_REQUIRE(t.wait_returned());
  }
}

// --- poll -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(poll_with_nothing_ready_returns) {
  engine eng;
  socket_pair p;
  auto h = recorder();
  eng.add(p.a, io_event::readable, h);
  auto returned = std::async(std::launch::async, [&] {
    eng.poll(0ms);
    eng.poll(20ms);
  });
  bool ok = returned.wait_for(patience) == std::future_status::ready;
  if (!ok)
    put(p.b); // unblock it before the future's destructor joins
  BOOST_TEST(ok);
  returned.get();
  BOOST_TEST(h->calls() == 0u);
  eng.remove(p.a);
}

BOOST_AUTO_TEST_CASE(poll_runs_posted_tasks_in_the_calling_thread) {
  engine eng;
  bool inside = false;
  eng.post([&] { inside = eng.in_engine_thread(); });
  BOOST_TEST(!eng.in_engine_thread());
  eng.poll(0ms);
  BOOST_TEST(inside);
  BOOST_TEST(!eng.in_engine_thread());
}

// --- signals ----------------------------------------------------------------

namespace {
std::atomic<int> usr1_count{0};
void on_usr1(int) { usr1_count.fetch_add(1); }

std::atomic<engine*> engine_to_stop{nullptr};
void stop_engine_on_usr1(int) {
  usr1_count.fetch_add(1);
  if (engine* e = engine_to_stop.load())
    e->stop();
}

/// Installs a SIGUSR1 handler (by default a no-op) without SA_RESTART for one scope.
struct usr1_handler {
  struct sigaction old {};
  explicit usr1_handler(void (*handler)(int) = on_usr1) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: the wait fails with EINTR
    ::sigaction(SIGUSR1, &sa, &old);
  }
  ~usr1_handler() { ::sigaction(SIGUSR1, &old, nullptr); }
};
} // namespace

BOOST_AUTO_TEST_CASE(a_signal_interrupting_the_wait_is_not_an_error) {
  static_assert(std::atomic<int>::is_always_lock_free);
  usr1_handler installed;
  engine eng;
  socket_pair p;
  auto h = recorder([&](std::uint32_t) { drain(p.a); });
  start_thread t(eng);
  std::promise<std::pair<long, pthread_t>> ids;
  auto ids_known = ids.get_future();
  eng.post([&] {
    eng.add(p.a, io_event::readable, h);
    ids.set_value({this_tid(), ::pthread_self()});
  });
  BOOST_REQUIRE(ids_known.wait_for(patience) == std::future_status::ready);
  auto [tid, engine_pthread] = ids_known.get();
  for (int i = 1; i <= 3; ++i) {
    BOOST_REQUIRE(wait_blocked_in_poll(tid));
    int before = usr1_count.load();
    BOOST_REQUIRE(::pthread_kill(engine_pthread, SIGUSR1) == 0);
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (usr1_count.load() == before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    BOOST_REQUIRE(usr1_count.load() > before);
    // The loop survived the EINTR: it still runs tasks and dispatches I/O.
    BOOST_REQUIRE(run_in(eng, [] {}));
    BOOST_TEST(eng.running());
    BOOST_TEST(!t.threw());
  }
  put(p.b);
  std::size_t calls = 0;
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (calls == 0 && std::chrono::steady_clock::now() < deadline)
    BOOST_REQUIRE(run_in(eng, [&] { calls = h->calls(); }));
  BOOST_TEST(calls >= 1u);
  BOOST_REQUIRE(run_in(eng, [&] { eng.remove(p.a); }));
  eng.stop();
  BOOST_REQUIRE(t.wait_returned());
  BOOST_TEST(!t.threw());
}

BOOST_AUTO_TEST_CASE(stop_from_a_signal_handler_makes_start_return) {
  static_assert(std::atomic<engine*>::is_always_lock_free);
  engine eng;
  engine_to_stop = &eng;
  usr1_handler installed(stop_engine_on_usr1);
  start_thread t(eng);
  std::promise<std::pair<long, pthread_t>> ids;
  auto ids_known = ids.get_future();
  eng.post([&] { ids.set_value({this_tid(), ::pthread_self()}); });
  BOOST_REQUIRE(ids_known.wait_for(patience) == std::future_status::ready);
  auto [tid, engine_pthread] = ids_known.get();
  BOOST_TEST(wait_blocked_in_poll(tid));
  BOOST_REQUIRE(::pthread_kill(engine_pthread, SIGUSR1) == 0);
  BOOST_TEST(t.wait_returned());
  BOOST_TEST(!t.threw());
  engine_to_stop = nullptr;
}

BOOST_AUTO_TEST_SUITE_END()
