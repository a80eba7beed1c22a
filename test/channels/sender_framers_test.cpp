#include "pants/channels/sender_framers.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/read_delimiter.hpp"

#define BOOST_TEST_MODULE sender_framers
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace std::string_literals;

namespace {

endpoint sender(long n) { return endpoint::numeric("10.0.0.1", 1000 + n); }

/// A frame as "<sender port>:<bytes>".
std::string tag(const endpoint& from, std::string_view frame) {
  return std::to_string(from.port()) + ":" + std::string(frame);
}

struct harness {
  sender_framers f;
  std::vector<std::string> frames;
  std::vector<std::string> overflows;

  /// Feeds one datagram; records frames and an overflow.
  void feed(const endpoint& from, std::string bytes) {
    bool ok = f.feed(std::move(bytes), from, [&](std::string_view v) {
      frames.push_back(tag(from, v));
      return true;
    });
    if (!ok)
      overflows.push_back(std::to_string(from.port()));
  }

  void reframe() {
    f.reframe(
        [&](std::string_view v, const endpoint& from) {
          frames.push_back(tag(from, v));
          return true;
        },
        [&](const endpoint& from) { overflows.push_back(std::to_string(from.port())); });
  }
};

/// Every way to cut `input` into datagrams: whole, in two at every offset
/// (empty pieces included), and one byte at a time.
std::vector<std::vector<std::string>> cuts(const std::string& input) {
  std::vector<std::vector<std::string>> out{{input}};
  for (std::size_t i = 0; i <= input.size(); ++i)
    out.push_back({input.substr(0, i), input.substr(i)});
  std::vector<std::string> bytes;
  for (char c : input)
    bytes.emplace_back(1, c);
  out.push_back(bytes);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(without_a_delimiter_each_datagram_is_one_frame_even_an_empty_one) {
  harness h;
  h.feed(sender(1), "a\nb");
  h.feed(sender(1), "");
  h.feed(sender(2), "xyz");
  BOOST_TEST(h.frames == (std::vector<std::string>{"1001:a\nb", "1001:", "1002:xyz"}),
             boost::test_tools::per_element());
  BOOST_TEST(h.f.senders() == 0u);
  BOOST_TEST(h.f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_string_delimiter_frames_each_sender_alone_for_every_split) {
  const std::string a = "alpha\r\nbe\r\n\r\ngamma-tail", b = "one\r\ntwo\r\nthree";
  for (const auto& ca : cuts(a))
    for (const auto& cb : {std::vector<std::string>{b}, cuts(b).back()}) {
      harness h;
      h.f.delimiter("\r\n");
      // Interleave the two senders' datagrams.
      for (std::size_t i = 0; i < std::max(ca.size(), cb.size()); ++i) {
        if (i < ca.size())
          h.feed(sender(1), ca[i]);
        if (i < cb.size())
          h.feed(sender(2), cb[i]);
      }
      std::vector<std::string> from1, from2;
      for (auto& fr : h.frames)
        (fr.rfind("1001:", 0) == 0 ? from1 : from2).push_back(fr.substr(5));
      BOOST_TEST(from1 == (std::vector<std::string>{"alpha", "be", ""}),
                 boost::test_tools::per_element());
      BOOST_TEST(from2 == (std::vector<std::string>{"one", "two"}),
                 boost::test_tools::per_element());
      BOOST_TEST(h.f.buffered(sender(1)) == 10u); // "gamma-tail"
      BOOST_TEST(h.f.buffered(sender(2)) == 5u);  // "three"
      BOOST_TEST(h.f.senders() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(a_count_delimiter_frames_each_sender_alone_for_every_split) {
  const std::string input = "0123456789ab";
  for (const auto& cut : cuts(input)) {
    harness h;
    h.f.delimiter(4);
    for (auto& piece : cut) {
      h.feed(sender(1), piece);
      h.feed(sender(2), "zz");
    }
    std::vector<std::string> from1;
    for (auto& fr : h.frames)
      if (fr.rfind("1001:", 0) == 0)
        from1.push_back(fr.substr(5));
    BOOST_TEST(from1 == (std::vector<std::string>{"0123", "4567", "89ab"}),
               boost::test_tools::per_element());
    BOOST_TEST(h.f.buffered(sender(1)) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(a_sender_whose_data_ends_on_a_frame_boundary_holds_no_slot) {
  harness h;
  h.f.delimiter("\n");
  h.feed(sender(1), "x\n");
  h.feed(sender(2), "partial");
  BOOST_TEST(h.f.senders() == 1u);
  h.feed(sender(2), "\n");
  BOOST_TEST(h.f.senders() == 0u);
  BOOST_TEST(h.frames == (std::vector<std::string>{"1001:x", "1002:partial"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_new_sender_at_a_full_table_evicts_the_least_recently_heard) {
  harness h;
  h.f.delimiter("\n");
  h.f.max_senders(3);
  h.feed(sender(1), "one");
  h.feed(sender(2), "two");
  h.feed(sender(3), "three");
  h.feed(sender(1), "-more"); // sender 1 is now the most recent; 2 the least
  h.feed(sender(4), "four");
  BOOST_TEST(h.f.senders() == 3u);
  BOOST_TEST(h.f.buffered(sender(2)) == 0u); // evicted: partial data discarded
  h.feed(sender(2), "\n");                   // its old bytes are gone: an empty frame
  h.feed(sender(1), "\n");
  BOOST_TEST(h.frames == (std::vector<std::string>{"1002:", "1001:one-more"}),
             boost::test_tools::per_element());
  BOOST_TEST(h.overflows.empty());
}

BOOST_AUTO_TEST_CASE(memory_stays_bounded_by_max_senders_times_buffer_size) {
  harness h;
  h.f.delimiter("\n");
  h.f.max_senders(8);
  h.f.buffer_size(100);
  for (long i = 0; i < 1000; ++i)
    h.feed(sender(i % 50), std::string(60, 'x'));
  BOOST_TEST(h.f.senders() <= 8u);
  BOOST_TEST(h.f.buffered() <= 8u * 100u);
}

BOOST_AUTO_TEST_CASE(lowering_max_senders_evicts_at_once_and_zero_throws) {
  harness h;
  h.f.delimiter("\n");
  for (long i = 0; i < 5; ++i)
    h.feed(sender(i), "p");
  h.f.max_senders(2);
  BOOST_TEST(h.f.senders() == 2u);
  BOOST_TEST(h.f.buffered(sender(4)) == 1u); // the most recent are kept
  BOOST_TEST(h.f.buffered(sender(3)) == 1u);
  BOOST_CHECK_THROW(h.f.max_senders(0), std::invalid_argument);
  BOOST_TEST(h.f.max_senders() == 2u);
}

BOOST_AUTO_TEST_CASE(an_overflowing_sender_loses_its_bytes_and_other_senders_keep_theirs) {
  harness h;
  h.f.delimiter("\n");
  h.f.buffer_size(8);
  h.feed(sender(2), "keep");
  h.feed(sender(1), "12345");
  h.feed(sender(1), "6789"); // 9 bytes, no delimiter: past the bound
  BOOST_TEST(h.overflows == (std::vector<std::string>{"1001"}), boost::test_tools::per_element());
  BOOST_TEST(h.f.buffered(sender(1)) == 0u);
  h.feed(sender(2), "-it\n");
  h.feed(sender(1), "ok\n");
  BOOST_TEST(h.frames == (std::vector<std::string>{"1002:keep-it", "1001:ok"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(complete_frames_come_before_the_bound_is_checked) {
  harness h;
  h.f.delimiter("\n");
  h.f.buffer_size(4);
  h.feed(sender(1), "ab\ncd\nef"); // 9 bytes in one datagram, tail of 2
  BOOST_TEST(h.overflows.empty());
  BOOST_TEST(h.frames == (std::vector<std::string>{"1001:ab", "1001:cd"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_delimiter_change_inside_a_frame_cuts_the_rest_of_that_sender_at_once) {
  sender_framers f;
  f.delimiter("\n");
  std::vector<std::string> frames;
  f.feed("4\nabcdrest\n"s, sender(1), [&](std::string_view v) {
    frames.emplace_back(v);
    if (v == "4")
      f.delimiter(4);
    else if (v == "abcd")
      f.delimiter("\n");
    return true;
  });
  BOOST_TEST(frames == (std::vector<std::string>{"4", "abcd", "rest"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(reframe_delivers_other_senders_frames_a_delimiter_change_completed) {
  harness h;
  h.f.delimiter("\n");
  h.feed(sender(1), "ab;cd");
  h.feed(sender(2), "xy;z");
  h.f.delimiter(";");
  h.reframe();
  BOOST_TEST(h.frames == (std::vector<std::string>{"1002:xy", "1001:ab"}),
             boost::test_tools::per_element());
  BOOST_TEST(h.f.buffered() == 3u); // "cd" and "z"
}

BOOST_AUTO_TEST_CASE(stopping_inside_a_frame_keeps_the_rest_buffered) {
  sender_framers f;
  f.delimiter("\n");
  std::vector<std::string> frames;
  f.feed("a\nb\nc\n"s, sender(1), [&](std::string_view v) {
    frames.emplace_back(v);
    return false;
  });
  BOOST_TEST(frames == (std::vector<std::string>{"a"}), boost::test_tools::per_element());
  BOOST_TEST(f.buffered(sender(1)) == 4u);
}

BOOST_AUTO_TEST_CASE(bad_settings_throw_and_leave_the_old_ones) {
  sender_framers f;
  f.delimiter("\n");
  f.buffer_size(10);
  BOOST_CHECK_THROW(f.buffer_size(0), std::invalid_argument);
  BOOST_CHECK_THROW(f.delimiter(pants::read_delimiter(std::string())), std::invalid_argument);
  BOOST_TEST(f.buffer_size() == 10u);
  BOOST_TEST((f.delimiter() == pants::read_delimiter("\n")));
}

BOOST_AUTO_TEST_CASE(clear_drops_every_sender) {
  harness h;
  h.f.delimiter("\n");
  h.feed(sender(1), "a");
  h.feed(sender(2), "b");
  h.f.clear();
  BOOST_TEST(h.f.senders() == 0u);
  BOOST_TEST(h.f.buffered() == 0u);
}
