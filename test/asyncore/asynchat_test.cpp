// async_chat over real sockets, on the select and the poll backend (ctest
// runs the suite once with each), over IPv4, ::1 and a Unix path: the
// behaviour CPython's test_asynchat checks, written anew for this API.

#define BOOST_TEST_MODULE asynchat
#include "asyncore/harness.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace pants::test;
using pants::endpoint;
namespace bdata = boost::unit_test::data;
using strings = std::vector<std::string>;

namespace suite {

/// A collector on `n` whose peer (the accepted side) sends `payload`,
/// `chunk` bytes per write event and closes after; the collector reads
/// `chunk` bytes at a time too, so every terminator may be split.
struct chunked_peer {
  chunked_peer(net n, std::string payload, std::size_t chunk, bool close_after = true)
      : map(fresh_map()) {
    srv = ac::make<server>(map.get(), n, [=](ac::socket_handle s, ac::socket_map* m) {
      return ac::make<chunked_sender>(std::move(s), m, payload, chunk, close_after);
    });
    client = ac::make<collector>(map.get(), srv->address());
    client->ac_in_buffer_size = chunk;
  }
  std::unique_ptr<ac::socket_map> map;
  std::shared_ptr<server> srv;
  std::shared_ptr<collector> client;
};

const std::string hello = "hello world";
const std::string dead = "I'm not dead yet!";

} // namespace suite
using namespace suite;

BOOST_DATA_TEST_CASE(a_string_terminator_is_found_even_when_split_across_reads,
                     bdata::make(all_nets) * bdata::make({"\n", "\r\n", "qqq"}) *
                         bdata::make({1, 2, 3}),
                     n, term, chunk) {
  PANTS_NEEDS_NET(n);
  chunked_peer p(n, hello + term + dead + term, static_cast<std::size_t>(chunk));
  p.client->set_terminator(term);
  BOOST_TEST_REQUIRE(run_until(*p.map, [&] { return p.client->closes > 0; }));
  BOOST_TEST(p.client->connects == 1);
  BOOST_TEST(p.client->lines == (strings{hello, dead}));
  BOOST_TEST(p.client->rest().empty());
}

BOOST_DATA_TEST_CASE(a_numeric_terminator_counts_down_across_reads_then_collects_the_rest,
                     bdata::make(all_nets) * bdata::make({1, 6}) * bdata::make({1, 2, 3}), n, count,
                     chunk) {
  PANTS_NEEDS_NET(n);
  const std::string data = "hello world, I'm not dead yet!\n";
  chunked_peer p(n, data, static_cast<std::size_t>(chunk));
  p.client->set_terminator(count);
  BOOST_TEST_REQUIRE(run_until(*p.map, [&] { return p.client->closes > 0; }));
  auto k = static_cast<std::size_t>(count);
  BOOST_TEST(p.client->lines == (strings{data.substr(0, k)}));
  // Once reached, the count is 0: what follows is collected, no terminator.
  BOOST_TEST((p.client->get_terminator() == ac::terminator(std::size_t{0})));
  BOOST_TEST(p.client->rest() == data.substr(k));
}

BOOST_DATA_TEST_CASE(without_a_terminator_everything_is_collected, bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  chunked_peer p(n, hello + "\n" + dead + "\n", 3);
  p.client->set_terminator(std::nullopt);
  BOOST_TEST_REQUIRE(run_until(*p.map, [&] { return p.client->closes > 0; }));
  BOOST_TEST(p.client->lines.empty());
  BOOST_TEST(p.client->rest() == hello + "\n" + dead + "\n");
}

BOOST_DATA_TEST_CASE(empty_lines_are_found_as_empty_pieces, bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  chunked_peer p(n, hello + "\n\n" + dead + "\n", 2);
  p.client->set_terminator("\n");
  BOOST_TEST_REQUIRE(run_until(*p.map, [&] { return p.client->closes > 0; }));
  BOOST_TEST(p.client->lines == (strings{hello, "", dead}));
}

namespace suite {

/// Switches between a line and a byte count: a line holding a number makes
/// that many bytes the next piece, then lines again.
class switching_collector : public collector {
public:
  using collector::collector;
  void found_terminator() override {
    auto got = get_data();
    lines.push_back(got);
    if (std::holds_alternative<std::string>(get_terminator()) && !got.empty() &&
        std::isdigit(static_cast<unsigned char>(got[0])))
      set_terminator(std::stoll(got));
    else
      set_terminator("\n");
  }
};

} // namespace suite

