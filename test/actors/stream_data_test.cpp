// The data path of stream channels over real sockets of every family
// (127.0.0.1, ::1, a Unix path): framing with every read_delimiter, large
// writes, write_file, end/close, half-close and overflow.

#include "pants/actors/stream.hpp"

#include "pants/actors/stream_server.hpp"
#include "pants/channels/binary_layout.hpp"
#include "pants/channels/errors.hpp"
#include "pants/channels/regex.hpp"
#include "support/loopback.hpp"
#include "support/pattern.hpp"
#include "support/peers.hpp"

#define BOOST_TEST_MODULE stream_data
#include <boost/test/unit_test.hpp>

#include "support/descriptors.hpp" // after the module: it uses Boost.Test

#include "support/family.hpp"
#include "support/probe.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace pants;
using namespace pants::test;

namespace {

/// One client per way of cutting `input` (whole, at every offset, one byte
/// per send); returns each connection's log, from "connect" to "close".
std::vector<std::vector<std::string>> logs_for_every_split(probe_fixture& f, const endpoint& at,
                                                           const std::string& input) {
  std::vector<std::vector<std::string>> cuts{{input}};
  for (std::size_t cut = 1; cut < input.size(); ++cut)
    cuts.push_back({input.substr(0, cut), input.substr(cut)});
  std::vector<std::string> bytes;
  for (char ch : input)
    bytes.emplace_back(1, ch);
  cuts.push_back(bytes);

  std::vector<std::vector<std::string>> logs;
  for (auto& pieces : cuts) {
    {
      blocking_client c(at);
      no_delay(c.fd());
      for (auto& piece : pieces)
        c.send(piece);
    } // EOF: the channel delivers its frames, then closes
    auto p = f.next_channel();
    BOOST_REQUIRE(p->events.wait_count("close"));
    logs.push_back(p->events.snapshot());
  }
  return logs;
}

std::function<void(probe&)> framed_by(pants::read_delimiter d) {
  return [d](probe& p) { p.connect_hook = [d](probe& self) { self.read_delimiter(d); }; };
}

std::vector<std::string> expected_log(std::vector<std::string> frames) {
  std::vector<std::string> out{"connect"};
  for (auto& frame : frames)
    out.push_back("read:" + frame);
  out.push_back("close");
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(stream_data_suite, probe_fixture)

// -- read_delimiter -------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(no_delimiter_passes_every_byte_on_in_order_however_it_is_sent) {
  auto at = serve(fam, nullptr);
  const std::string input = "ab\r\ncd\r\nef\r\n";
  for (auto& log : logs_for_every_split(*this, at, input)) {
    BOOST_REQUIRE(log.size() >= 3u);
    BOOST_TEST(log.front() == "connect");
    BOOST_TEST(log.back() == "close");
    std::string joined;
    for (std::size_t i = 1; i + 1 < log.size(); ++i) {
      BOOST_TEST(log[i].size() > 5u); // never an empty chunk
      joined += log[i].substr(5);
    }
    BOOST_TEST(joined == input);
  }
}

PANTS_FAMILY_TEST_CASE(newline_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto at = serve(fam, framed_by("\n"));
  auto want = expected_log({"ab", "cd", "", "ef"});
  for (auto& log : logs_for_every_split(*this, at, "ab\ncd\n\nef\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(crlf_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto at = serve(fam, framed_by("\r\n"));
  auto want = expected_log({"ab", "c\rd\n", "ef"});
  for (auto& log : logs_for_every_split(*this, at, "ab\r\nc\rd\n\r\nef\r\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(multi_byte_delimiter_is_found_across_any_split_even_overlapping_itself) {
  auto at = serve(fam, framed_by("aab"));
  // "xaaab": the delimiter starts one byte after a false start.
  auto want = expected_log({"xa", "", "ab"});
  for (auto& log : logs_for_every_split(*this, at, "xaaabaababaab"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(byte_count_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto at = serve(fam, framed_by(3));
  auto want = expected_log({"ab\n", "cd\n", "efg"});
  for (auto& log : logs_for_every_split(*this, at, "ab\ncd\nefg"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(
    length_prefix_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  auto at = serve(fam, framed_by(length_prefix(2, 100)));
  auto want = expected_log({"ab", "", "\n\n\n"});
  using namespace std::string_literals;
  for (auto& log : logs_for_every_split(*this, at,
                                        "\0\x02"
                                        "ab\0\0\0\x03\n\n\n\0\x05"
                                        "cut"s))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(
    regex_search_delimiter_gives_the_same_frames_whole_or_split_at_every_offset) {
  // "\r?\n+" could always take one more newline: the last frame waits for
  // the end of the stream, which completes it.
  auto at = serve(fam, framed_by(pants::regex("\r?\n+")));
  auto want = expected_log({"ab", "cd", "e\rf", "gh"});
  for (auto& log : logs_for_every_split(*this, at, "ab\r\ncd\n\n\ne\rf\r\ngh\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(
    regex_match_mode_hands_the_handler_each_match_and_refuses_what_cannot_match) {
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) {
      self.read_delimiter(pants::regex("(?<cmd>[A-Z]+) (\\d+)\r\n", regex_mode::match));
    };
    p.read_hook = [](probe& self, std::string_view) {
      auto g = self.read_groups();
      self.write(std::string(g["cmd"]) + "=" + std::string(g[2]) + ";");
    };
    p.overflow_hook = [](probe& self, const net_error& e) { self.events.add("why:" + e.message); };
  });
  blocking_client c(at);
  c.send("GET 1\r\nPUT 22\r\nget 3\r\n");
  BOOST_TEST(c.recv_exactly(13) == "GET=1;PUT=22;");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  auto log = p->events.snapshot();
  auto why = std::find(log.begin(), log.end(), "overflow");
  BOOST_REQUIRE((why != log.end() && why + 1 != log.end()));
  BOOST_TEST(why[1] ==
             "why:the buffered bytes cannot match the pattern \"(?<cmd>[A-Z]+) (\\d+)\r\n\" "
             "(match mode)");
  BOOST_TEST(c.peer_closed());
}

PANTS_FAMILY_TEST_CASE(binary_layout_frames_read_as_fields_and_answered_with_write_packed) {
  // A request of a 4-byte id and two doubles; the answer their sum, under
  // the same id.
  binary_layout request("!Idd"), answer("!Id");
  auto at = serve(fam, [request, answer](probe& p) {
    p.connect_hook = [request](probe& self) { self.read_delimiter(request); };
    p.read_hook = [answer](probe& self, std::string_view) {
      auto [id, a, b] = self.read_fields().as<std::uint32_t, double, double>();
      self.write_packed(answer, id, a + b);
    };
  });
  std::string input;
  for (std::uint32_t id = 0; id < 1000; ++id)
    input += request.pack(id, id * 0.5, 0.25);
  blocking_client c(at);
  std::thread sender([&] { c.send(input); });
  auto got = c.recv_exactly(1000 * answer.size());
  sender.join();
  BOOST_REQUIRE(got.size() == 1000 * answer.size());
  for (std::uint32_t id = 0; id < 1000; ++id) {
    auto f = answer.unpack(std::string_view(got).substr(id * answer.size(), answer.size()));
    BOOST_TEST(f.get<std::uint32_t>(0) == id);
    BOOST_TEST(f.get<double>(1) == id * 0.5 + 0.25);
  }
}

PANTS_FAMILY_TEST_CASE(frames_echoed_with_write_framed_come_back_prefixed_and_intact) {
  // Little-endian 4-byte lengths: a megabyte, an empty frame and a short one.
  length_prefix layout(4, 2 * MiB, byte_order::little);
  auto at = serve(fam, [layout](probe& p) {
    p.connect_hook = [layout](probe& self) { self.read_delimiter(layout); };
    p.read_hook = [](probe& self, std::string_view frame) { self.write_framed(frame); };
  });
  const auto big = pattern(3, 1 * MiB);
  std::string input = layout.encode(big.size()) + big + layout.encode(0) + layout.encode(2) + "ok";
  blocking_client c(at);
  std::thread sender([&] { c.send(input); });
  auto got = c.recv_exactly(input.size());
  sender.join();
  BOOST_TEST(got.size() == input.size());
  BOOST_TEST((got == input));
}

PANTS_FAMILY_TEST_CASE(a_peer_claiming_four_gib_gets_an_overflow_and_no_allocation) {
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter(length_prefix(4, 64 * 1024)); };
    p.overflow_hook = [](probe& self, const net_error& e) { self.events.add("why:" + e.message); };
  });
  auto sockets = open_socket_count();
  blocking_client c(at);
  using namespace std::string_literals;
  c.send("\0\0\0\x02ok\xff\xff\xff\xff"
         "0123"s);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(
      p->events.snapshot() ==
          (std::vector<std::string>{
              "connect", "read:ok", "overflow",
              "why:a length prefix claimed a frame of 4294967295 bytes, over max_frame 65536",
              "close"}),
      boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
  BOOST_TEST(open_socket_count() == sockets + 1);
}

PANTS_FAMILY_TEST_CASE(write_framed_misuse_throws_and_writes_nothing) {
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) {
      auto attempt = [&](const char* name, auto&& call) {
        try {
          call();
          self.events.add(std::string(name) + ":wrote");
        } catch (const std::invalid_argument&) {
          self.events.add(std::string(name) + ":invalid_argument");
        } catch (const std::logic_error&) {
          self.events.add(std::string(name) + ":logic_error");
        }
      };
      attempt("no-layout", [&] { self.write_framed("x"); }); // lines: no prefix to use
      attempt("too-big", [&] { self.write_framed(std::string(256, 'x'), length_prefix(1, 1000)); });
      attempt("good", [&] { self.write_framed("hi", length_prefix(1, 1000)); });
    };
  });
  blocking_client c(at);
  BOOST_TEST(c.recv_exactly(3) == "\x02hi");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("write")); // the good frame drained: on_write
  auto log = p->events.snapshot();
  BOOST_TEST((std::vector<std::string>(log.begin(), log.begin() + 4) ==
              std::vector<std::string>{"connect", "no-layout:logic_error",
                                       "too-big:invalid_argument", "good:wrote"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(delimiter_changed_inside_on_read_applies_at_once_to_buffered_data) {
  // A length line, then that many raw bytes (newlines included), twice.
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
    p.read_hook = [](probe& self, std::string_view frame) {
      self.events.add("read:" + std::string(frame));
      if (self.read_delimiter().type() == pants::read_delimiter::kind::count)
        self.read_delimiter("\n");
      else if (frame.size() == 1 && frame[0] >= '1' && frame[0] <= '9')
        self.read_delimiter(frame[0] - '0');
    };
  });
  auto want = expected_log({"5", "a\nb\nc", "3", "\n\n\n", "end"});
  for (auto& log : logs_for_every_split(*this, at, "5\na\nb\nc3\n\n\n\nend\n"))
    BOOST_TEST(log == want, boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(delimiter_set_in_on_connect_frames_data_sent_before_it_ran) {
  auto at = serve(fam, framed_by("\r\n"));
  {
    blocking_client c(at);
    c.send("x\r\ny\r\n"); // at once: the channel may not have connected yet
  }
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"x", "y"}), boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(invalid_delimiter_throws_in_on_read_and_the_old_one_stays_in_force) {
  auto at = serve(fam, [](probe& p) {
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
    auto tried = std::make_shared<bool>(false);
    p.read_hook = [tried](probe& self, std::string_view frame) {
      self.events.add("read:" + std::string(frame));
      if (*tried)
        return;
      *tried = true;
      try {
        self.read_delimiter(std::string());
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:empty");
      }
      try {
        self.read_delimiter(0);
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:zero");
      }
      try {
        self.read_delimiter(-4);
      } catch (const std::invalid_argument&) {
        self.events.add("rejected:negative");
      }
      if (self.read_delimiter() == pants::read_delimiter("\n"))
        self.events.add("kept");
    };
  });
  {
    blocking_client c(at);
    c.send("one\ntwo\nthree\n");
  }
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  std::vector<std::string> want{"connect",       "read:one",          "rejected:empty",
                                "rejected:zero", "rejected:negative", "kept",
                                "read:two",      "read:three",        "close"};
  BOOST_TEST(p->events.snapshot() == want, boost::test_tools::per_element());
}

// -- end of stream --------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(
    complete_frames_arrive_before_on_close_and_the_unterminated_tail_is_dropped) {
  auto at = serve(fam, framed_by("\n"));
  blocking_client c(at);
  c.send("a\nb\nc");
  c.shutdown_write();
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
}

PANTS_FAMILY_TEST_CASE(whole_byte_count_frames_arrive_before_on_close_and_a_short_tail_is_dropped) {
  auto at = serve(fam, framed_by(3));
  blocking_client c(at);
  c.send("abcdefg");
  c.shutdown_write();
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == expected_log({"abc", "def"}),
             boost::test_tools::per_element());
}

// -- large writes ---------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(four_mib_written_in_one_call_arrive_intact_and_in_order) {
  auto data = std::make_shared<const std::string>(pattern(0, 4 * MiB));
  auto at =
      serve(fam, [data](probe& p) { p.connect_hook = [data](probe& self) { self.write(*data); }; });
  std::shared_ptr<probe> p;
  {
    blocking_client c(at);
    p = next_channel();
    auto got = c.recv_exactly(data->size());
    BOOST_TEST(got.size() == data->size());
    BOOST_TEST(mismatch(got, 0) == npos);
    BOOST_REQUIRE(p->events.wait_count("write")); // the queue drained
  }
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("write") == 1u); // once per drain, not once per send
  BOOST_TEST(p->events.count("close") == 1u);
}

PANTS_FAMILY_TEST_CASE(four_mib_sent_through_an_echo_server_come_back_intact) {
  auto at = serve(fam, echo);
  const auto data = pattern(7, 4 * MiB);
  blocking_client c(at);
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    try {
      c.send(data);
      sent = true;
    } catch (const std::exception&) {
    }
  });
  auto got = c.recv_exactly(data.size());
  sender.join();
  BOOST_TEST(sent.load());
  BOOST_TEST(got.size() == data.size());
  BOOST_TEST(mismatch(got, 7) == npos);
}

// -- write_file -------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(write_file_regions_arrive_in_order_with_writes) {
  const auto content = pattern(12345, 300 * KiB);
  auto file = std::make_shared<temp_file>(content);
  auto at = serve(fam, [file](probe& p) {
    p.connect_hook = [file](probe& self) {
      self.write("head");
      self.write_file(file->path());
      self.write("middle");
      self.write_file(file->path(), 1000, 5000);
      self.write("tail");
      self.end();
    };
  });
  blocking_client c(at);
  auto got = drain(c);
  auto want = "head" + content + "middle" + content.substr(1000, 5000) + "tail";
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == want.size());
  BOOST_TEST((got.bytes == want));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

PANTS_FAMILY_TEST_CASE(write_file_with_a_bad_path_or_region_throws_and_changes_nothing) {
  auto file = std::make_shared<temp_file>("0123456789");
  auto at = serve(fam, [file](probe& p) {
    p.connect_hook = [file](probe& self) {
      self.write("a");
      auto reject = [&self](const char* what, auto&& call) {
        try {
          call();
        } catch (const std::invalid_argument&) {
          self.events.add(std::string("rejected:") + what);
        }
      };
      reject("path", [&] { self.write_file("/nonexistent/pants-no-such-file"); });
      reject("offset", [&] { self.write_file(file->path(), 11); });
      reject("region", [&] { self.write_file(file->path(), 4, 7); });
      reject("descriptor", [&] { self.write_file(-1); });
      self.write_file(file->path(), 8);
      self.write("b");
      self.end();
    };
  });
  blocking_client c(at);
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes == "a89b");
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  for (auto what : {"path", "offset", "region", "descriptor"})
    BOOST_TEST(p->events.count(std::string("rejected:") + what) == 1u);
}

