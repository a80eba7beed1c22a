// Per-channel logic of streams, deterministically through the mock engine
// (besides the real-socket suites): framing, callback order, close paths,
// timers, misuse; both handler styles. No socket, no thread, no waiting.

#include "pants/actors/testing/mock_fixture.hpp"

#include "pants/actors/behavior_stream.hpp"
#include "pants/actors/stream.hpp"
#include "pants/actors/stream_server.hpp"
#include "pants/channels/binary_layout.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/regex.hpp"
#include "support/log_capture.hpp"

#define BOOST_TEST_MODULE stream_mock
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace pants::testing;
using namespace std::chrono_literals;
using strings = std::vector<std::string>;

namespace {

/// A connection that logs its callbacks; `on_read_do` runs inside on_read.
class logged : public connection {
public:
  using connection::connection;
  strings log;
  std::function<void(logged&, std::string_view)> on_read_do;

private:
  void on_connect() override { log.push_back("connect"); }
  void on_read(std::string_view d) override {
    log.push_back("read " + std::string(d));
    if (on_read_do)
      on_read_do(*this, d);
  }
  void on_write() override { log.push_back("write"); }
  void on_overflow_error(const net_error& e) override {
    log.push_back("overflow " + std::to_string(e.code));
    close();
  }
  void on_read_error(const net_error& e) override {
    log.push_back("read_error " + std::to_string(e.code));
  }
  void on_write_error(const net_error& e) override {
    log.push_back("write_error " + std::to_string(e.code));
  }
  void on_error(const std::exception& e) override {
    log.push_back(std::string("error ") + e.what());
  }
  void on_close() override { log.push_back("close"); }
};

/// An actor-style channel logging the framework's messages.
behavior_stream::factory logging_behavior(strings& log) {
  return [&log](stream& self) -> caf::behavior {
    return {
        [&log](connected_msg) { log.push_back("connect"); },
        [&log, &self](read_msg& m) {
          log.push_back("read " + m.data);
          self.write(m.data);
        },
        [&log](drained_msg) { log.push_back("write"); },
        [&log](read_error_msg& m) { log.push_back("read_error " + std::to_string(m.error.code)); },
        [&log](closed_msg) { log.push_back("close"); },
    };
  };
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_mock, mock_fixture)

BOOST_AUTO_TEST_CASE(a_handler_exception_without_on_error_goes_to_the_log_sink) {
  struct thrower : connection {
    using connection::connection;
    void on_read(std::string_view) override { throw std::runtime_error("bad frame"); }
  };
  pants::test::log_capture logged;
  auto [c, peer] = accept<thrower>();
  peer.send("x");
  run();
  auto entries = logged.entries();
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST((entries[0].first == log_level::error));
  BOOST_TEST(entries[0].second == "a channel handler threw: bad frame");
  BOOST_TEST(!c->closed()); // the channel goes on
}

BOOST_AUTO_TEST_CASE(a_string_delimiter_splits_frames_across_any_chunking) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter("\r\n");
  for (auto chunk : {"a", "b\r", "\nc\r\nd", "\r", "\n"})
    peer.send(chunk);
  run();
  BOOST_TEST(c->log == (strings{"connect", "read ab", "read c", "read d"}));
}

BOOST_AUTO_TEST_CASE(a_byte_count_delimiter_gives_frames_of_exactly_that_size) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter(3);
  peer.send("abcdefg");
  peer.send("hi");
  run();
  BOOST_TEST(c->log == (strings{"connect", "read abc", "read def", "read ghi"}));
}

