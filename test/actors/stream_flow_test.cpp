// Flow control and broken peers on stream channels over real sockets of
// every family (127.0.0.1, ::1, a Unix path): a producer paced by on_write,
// write marks, a slow handler pushing back on its sender, writes to a reset
// peer without SIGPIPE; and, on TCP, accepting when out of descriptors.

#include "pants/actors/stream.hpp"

#include "pants/actors/stream_server.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/stream_socket.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"
#include "support/peers.hpp"

#define BOOST_TEST_MODULE stream_flow
#include <boost/test/unit_test.hpp>

#include "support/descriptors.hpp"
#include "support/family.hpp"
#include "support/probe.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <future>
#include <memory>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace pants;
using namespace pants::test;

BOOST_FIXTURE_TEST_SUITE(stream_flow_suite, probe_fixture)

// -- write flow control -------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(producer_paced_by_on_write_keeps_its_queue_bounded_and_delivers_everything) {
  const std::size_t total = 16 * MiB, block = 64 * KiB, high = 512 * KiB;
  // Writes blocks while fewer than `high` bytes are queued; on_write resumes.
  struct producer {
    std::size_t sent = 0;
    void more(probe& p, std::size_t total_, std::size_t block_, std::size_t high_) {
      while (sent < total_ && p.bytes_queued() < high_) {
        auto n = std::min(block_, total_ - sent);
        p.write(pattern(sent, n));
        sent += n;
      }
      if (sent < total_) {
        p.events.add("paused");
      } else if (!p.events.count("done")) {
        p.events.add("done");
        p.end();
      }
    }
  };
  auto at = serve(fam, [=](probe& p) {
    auto prod = std::make_shared<producer>();
    p.connect_hook = [=](probe& self) { prod->more(self, total, block, high); };
    p.write_hook = [=](probe& self) { prod->more(self, total, block, high); };
  });
  blocking_client c(at);
  auto p = next_channel();
  // The client reads nothing: the producer must stop with a bounded queue.
  BOOST_REQUIRE(p->events.wait_count("paused"));
  BOOST_TEST(p->events.count("done") == 0u);
  BOOST_TEST(p->bytes_queued() < high + block);
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == total);
  BOOST_TEST(mismatch(got.bytes, 0) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("done") == 1u);
}

PANTS_FAMILY_TEST_CASE(echo_server_facing_a_client_that_never_reads_keeps_its_queue_bounded) {
  auto at = serve(fam, echo);
  const std::size_t total = 32 * MiB;
  const auto data = pattern(11, total);
  // Past the high-water mark the engine stops reading; what it had already
  // handed the actor (at most the in-flight bound plus one read) still gets
  // echoed, plus the write that crossed the mark.
  const auto high = stream_socket::default_high_water;
  const auto bound = high + stream_socket::inflight_limit + 2 * stream_socket::read_chunk;
  raw_client c(at.family(), 64 * static_cast<int>(KiB));
  c.connect(at);
  auto p = next_channel();

  // Phase 1: send, never read, until sends stop making progress.
  std::size_t sent = 0, max_queued = 0;
  int idle = 0;
  auto deadline = clock_type::now() + patience;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    max_queued = std::max(max_queued, p->bytes_queued());
    if (n > 0) {
      sent += n;
      idle = 0;
    } else if (c.wait(POLLOUT, std::chrono::milliseconds(100)) == 0 && ++idle >= 3 &&
               max_queued > high) {
      break; // 300 ms without progress, and the server went past its mark
    }
  }
  BOOST_TEST_MESSAGE("sent before the stall: " << sent << ", max queued: " << max_queued);
  BOOST_TEST(max_queued > high);   // the server did queue past its mark...
  BOOST_TEST(max_queued <= bound); // ...and stopped reading there
  BOOST_TEST(sent < total);        // so the client's sends stopped

  // Phase 2: the client reads; the server resumes and echoes everything.
  std::size_t bad = npos;
  auto received = pump_echo(c, data, 11, sent, bad, clock_type::now() + 3 * patience);
  BOOST_TEST(received == total);
  BOOST_TEST(bad == npos);
  BOOST_TEST(p->events.count("close") == 0u);
}

