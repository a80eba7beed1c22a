#include "pants/channels/stream_listener.hpp"

#include "pants/channels/errors.hpp"
#include "support/loopback.hpp"
#include "support/recording_sink.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE stream_listener
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

struct listener_fixture {
  engine eng;
  std::shared_ptr<recording_sink> sink = std::make_shared<recording_sink>();
  std::shared_ptr<stream_listener> listener =
      stream_listener::listen(eng, endpoint::numeric("127.0.0.1", 0), 16, sink);

  listener_fixture() {
    BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("listening"); }));
  }
  ~listener_fixture() {
    listener->close();
    poll_until(eng, [&] { return sink->saw("closed"); });
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(listen_reports_listening_once_on_the_real_port, listener_fixture) {
  BOOST_TEST(listener->local().port() != 0);
  BOOST_TEST(!listener->is_closed());
  poll_a_while(eng);
  BOOST_TEST(sink->events() == (events{"listening"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(each_connection_gives_one_accepted_msg_with_a_usable_descriptor,
                        listener_fixture) {
  blocking_client one(listener->local()), two(listener->local()), three(listener->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->count("accepted") == 3; }));
  auto fds = sink->accepted_fds();
  BOOST_REQUIRE(fds.size() == 3u);
  for (int fd : fds)
    BOOST_TEST(::send(fd, "ok", 2, MSG_NOSIGNAL) == 2);
  BOOST_TEST(one.recv_exactly(2) == "ok");
  BOOST_TEST(two.recv_exactly(2) == "ok");
  BOOST_TEST(three.recv_exactly(2) == "ok");
  poll_a_while(eng);
  BOOST_TEST(sink->count("accepted") == 3u);
}

BOOST_FIXTURE_TEST_CASE(close_reports_closed_once_and_stops_accepting, listener_fixture) {
  auto where = listener->local();
  listener->close();
  listener->close();
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(listener->is_closed());
  BOOST_TEST(eng.size() == 0u);
  BOOST_CHECK_THROW(blocking_client late(where), std::runtime_error); // refused
  poll_a_while(eng);
  BOOST_TEST(sink->events() == (events{"listening", "closed"}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(listening_on_an_address_in_use_throws_os_error, listener_fixture) {
  auto other = std::make_shared<recording_sink>();
  BOOST_CHECK_EXCEPTION(stream_listener::listen(eng, listener->local(), 16, other), os_error,
                        has_code(EADDRINUSE));
  BOOST_TEST(stays_silent(eng, *other));
}

BOOST_AUTO_TEST_CASE(a_unix_path_listener_accepts_and_removes_its_file_on_close) {
  engine eng;
  temp_dir dir;
  auto sink = std::make_shared<recording_sink>();
  auto listener = stream_listener::listen(eng, unix_path(dir / "l.sock"), 4, sink);
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("listening"); }));
  BOOST_TEST(exists(dir / "l.sock"));
  blocking_client client(listener->local());
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("accepted"); }));
  listener->close();
  BOOST_REQUIRE(poll_until(eng, [&] { return sink->saw("closed"); }));
  BOOST_TEST(!exists(dir / "l.sock"));
  BOOST_TEST(sink->events() == (events{"listening", "accepted", "closed"}),
             boost::test_tools::per_element());
}