BOOST_DATA_TEST_CASE(a_terminator_set_in_found_terminator_applies_to_data_already_buffered,
                     bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  const std::string payload = "3\nabcdef\n5\n12345\n";
  auto srv = ac::make<server>(map.get(), n, [&](ac::socket_handle s, ac::socket_map* m) {
    return ac::make<chunked_sender>(std::move(s), m, payload, payload.size(), true);
  });
  auto c = ac::make<switching_collector>(map.get(), srv->address());
  c->set_terminator("\n");
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes > 0; }));
  // All of it arrives in one read: every switch acts on buffered bytes.
  BOOST_TEST(c->lines == (strings{"3", "abc", "def", "5", "12345", ""}));
}

namespace suite {

/// Pushes what it is told to once connected, to an echo server; collects
/// the echo line by line.
class pusher : public collector {
public:
  using collector::collector;
  std::function<void(pusher&)> on_connect;
  void handle_connect() override {
    collector::handle_connect();
    if (on_connect)
      on_connect(*this);
  }
};

/// A producer that gives all of its string at once, then nothing.
class string_producer : public ac::producer {
public:
  explicit string_producer(std::string s) : s_(std::move(s)) {}
  std::string more() override { return std::exchange(s_, std::string()); }

private:
  std::string s_;
};

/// An echo server and a pusher on `n`; runs until the pusher has `lines`
/// lines back.
strings echo_round_trip(net n, const std::function<void(pusher&)>& push, std::size_t lines) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), n, echo_factory());
  auto c = ac::make<pusher>(map.get(), srv->address());
  c->set_terminator("\n");
  c->on_connect = push;
  BOOST_TEST(run_until(*map, [&] { return c->lines.size() >= lines; }));
  return c->lines;
}

} // namespace suite

BOOST_DATA_TEST_CASE(a_simple_producer_sends_its_data_in_pieces, bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto got = echo_round_trip(
      n,
      [](pusher& p) {
        p.push_with_producer(std::make_shared<ac::simple_producer>(hello + "\n" + dead + "\n", 5));
      },
      2);
  BOOST_TEST(got == (strings{hello, dead}));
}

BOOST_DATA_TEST_CASE(a_string_producer_and_plain_pushes_keep_their_order, bdata::make(all_nets),
                     n) {
  PANTS_NEEDS_NET(n);
  auto got = echo_round_trip(
      n,
      [](pusher& p) {
        p.push("first\n");
        p.push_with_producer(std::make_shared<string_producer>(hello + "\n" + dead + "\n"));
        p.push("");
        p.push("last\n");
      },
      4);
  BOOST_TEST(got == (strings{"first", hello, dead, "last"}));
}

BOOST_AUTO_TEST_CASE(pushing_an_empty_buffer_queues_nothing) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, echo_factory());
  auto c = ac::make<pusher>(map.get(), srv->address());
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connected(); }));
  BOOST_TEST(!c->writable());
  c->push("");
  BOOST_TEST(!c->writable()); // nothing queued: the loop does not watch for writing
  c->set_terminator("\n");
  c->push("x\n");
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->lines.size() == 1; }));
  BOOST_TEST(c->lines == (strings{"x"}));
}

BOOST_DATA_TEST_CASE(output_larger_than_the_out_buffer_goes_out_in_order, bdata::make(all_nets),
                     n) {
  PANTS_NEEDS_NET(n);
  std::string big;
  for (int i = 0; i < 2000; ++i)
    big += "line " + std::to_string(i) + "\n";
  auto got = echo_round_trip(
      n, [&](pusher& p) { p.push(big); }, 2000);
  BOOST_TEST_REQUIRE(got.size() == 2000u);
  BOOST_TEST(got.front() == "line 0");
  BOOST_TEST(got.back() == "line 1999");
}

namespace suite {

/// On its first line, pushes `reply` and closes when done.
class replier : public ac::async_chat {
public:
  replier(ac::socket_handle s, ac::socket_map* m, std::string reply)
      : ac::async_chat(std::move(s), m), reply_(std::move(reply)) {
    set_terminator("\n");
  }
  void found_terminator() override {
    push(reply_);
    close_when_done();
  }

private:
  std::string reply_;
};

} // namespace suite

BOOST_DATA_TEST_CASE(close_when_done_closes_only_after_everything_queued_is_sent,
                     bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  auto map = fresh_map();
  std::string reply(300 * 1024, 'r'); // more than a socket buffer takes at once
  auto srv = ac::make<server>(map.get(), n, [&](ac::socket_handle s, ac::socket_map* m) {
    return ac::make<replier>(std::move(s), m, reply);
  });
  auto c = ac::make<pusher>(map.get(), srv->address());
  c->set_terminator(std::nullopt);
  c->on_connect = [](pusher& p) { p.push("go\n"); };
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->closes > 0; }));
  BOOST_TEST(c->rest() == reply);
  BOOST_TEST_REQUIRE(srv->handlers.size() == 1u);
  BOOST_TEST(!srv->handlers[0]->connected()); // the server side closed it
}