PANTS_FAMILY_TEST_CASE(set_write_marks_rejects_bad_marks_and_changes_nothing) {
  auto at = serve(fam, echo);
  blocking_client c(at);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  BOOST_CHECK_THROW(p->set_write_marks(100, 200), std::invalid_argument);
  BOOST_CHECK_THROW(p->set_write_marks(100, 0), std::invalid_argument);
  BOOST_CHECK_THROW(p->set_write_marks(0, 0), std::invalid_argument);
  c.send("still echoing");
  BOOST_TEST(c.recv_exactly(13) == "still echoing");
  p->set_write_marks(4 * KiB, 4 * KiB); // low == high is allowed
  c.send("and again");
  BOOST_TEST(c.recv_exactly(9) == "and again");
}

// -- read flow control ----------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(slow_handler_pushes_back_on_the_sender_and_loses_nothing) {
  const std::size_t total = 32 * MiB;
  const auto data = pattern(21, total);
  auto door = std::make_shared<gate>();
  struct checker {
    std::size_t received = 0;
    std::size_t bad = npos;
  };
  auto at = serve(fam, [door, total](probe& p) {
    auto seen = std::make_shared<checker>();
    p.read_hook = [door, seen, total](probe& self, std::string_view data_) {
      if (seen->received == 0) {
        self.events.add("blocked");
        door->wait(); // a slow handler, until the test opens the door
      }
      auto wrong = mismatch(data_, 21 + seen->received);
      if (wrong != npos && seen->bad == npos) {
        seen->bad = seen->received + wrong;
        self.events.add("mismatch");
      }
      seen->received += data_.size();
      if (seen->received == total)
        self.events.add("all");
    };
  });
  struct open_on_exit {
    std::shared_ptr<gate> g;
    ~open_on_exit() { g->open(); }
  } guard{door};

  raw_client c(at.family(), 64 * static_cast<int>(KiB));
  c.connect(at);
  auto p = next_channel();
  std::size_t sent = 0;
  bool stalled = false;
  int idle = 0;
  auto deadline = clock_type::now() + patience / 2;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    if (n > 0) {
      sent += n;
      idle = 0;
    } else if (c.wait(POLLOUT, std::chrono::milliseconds(100)) == 0 && ++idle >= 3) {
      stalled = true; // 300 ms without progress: the kernel buffers are full
      break;
    }
  }
  BOOST_TEST_MESSAGE("sent before the stall: " << sent);
  BOOST_TEST(p->events.count("blocked") == 1u);
  BOOST_TEST(stalled);
  BOOST_TEST(sent < total);

  door->open();
  deadline = clock_type::now() + 3 * patience;
  while (sent < total && clock_type::now() < deadline) {
    auto n = c.send_some(std::string_view(data).substr(sent, 256 * KiB));
    sent += n;
    if (n == 0)
      c.wait(POLLOUT, std::chrono::milliseconds(100));
  }
  BOOST_TEST(sent == total);
  BOOST_REQUIRE(p->events.wait_count("all"));
  BOOST_TEST(p->events.count("mismatch") == 0u);
}

// -- broken peers -----------------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(writing_to_a_reset_peer_closes_once_without_sigpipe) {
  auto at = serve(fam, nullptr);
  blocking_client c(at);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  // Hold the engine so it cannot see the reset first: the writes below then
  // meet the dead socket themselves (ECONNRESET, then EPIPE).
  auto hold = std::make_shared<gate>();
  auto held = std::make_shared<std::promise<void>>();
  auto engine_held = held->get_future();
  eng.post([hold, held] {
    held->set_value();
    hold->wait();
  });
  struct open_on_exit {
    std::shared_ptr<gate> g;
    ~open_on_exit() { g->open(); }
  } guard{hold};
  BOOST_REQUIRE((engine_held.wait_for(patience) == std::future_status::ready));
  c.reset();
  const std::string block(64 * KiB, 'x');
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    try {
      p->write(block);
    } catch (const state_error&) {
      ++refused;
    }
  }
  hold->open();
  BOOST_REQUIRE(p->events.wait_count("close")); // and the process is still here
  BOOST_TEST(p->closed());
  BOOST_CHECK_THROW(p->write("more"), state_error);
  BOOST_TEST(p->events.count("write_error") + p->events.count("read_error") == 1u);
  BOOST_TEST(p->events.count("close") == 1u);
  BOOST_TEST_MESSAGE("writes refused while the engine was held: " << refused);
}