// -- end and close ------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(end_after_a_large_write_delivers_everything_then_eof) {
  auto data = std::make_shared<const std::string>(pattern(99, 2 * MiB));
  auto at = serve(fam, [data](probe& p) {
    p.connect_hook = [data](probe& self) {
      self.write(*data);
      self.end();
      try {
        self.write("late");
      } catch (const state_error&) {
        self.events.add("refused");
      }
    };
  });
  blocking_client c(at);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("refused")); // the queue is still full: the client waited
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == data->size());
  BOOST_TEST(mismatch(got.bytes, 99) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

PANTS_FAMILY_TEST_CASE(close_discards_queued_output_and_the_peer_sees_the_end_early) {
  const std::size_t total = 16 * MiB; // far more than the kernel buffers hold
  auto data = std::make_shared<const std::string>(pattern(5, total));
  auto queued = std::make_shared<std::atomic<std::size_t>>(0);
  auto at = serve(fam, [data, queued](probe& p) {
    p.connect_hook = [data, queued](probe& self) {
      self.write(*data);
      *queued = self.bytes_queued();
      self.close();
      try {
        self.write("late");
      } catch (const state_error&) {
        self.events.add("refused");
      }
    };
  });
  blocking_client c(at);
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(queued->load() > 0u); // there was queued output to discard
  BOOST_TEST(p->bytes_queued() == 0u);
  BOOST_TEST(p->events.count("refused") == 1u);
  auto got = drain(c);
  BOOST_TEST((got.how != ending::timeout)); // EOF or reset: the channel is gone
  BOOST_TEST(got.bytes.size() < total);
  BOOST_TEST(mismatch(got.bytes, 5) == npos); // what did arrive is an intact prefix
  BOOST_TEST(p->events.count("write") == 0u);
  BOOST_TEST(p->events.count("close") == 1u);
}

PANTS_FAMILY_TEST_CASE(half_closed_peer_gets_its_whole_echo_then_eof) {
  // High marks so the server keeps reading to the EOF with output queued.
  auto at = serve(fam, [](probe& p) {
    echo(p);
    p.connect_hook = [](probe& self) { self.set_write_marks(64 * MiB, 32 * MiB); };
  });
  const auto data = pattern(3, 8 * MiB); // more than the kernel buffers hold
  blocking_client c(at);
  c.send(data);
  c.shutdown_write();
  auto p = next_channel();
  // The EOF ends the channel for writing while its echo is still queued.
  BOOST_REQUIRE(eventually([&] { return !p->connected(); }));
  BOOST_TEST(p->bytes_queued() > 0u);
  BOOST_TEST(p->events.count("close") == 0u);
  auto got = drain(c);
  BOOST_TEST((got.how == ending::eof));
  BOOST_TEST(got.bytes.size() == data.size());
  BOOST_TEST(mismatch(got.bytes, 3) == npos);
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.count("close") == 1u);
}

