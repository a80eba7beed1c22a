// Signals and faults (issue 14, item 9): echo stays intact under a 1 kHz
// SIGALRM storm whose handler is installed without SA_RESTART (so every
// blocking call of every thread but the test's can see EINTR), and a read
// buffer that cannot be allocated ends that channel with an error (a
// stream) or drops that datagram (a datagram channel), never the process.
#include "pants/actors/datagram.hpp"
#include "pants/actors/stream_server.hpp"

#include "support/datagram_peer.hpp"
#include "support/loopback.hpp"

#define BOOST_TEST_MODULE faults
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <sys/time.h>

using namespace pants;
using namespace pants::test;

// -- a failing allocator -------------------------------------------------------
// The whole program's operator new: the next allocation larger than
// `fail_above` (0: none) throws std::bad_alloc, once, on whichever thread.

namespace {
std::atomic<std::size_t> fail_above{0};
}

void* operator new(std::size_t n) {
  auto limit = fail_above.load(std::memory_order_relaxed);
  if (limit != 0 && n > limit && fail_above.compare_exchange_strong(limit, 0))
    throw std::bad_alloc();
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc();
}
// Out of line: inlined, GCC takes the free() for a mismatch with new.
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

/// Larger than any string the chunk pool keeps (16 KiB): a chunk or a
/// datagram this big is a fresh allocation.
constexpr std::size_t big = 40000;

/// A pattern that shows any lost, doubled or reordered byte.
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

struct echo : connection {
  echo(pants::engine& eng, event_log& log) : connection(eng), log_(log) {}
  void on_read(std::string_view data) override { write(data); }
  void on_read_error(const net_error& e) override {
    log_.add("read_error:" + std::to_string(e.code));
  }
  void on_close() override { log_.add("close"); }
  event_log& log_;
};

struct fixture {
  engine eng;
  event_log log;
  engine_thread loop{eng};

  std::shared_ptr<server> echo_server() {
    auto srv = std::make_shared<server>([this] { return std::make_shared<echo>(eng, log); }, eng);
    srv->listen("127.0.0.1", 0);
    return srv;
  }
};

// -- the storm -------------------------------------------------------------------

std::atomic<unsigned> alarms{0};
extern "C" void count_alarm(int) { alarms.fetch_add(1, std::memory_order_relaxed); }

/// SIGALRM every millisecond while alive, its handler without SA_RESTART,
/// and blocked in the calling thread only (the test's own blocking client
/// is not under test): the engine, relief, clock and CAF worker threads,
/// started before, take the signals.
class alarm_storm {
public:
  alarm_storm() {
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    ::pthread_sigmask(SIG_BLOCK, &alrm, &saved_mask_);
    struct sigaction sa {};
    sa.sa_handler = count_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: interrupted calls fail with EINTR
    ::sigaction(SIGALRM, &sa, &saved_action_);
    itimerval every_ms{{0, 1000}, {0, 1000}};
    ::setitimer(ITIMER_REAL, &every_ms, nullptr);
  }
  ~alarm_storm() {
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &saved_action_, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
  }
  alarm_storm(const alarm_storm&) = delete;
  alarm_storm& operator=(const alarm_storm&) = delete;

private:
  sigset_t saved_mask_{};
  struct sigaction saved_action_ {};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(faults_suite, fixture)

BOOST_AUTO_TEST_CASE(echo_stays_intact_under_a_1_khz_sigalrm_storm) {
  auto srv = echo_server(); // starts the runtime's threads before the storm
  blocking_client warm(srv->port());
  warm.send("warm");
  BOOST_REQUIRE(warm.recv_exactly(4) == "warm");
  alarm_storm storm;
  alarms = 0;
  // Until the storm has sent 500 signals (bounded): new connections (accept
  // under EINTR) and 256 KiB echoed on each, every byte checked.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  unsigned round = 0;
  while (alarms < 500 && std::chrono::steady_clock::now() < deadline) {
    blocking_client c(srv->port());
    for (unsigned piece = 0; piece < 4; ++piece) {
      auto data = pattern(64 * 1024, round * 4 + piece);
      c.send(data);
      auto back = c.recv_exactly(data.size());
      BOOST_REQUIRE_MESSAGE(back == data, "round " << round << " piece " << piece << ": "
                                                   << back.size() << " bytes back");
    }
    ++round;
  }
  BOOST_TEST(alarms >= 500u);
  BOOST_TEST(round > 0u);
  BOOST_TEST(log.count("read_error:" + std::to_string(EINTR)) == 0u);
  srv->close();
  BOOST_TEST(log.wait_count("close", round + 1));
}

BOOST_AUTO_TEST_CASE(a_read_buffer_that_cannot_be_allocated_ends_only_that_stream) {
  auto srv = echo_server();
  blocking_client other(srv->port());
  other.send("before");
  BOOST_REQUIRE(other.recv_exactly(6) == "before");
  blocking_client victim(srv->port());
  victim.send("x");
  BOOST_REQUIRE(victim.recv_exactly(1) == "x");
  auto lost = pattern(big, 1);
  fail_above = big / 2; // the next large allocation: the chunk that reads `lost`
  victim.send(lost);
  // Its bytes were read but could not be kept: the stream ends with ENOMEM.
  BOOST_TEST(log.wait_count("read_error:" + std::to_string(ENOMEM)));
  BOOST_TEST(log.wait_count("close"));
  BOOST_TEST(victim.peer_closed());
  BOOST_TEST(fail_above == 0u); // the failure happened, once
  // The other connection, and the server, go on.
  auto data = pattern(big, 2);
  other.send(data);
  BOOST_TEST(other.recv_exactly(data.size()) == data);
  blocking_client after(srv->port());
  after.send("after");
  BOOST_TEST(after.recv_exactly(5) == "after");
  srv->close();
  // Wait for the on_close of `other` and `after` too: with handlers off the
  // engine thread they would otherwise run after this test's log is gone.
  BOOST_TEST(log.wait_count("close", 3));
}

BOOST_AUTO_TEST_CASE(a_datagram_that_cannot_be_allocated_is_dropped_and_the_channel_goes_on) {
  struct udp_echo : datagram {
    udp_echo(pants::engine& e, event_log& l) : datagram(e), log_(l) {}
    void on_listen() override { log_.add("listen"); }
    void on_read(std::string_view data, const endpoint& from) override { write(data, from); }
    void on_read_error(const net_error& e) override {
      log_.add("read_error:" + std::to_string(e.code));
    }
    void on_close() override { log_.add("close"); }
    event_log& log_;
  };
  auto d = std::make_shared<udp_echo>(eng, log);
  d->listen(endpoint::numeric("127.0.0.1", 0));
  BOOST_REQUIRE(log.wait_count("listen"));
  datagram_peer peer(endpoint::numeric("127.0.0.1", 0));
  auto at = endpoint::numeric("127.0.0.1", d->port());
  auto lost = pattern(big, 3);
  fail_above = big / 2; // the next large allocation: the string for `lost`
  BOOST_REQUIRE(peer.send_to(lost, at));
  BOOST_TEST(log.wait_count("read_error:" + std::to_string(ENOMEM)));
  BOOST_TEST(fail_above == 0u);
  auto data = pattern(big, 4);
  BOOST_REQUIRE(peer.send_to(data, at));
  auto back = peer.receive();
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->first == data);
  BOOST_TEST(log.count("close") == 0u);
  d->close();
  BOOST_TEST(log.wait_count("close"));
}

BOOST_AUTO_TEST_SUITE_END()