PANTS_FAMILY_TEST_CASE(write_file_to_a_reset_peer_closes_once_without_sigpipe) {
  auto file = std::make_shared<temp_file>(pattern(0, 256 * KiB));
  auto at = serve(fam, nullptr);
  blocking_client c(at);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("connect"));
  c.reset();
  for (int i = 0; i < 1000; ++i) {
    try {
      p->write_file(file->path());
    } catch (const state_error&) {
      break;
    }
    if (p->events.count("close"))
      break;
  }
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

// -- out of descriptors -------------------------------------------------------------------------

namespace {

/// Lowers the soft RLIMIT_NOFILE; restores it when told or destroyed.
class nofile_limit {
public:
  explicit nofile_limit(rlim_t soft) {
    if (::getrlimit(RLIMIT_NOFILE, &old_) != 0)
      throw std::runtime_error("getrlimit failed");
    rlimit lowered = old_;
    lowered.rlim_cur = soft;
    if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0)
      throw std::runtime_error("setrlimit failed");
  }
  ~nofile_limit() { restore(); }
  nofile_limit(const nofile_limit&) = delete;
  nofile_limit& operator=(const nofile_limit&) = delete;
  void restore() {
    if (!restored_)
      ::setrlimit(RLIMIT_NOFILE, &old_);
    restored_ = true;
  }

private:
  rlimit old_{};
  bool restored_ = false;
};

} // namespace

// TCP only: running out of descriptors at accept does not depend on the
// listener's family.
BOOST_AUTO_TEST_CASE(out_of_descriptors_does_not_spin_and_accepting_resumes) {
  auto at = serve(family::ipv4, echo);
  auto sockets_before = open_socket_count();
  // The clients' sockets exist before the limit drops; connect() needs no
  // new descriptor.
  std::vector<std::unique_ptr<raw_client>> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<raw_client>(AF_INET));
  int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  auto accepted_before = made->accepts.count("accept");
  {
    nofile_limit limit(static_cast<rlim_t>(lowest_free));
    int probe_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int err = errno;
    if (probe_fd >= 0)
      ::close(probe_fd);
    BOOST_REQUIRE(probe_fd < 0);
    BOOST_REQUIRE(err == EMFILE);

    auto wall0 = clock_type::now();
    auto cpu0 = process_cpu_seconds();
    for (auto& client : clients)
      client->connect(at); // completes in the kernel's backlog
    // The one place this suite measures time: a window in which a spinning
    // loop would burn a whole core. Nothing waits on it for correctness.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto cpu = process_cpu_seconds() - cpu0;
    auto wall = std::chrono::duration<double>(clock_type::now() - wall0).count();
    limit.restore();
    BOOST_TEST_MESSAGE("cpu " << cpu << " s over " << wall << " s");
    BOOST_TEST(cpu < 0.25 * wall); // a spinning engine burns ~1.0; an idle one ~0.001
    BOOST_TEST(made->accepts.count("accept") == accepted_before); // no accept got through
  }
  clients.clear();
  BOOST_TEST(servers.back()->listening());
  {
    blocking_client c(at);
    c.send("back");
    BOOST_TEST(c.recv_exactly(4) == "back");
  }
  // Every descriptor of the episode is released: the connections turned
  // away at EMFILE, those accepted after it, and the spare's.
  BOOST_TEST(eventually([&] { return open_socket_count() == sockets_before; }));
}

BOOST_AUTO_TEST_SUITE_END()