BOOST_AUTO_TEST_CASE(discard_buffers_drops_queued_output_and_buffered_input) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, echo_factory());
  auto c = ac::make<pusher>(map.get(), srv->address());
  c->set_terminator("\n");
  c->push("never sent\n"); // queued: not connected yet
  BOOST_TEST(c->writable());
  c->discard_buffers();
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->connected(); }));
  c->push("sent\n");
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return !c->lines.empty(); }));
  BOOST_TEST(c->lines == (strings{"sent"}));
}

BOOST_AUTO_TEST_CASE(a_count_below_one_or_a_null_producer_is_refused_and_changes_nothing) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, echo_factory());
  auto c = ac::make<pusher>(map.get(), srv->address());
  c->set_terminator("\r\n");
  BOOST_CHECK_THROW(c->set_terminator(0), std::invalid_argument);
  BOOST_CHECK_THROW(c->set_terminator(-1), std::invalid_argument);
  BOOST_TEST((c->get_terminator() == ac::terminator(std::string("\r\n"))));
  BOOST_CHECK_THROW(c->push_with_producer(nullptr), std::invalid_argument);
  BOOST_TEST(!c->writable() == c->connected());
  BOOST_CHECK_THROW(ac::simple_producer("x", 0), std::invalid_argument);
  c->set_terminator("");
  BOOST_TEST(std::holds_alternative<std::monostate>(c->get_terminator()));
}

BOOST_DATA_TEST_CASE(a_peer_that_never_sends_the_terminator_is_closed_at_the_incoming_limit,
                     bdata::make(all_nets), n) {
  PANTS_NEEDS_NET(n);
  chunked_peer p(n, std::string(5000, 'x'), 1000, false); // no terminator, and stays open
  p.client->ac_max_incoming_size = 3000;
  p.client->set_terminator("\n");
  BOOST_TEST_REQUIRE(run_until(*p.map, [&] { return p.client->closes > 0; }));
  BOOST_TEST(p.client->lines.empty());
  BOOST_TEST(p.client->rest().size() <= 3000u); // never more than the limit held
}

BOOST_AUTO_TEST_CASE(bytes_queued_counts_what_push_queued_until_it_is_sent) {
  auto map = fresh_map();
  auto srv = ac::make<server>(map.get(), net::ipv4, echo_factory());
  auto c = ac::make<pusher>(map.get(), srv->address());
  c->set_terminator("\n");
  c->push("0123456789\n"); // not connected yet: queued
  BOOST_TEST(c->bytes_queued() == 11u);
  c->push_with_producer(std::make_shared<ac::simple_producer>("abc\n", 2));
  BOOST_TEST(c->bytes_queued() == 11u); // a producer's pieces count once it gives them
  BOOST_TEST_REQUIRE(run_until(*map, [&] { return c->lines.size() == 2; }));
  BOOST_TEST(c->bytes_queued() == 0u);
  BOOST_TEST(c->lines == (strings{"0123456789", "abc"}));
  c->push("later\n");
  c->discard_buffers();
  BOOST_TEST(c->bytes_queued() == 0u);
}

BOOST_AUTO_TEST_CASE(find_prefix_at_end_measures_a_split_terminator) {
  BOOST_TEST(ac::find_prefix_at_end("qwerty\r", "\r\n") == 1u);
  BOOST_TEST(ac::find_prefix_at_end("qwertydkjf", "\r\n") == 0u);
  BOOST_TEST(ac::find_prefix_at_end("abqq", "qqq") == 2u);
  BOOST_TEST(ac::find_prefix_at_end("q", "qqq") == 1u);
  BOOST_TEST(ac::find_prefix_at_end("", "qqq") == 0u);
  BOOST_TEST(ac::find_prefix_at_end("qqq", "qqq") == 2u); // never the whole needle
  BOOST_TEST(ac::find_prefix_at_end("abc", "") == 0u);
}

BOOST_AUTO_TEST_CASE(simple_producer_gives_pieces_then_nothing) {
  ac::simple_producer p("abcdefg", 3);
  BOOST_TEST(p.more() == "abc");
  BOOST_TEST(p.more() == "def");
  BOOST_TEST(p.more() == "g");
  BOOST_TEST(p.more() == "");
}