BOOST_AUTO_TEST_CASE(a_length_prefix_gives_each_payload_and_write_framed_answers_in_kind) {
  using namespace std::string_literals;
  auto [c, peer] = accept<logged>();
  c->read_delimiter(pants::length_prefix(1, 16));
  c->on_read_do = [](logged& self, std::string_view d) { self.write_framed(d); };
  for (auto chunk : {"\x03"s, "ab"s, "c\x00\x02"s, "xy"s})
    peer.send(chunk);
  run();
  BOOST_TEST(c->log == (strings{"connect", "read abc", "read ", "write", "read xy", "write"}),
             boost::test_tools::per_element());
  BOOST_TEST((peer.written() == "\x03"
                                "abc\x00\x02xy"s));
  peer.send("\x11"); // claims 17 bytes, over max_frame 16: refused at the prefix
  run();
  BOOST_TEST(c->log.size() == 8u);
  BOOST_TEST((strings(c->log.begin() + 6, c->log.end()) ==
              strings{"overflow " + std::to_string(ENOBUFS), "close"}));
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_match_mode_pattern_hands_on_read_its_groups_and_the_end_completes_one) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter(pants::regex("(\\w+)=(\\d+)\n*", regex_mode::match));
  c->on_read_do = [](logged& self, std::string_view) {
    auto g = self.read_groups();
    self.log.push_back(std::string(g[1]) + " is " + std::string(g[2]));
  };
  for (auto chunk : {"a=1\nb", "=22\n", "\nc=3"})
    peer.send(chunk);
  run();
  // "c=3" could take more digits (or newlines): it waits.
  BOOST_TEST(c->log == (strings{"connect", "read a=1\n", "a is 1", "read b=22\n\n", "b is 22"}),
             boost::test_tools::per_element());
  peer.close(); // the end of the stream completes both
  run();
  BOOST_TEST(c->log == (strings{"connect", "read a=1\n", "a is 1", "read b=22\n\n", "b is 22",
                                "read c=3", "c is 3", "close"}),
             boost::test_tools::per_element());
  BOOST_TEST(c->read_groups().empty()); // outside on_read
}

BOOST_AUTO_TEST_CASE(bytes_a_match_mode_pattern_can_never_match_are_an_overflow) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter(pants::regex("OK\n", regex_mode::match));
  peer.send("OK\nNO\n");
  run();
  BOOST_TEST(c->log ==
                 (strings{"connect", "read OK\n", "overflow " + std::to_string(ENOBUFS), "close"}),
             boost::test_tools::per_element());
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(a_binary_layout_gives_typed_fields_and_write_packed_answers_in_kind) {
  using namespace std::string_literals;
  auto [c, peer] = accept<logged>();
  c->read_delimiter(binary_layout("!HB"));
  c->on_read_do = [](logged& self, std::string_view) {
    auto [id, op] = self.read_fields().as<std::uint16_t, std::uint8_t>();
    self.write_packed(id, static_cast<std::uint8_t>(op + 1));
  };
  peer.send("\x01\x02\x07\xff"s);
  peer.send("\xfe\x09"s);
  run();
  BOOST_TEST(c->log.size() == 5u);
  BOOST_TEST((peer.written() == "\x01\x02\x08\xff\xfe\x0a"s));
  BOOST_CHECK_THROW(c->read_fields(), std::logic_error); // outside on_read
  c->read_delimiter('\n');
  BOOST_CHECK_THROW(c->write_packed(1, 2), std::logic_error); // no layout to use
  BOOST_CHECK_THROW(c->write_packed(binary_layout("!H"), 70000), struct_error);
  BOOST_TEST(peer.written().size() == 6u); // nothing written by either
}

BOOST_AUTO_TEST_CASE(an_actor_style_channel_gets_a_patterns_groups_in_read_msg) {
  strings log;
  auto c = make<behavior_stream>([&log](stream&) -> caf::behavior {
    return {[&log](read_msg& m) {
      std::string line = m.data + ":";
      for (auto& g : m.groups)
        line += "[" + g + "]";
      log.push_back(line);
    }};
  });
  c->read_delimiter(pants::regex("([a-z]+)(!)?;"));
  auto peer = mock.accept(c);
  peer.send("x1ab;y2cd!;");
  run();
  c->read_delimiter('\n'); // later frames carry no groups
  peer.send("z\n");
  run();
  BOOST_TEST(log == (strings{"x1:[ab;][ab][]", "y2:[cd!;][cd][!]", "z:"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_delimiter_changed_in_on_read_applies_to_the_rest_of_the_chunk) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter('\n');
  c->on_read_do = [](logged& self, std::string_view) { self.read_delimiter(2); };
  peer.send("head\nabcd");
  run();
  BOOST_TEST(c->log == (strings{"connect", "read head", "read ab", "read cd"}));
}

BOOST_AUTO_TEST_CASE(a_delimiter_set_outside_on_read_reframes_buffered_data) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter('\n');
  peer.send("xyz");
  run();
  c->read_delimiter(1);
  run();
  BOOST_TEST(c->log == (strings{"connect", "read x", "read y", "read z"}));
}

BOOST_AUTO_TEST_CASE(an_unterminated_tail_is_dropped_at_the_peer_close) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter('\n');
  peer.send("whole\npart");
  peer.close();
  run();
  BOOST_TEST(c->log == (strings{"connect", "read whole", "close"}));
}