// -- overflow -------------------------------------------------------------------------

PANTS_FAMILY_TEST_CASE(overflow_reports_on_overflow_error_and_closes_by_default) {
  auto at = serve(fam, [](probe& p) {
    p.buffer_size(16);
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  auto sockets = open_socket_count();
  blocking_client c(at);
  c.send(std::string(100, 'x')); // a line longer than the buffer, no newline yet
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() == (std::vector<std::string>{"connect", "overflow", "close"}),
             boost::test_tools::per_element());
  BOOST_TEST(c.peer_closed());
  BOOST_TEST(open_socket_count() == sockets + 1); // the client's own: the server's one is closed
}

PANTS_FAMILY_TEST_CASE(frames_that_fit_arrive_before_the_overflow) {
  auto at = serve(fam, [](probe& p) {
    p.buffer_size(16);
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  blocking_client c(at);
  c.send("ok\n" + std::string(100, 'x'));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("close"));
  BOOST_TEST(p->events.snapshot() ==
                 (std::vector<std::string>{"connect", "read:ok", "overflow", "close"}),
             boost::test_tools::per_element());
}

PANTS_FAMILY_TEST_CASE(channel_that_handles_overflow_itself_goes_on_reading) {
  auto at = serve(fam, [](probe& p) {
    p.buffer_size(16);
    p.close_on_overflow = false;
    p.connect_hook = [](probe& self) { self.read_delimiter("\n"); };
  });
  blocking_client c(at);
  c.send(std::string(100, 'x'));
  auto p = next_channel();
  BOOST_REQUIRE(p->events.wait_count("overflow"));
  c.send("\nfine\n"); // the overflowing bytes were dropped; this frame is whole
  BOOST_REQUIRE(p->events.wait_count("read:fine"));
  BOOST_TEST(p->events.count("close") == 0u);
  BOOST_TEST(p->frames().back() == "fine");
}

BOOST_AUTO_TEST_SUITE_END()