BOOST_AUTO_TEST_CASE(a_frame_past_the_buffer_size_reports_an_overflow) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter('\n');
  c->buffer_size(4);
  BOOST_TEST(c->buffer_size() == 4u);
  peer.send("toolong");
  run();
  BOOST_TEST(c->log == (strings{"connect", "overflow " + std::to_string(ENOBUFS), "close"}));
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(on_write_runs_after_the_on_read_that_wrote) {
  auto [c, peer] = accept<logged>();
  c->on_read_do = [](logged& self, std::string_view d) { self.write(d); };
  peer.send("a");
  run();
  BOOST_TEST(c->log == (strings{"connect", "read a", "write"}));
  BOOST_TEST(peer.written() == "a");
}

BOOST_AUTO_TEST_CASE(close_in_on_read_stops_the_frames_of_the_same_chunk) {
  auto [c, peer] = accept<logged>();
  c->read_delimiter(1);
  c->on_read_do = [](logged& self, std::string_view) { self.close(); };
  peer.send("abc");
  run();
  BOOST_TEST(c->log == (strings{"connect", "read a", "close"}));
}

BOOST_AUTO_TEST_CASE(an_exception_from_a_callback_goes_to_on_error_and_the_channel_goes_on) {
  auto [c, peer] = accept<logged>();
  c->on_read_do = [](logged&, std::string_view d) {
    if (d == "bad")
      throw std::runtime_error("boom");
  };
  peer.send("bad");
  run();
  peer.send("good");
  run();
  BOOST_TEST(c->log == (strings{"connect", "read bad", "error boom", "read good"}));
}

BOOST_AUTO_TEST_CASE(a_read_error_is_reported_before_the_close) {
  auto [c, peer] = accept<logged>();
  peer.read_error(ETIMEDOUT);
  run();
  BOOST_TEST(c->log == (strings{"connect", "read_error " + std::to_string(ETIMEDOUT), "close"}));
}

BOOST_AUTO_TEST_CASE(close_is_idempotent_and_on_close_runs_once) {
  auto [c, peer] = accept<logged>();
  c->close();
  c->close();
  c->end();
  run();
  BOOST_TEST(c->log == (strings{"connect", "close"}));
  BOOST_CHECK_THROW(c->write("late"), state_error);
}

BOOST_AUTO_TEST_CASE(writes_after_end_or_shutdown_write_throw_state_error) {
  auto [c, peer] = accept<logged>();
  c->shutdown_write();
  BOOST_CHECK_THROW(c->write("x"), state_error);
  BOOST_TEST(peer.shut_down_write());
  auto [d, peer2] = accept<logged>();
  peer2.set_window(false);
  d->write("x");
  d->end();
  BOOST_CHECK_THROW(d->write("y"), state_error);
  run();
  BOOST_TEST(!peer2.closed());
}

BOOST_AUTO_TEST_CASE(write_file_regions_are_written_in_order_with_writes) {
  char path[] = "/tmp/pants-mock-XXXXXX";
  int fd = ::mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(::write(fd, "0123456789", 10) == 10);
  auto [c, peer] = accept<logged>();
  c->write("<");
  c->write_file(fd, 2, 3);
  c->write(">");
  c->write_file(path);
  run();
  ::close(fd);
  ::unlink(path);
  BOOST_TEST(peer.written() == "<234>0123456789");
  BOOST_CHECK_THROW(c->write_file("/nonexistent/pants-mock"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(channel_timers_run_in_order_of_virtual_time_and_stop_at_close) {
  auto [c, peer] = accept<logged>();
  strings fired;
  c->defer(2s, [&] { fired.push_back("defer 2s"); });
  c->defer(1s, [&] { fired.push_back("defer 1s"); });
  c->cycle(1500ms, [&] { fired.push_back("cycle"); });
  c->callback([&] { fired.push_back("callback"); });
  run();
  BOOST_TEST(fired == strings{"callback"});
  advance(3s);
  BOOST_TEST(fired == (strings{"callback", "defer 1s", "cycle", "defer 2s", "cycle"}));
  c->close();
  run();
  advance(10s);
  BOOST_TEST(fired.size() == 5u);
  BOOST_CHECK_THROW(c->defer(1s, [] {}), state_error);
}

BOOST_AUTO_TEST_CASE(an_actor_style_connection_gets_messages_in_socket_order) {
  strings log;
  auto c = make<behavior_stream>(logging_behavior(log));
  c->read_delimiter('\n');
  auto peer = mock.accept(c);
  peer.send("one\ntwo\n");
  run();
  peer.reset();
  run();
  // One drain for the writes of one chunk's frames: on_write follows them.
  BOOST_TEST(log == (strings{"connect", "read one", "read two", "write",
                             "read_error " + std::to_string(ECONNRESET), "close"}));
  BOOST_TEST(peer.written() == "onetwo");
}

BOOST_AUTO_TEST_CASE(an_echo_to_all_server_broadcasts_through_its_channel_list) {
  class echo_all : public connection {
  public:
    using connection::connection;
    void on_read(std::string_view d) override {
      for (auto& ch : server()->channels())
        ch->write(d);
    }
  };
  auto srv = make<server>([this] { return std::make_shared<echo_all>(mock.engine()); });
  srv->listen(4000);
  run();
  auto net = mock.listener(*srv);
  auto a = net.accept("192.0.2.1:1");
  auto b = net.accept("192.0.2.2:2");
  run();
  a.send("hi");
  run();
  BOOST_TEST(a.written() == "hi");
  BOOST_TEST(b.written() == "hi");
  b.close();
  run();
  BOOST_TEST(srv->channels().size() == 1u);
}

// -- idle timeouts --------------------------------------------------------------

namespace {

/// Logs on_idle; closes there only when `close_when_idle` (the default's
/// behaviour), else stays open to be told again.
class quiet : public connection {
public:
  explicit quiet(pants::engine& eng) : quiet(true, eng) {}
  quiet(bool close_when_idle, pants::engine& eng)
      : connection(eng), close_when_idle_(close_when_idle) {}
  strings log;

private:
  void on_read(std::string_view d) override { log.push_back("read " + std::string(d)); }
  void on_idle(idle_kind kind) override {
    log.push_back(std::string("idle ") + to_string(kind));
    if (close_when_idle_)
      connection::on_idle(kind);
  }
  void on_close() override { log.push_back("close"); }
  bool close_when_idle_;
};

} // namespace

BOOST_AUTO_TEST_CASE(a_connection_with_nothing_read_for_its_idle_timeout_is_told_and_closed) {
  auto c = make<quiet>();
  c->set_idle_timeout(30s);
  auto peer = mock.accept(c);
  run();
  advance(29999ms);
  BOOST_TEST(c->log.empty());
  advance(1ms);
  BOOST_TEST(c->log == (strings{"idle read", "close"}));
  BOOST_TEST(peer.closed());
}

BOOST_AUTO_TEST_CASE(each_read_restarts_the_idle_timeout) {
  auto [c, peer] = accept<quiet>();
  c->set_idle_timeout(30s); // connected: counts from now
  advance(20s);
  peer.send("a");
  run();
  advance(29s);
  BOOST_TEST(c->log == (strings{"read a"}));
  advance(1s);
  BOOST_TEST(c->log == (strings{"read a", "idle read", "close"}));
}

BOOST_AUTO_TEST_CASE(restarting_per_read_leaves_no_wake_up_behind) {
  // CAF's clock cannot drop a scheduled message: a timer re-made per read
  // would leave one wake-up per read until its deadline. The restart moves
  // a deadline in the channel's queue instead.
  auto c = make<quiet>();
  c->set_idle_timeout(30s);
  auto peer = mock.accept(c);
  run();
  std::size_t most = 0;
  for (int i = 0; i < 5000; ++i) {
    peer.send("x");
    run();
    if (i % 10 == 0)
      advance(1ms);
    most = std::max(most, mock.pending_wakeups());
  }
  BOOST_TEST(most <= 2u);
  BOOST_TEST(!peer.closed());
}

BOOST_AUTO_TEST_CASE(the_write_side_times_out_without_a_write_and_each_write_restarts_it) {
  auto c = make<quiet>();
  c->set_idle_timeout(10s, idle_kind::write);
  BOOST_TEST((c->idle_timeout(idle_kind::write) == 10s));
  BOOST_TEST(c->idle_timeout().count() == 0);
  auto peer = mock.accept(c);
  run();
  advance(6s);
  c->write("still here");
  advance(9s);
  peer.send("reads do not count");
  run();
  advance(1s);
  BOOST_TEST(c->log == (strings{"read reads do not count", "idle write", "close"}));
  BOOST_TEST(peer.written() == "still here");
}

BOOST_AUTO_TEST_CASE(a_channel_left_open_is_told_again_after_each_further_period) {
  auto c = make<quiet>(false);
  c->set_idle_timeout(5s);
  auto peer = mock.accept(c);
  run();
  advance(15s);
  BOOST_TEST(c->log == (strings{"idle read", "idle read", "idle read"}));
  peer.send("b");
  run();
  advance(4s);
  BOOST_TEST(c->log.size() == 4u);
  advance(1s);
  BOOST_TEST(c->log.back() == "idle read");
  BOOST_TEST(!peer.closed());
}

BOOST_AUTO_TEST_CASE(an_idle_timeout_set_while_connected_counts_from_then_and_can_be_cleared) {
  auto c = make<quiet>(false);
  auto peer = mock.accept(c);
  run();
  advance(100s);
  c->set_idle_timeout(2s);
  advance(1s);
  c->set_idle_timeout(3s); // replaces it, from now
  advance(2s);
  BOOST_TEST(c->log.empty());
  advance(1s);
  BOOST_TEST(c->log == (strings{"idle read"}));
  c->clear_idle_timeout();
  BOOST_TEST(c->idle_timeout().count() == 0);
  advance(60s);
  BOOST_TEST(c->log.size() == 1u);
  c->clear_idle_timeout(idle_kind::write); // none set: nothing to do
}

BOOST_AUTO_TEST_CASE(a_bad_idle_timeout_throws_and_changes_nothing) {
  auto c = make<quiet>();
  c->set_idle_timeout(4s);
  BOOST_CHECK_THROW(c->set_idle_timeout(0ms), std::invalid_argument);
  BOOST_CHECK_THROW(c->set_idle_timeout(-1s, idle_kind::write), std::invalid_argument);
  BOOST_TEST((c->idle_timeout() == 4s));
  BOOST_TEST(c->idle_timeout(idle_kind::write).count() == 0);
  auto peer = mock.accept(c);
  run();
  advance(4s);
  BOOST_TEST(c->log == (strings{"idle read", "close"}));
  BOOST_CHECK_THROW(c->set_idle_timeout(1s), state_error);
  BOOST_TEST((c->idle_timeout() == 4s));
}

BOOST_AUTO_TEST_CASE(an_actor_style_channel_gets_idle_msg_and_unhandled_it_closes) {
  strings log;
  auto handled = make<behavior_stream>([&log](stream&) -> caf::behavior {
    return {
        [&log](idle_msg& m) { log.push_back(std::string("idle ") + to_string(m.kind)); },
        [&log](closed_msg) { log.push_back("close"); },
    };
  });
  handled->set_idle_timeout(1s, idle_kind::write);
  auto p1 = mock.accept(handled);
  strings other;
  auto unhandled = make<behavior_stream>(logging_behavior(other));
  unhandled->set_idle_timeout(1s);
  auto p2 = mock.accept(unhandled);
  run();
  advance(1s);
  BOOST_TEST(log == (strings{"idle write"}));
  BOOST_TEST(!p1.closed());
  BOOST_TEST(other == (strings{"connect", "close"}));
  BOOST_TEST(p2.closed());
}

BOOST_AUTO_TEST_SUITE_END()
