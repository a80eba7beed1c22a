#include "pants/channels/framer.hpp"

#include "pants/channels/binary_layout.hpp"
#include "pants/channels/read_delimiter.hpp"

#include "support/cuts.hpp"

#define BOOST_TEST_MODULE framer
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace pants;
using namespace std::string_literals;

namespace {

using frames = std::vector<std::string>;
using pants::test::chunks;
using pants::test::cuts;
using pants::test::describe;

/// Feeds `cut` in order, collecting frames with `on_frame` (which may steer
/// the framer); every feed must succeed.
frames run(framer& f, const chunks& cut,
           const std::function<void(framer&, const std::string&)>& on_frame = {}) {
  frames out;
  for (auto chunk : cut) {
    bool ok = f.feed(std::move(chunk), [&](std::string_view v) {
      out.emplace_back(v);
      if (on_frame)
        on_frame(f, out.back());
      return true;
    });
    BOOST_TEST(ok, "feed overflowed for cut " << describe(cut));
  }
  return out;
}

/// Checks that `input` yields `expected` frames, and leaves `tail` bytes
/// buffered, however it is cut.
void check_every_cut(const read_delimiter& d, const std::string& input, const frames& expected,
                     std::size_t tail) {
  for (const auto& cut : cuts(input)) {
    framer f;
    f.delimiter(d);
    BOOST_TEST(run(f, cut) == expected, "cut " << describe(cut));
    BOOST_TEST(f.buffered() == tail, "cut " << describe(cut));
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(framer_suite)

// --- no delimiter -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_char_delimiter_is_a_one_byte_string_not_a_count) {
  read_delimiter d('\n');
  BOOST_TEST((d.type() == read_delimiter::kind::bytes));
  BOOST_TEST(d.bytes() == "\n");
  read_delimiter n(10);
  BOOST_TEST((n.type() == read_delimiter::kind::count));
  BOOST_TEST(n.count() == 10u);
}

BOOST_AUTO_TEST_CASE(no_delimiter_passes_each_chunk_on_as_it_arrives) {
  const std::string input = "abc\ndef\r\nEND\0ghi"s;
  for (const auto& cut : cuts(input)) {
    framer f;
    BOOST_REQUIRE(f.delimiter().type() == read_delimiter::kind::none);
    frames expected;
    for (const auto& c : cut)
      if (!c.empty())
        expected.push_back(c);
    BOOST_TEST(run(f, cut) == expected, "cut " << describe(cut));
    BOOST_TEST(f.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(no_delimiter_hands_on_the_callers_bytes_without_copying) {
  framer f;
  std::string chunk(200, 'x'); // longer than any small-string buffer
  const char* original = chunk.data();
  const char* seen = nullptr;
  std::size_t seen_size = 0;
  BOOST_TEST(f.feed(std::move(chunk), [&](std::string_view v) {
    seen = v.data();
    seen_size = v.size();
    return true;
  }));
  BOOST_TEST(seen == original);
  BOOST_TEST(seen_size == 200u);
  BOOST_TEST(f.buffered() == 0u);
}

// --- byte-string delimiters -------------------------------------------------

BOOST_AUTO_TEST_CASE(one_byte_delimiter_gives_the_same_frames_however_the_input_is_cut) {
  check_every_cut("\n", "alpha\nbeta\n\ngamma\nrest", {"alpha", "beta", "", "gamma"}, 4);
}

BOOST_AUTO_TEST_CASE(two_byte_delimiter_gives_the_same_frames_however_the_input_is_cut) {
  check_every_cut("\r\n", "GET / HTTP/1.0\r\nHost: a\rb\nc\r\n\r\nbody\r",
                  {"GET / HTTP/1.0", "Host: a\rb\nc", ""}, 5);
}

BOOST_AUTO_TEST_CASE(multi_byte_delimiter_gives_the_same_frames_however_the_input_is_cut) {
  check_every_cut("END", "oneENDtwoENENDthreeEENDENDtailEN", {"one", "twoEN", "threeE", ""}, 6);
}

BOOST_AUTO_TEST_CASE(delimiter_with_nul_bytes_gives_the_same_frames_however_the_input_is_cut) {
  // "\0\0\1" overlaps itself: "\0\0\0\1" holds it one byte in.
  check_every_cut(read_delimiter("\0\0\1"s), "a\0\0\1b\0c\0\0\0\1\0\0\1\0"s, {"a", "b\0c\0"s, ""},
                  1);
}

BOOST_AUTO_TEST_CASE(delimiter_split_across_feeds_is_found) {
  framer f;
  f.delimiter("END");
  BOOST_TEST(run(f, {"xE"}).empty());
  BOOST_TEST(run(f, {"N"}).empty());
  BOOST_TEST(f.buffered() == 3u);
  BOOST_TEST(run(f, {"Dy"}) == frames{"x"});
  BOOST_TEST(f.buffered() == 1u);

  f.delimiter("\r\n");
  BOOST_TEST(run(f, {"abc\r"}).empty());
  BOOST_TEST(run(f, {"\n"}) == frames{"yabc"});
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(consecutive_delimiters_deliver_empty_frames) {
  check_every_cut("\n", "\n\n\n", {"", "", ""}, 0);
  check_every_cut("END", "ENDENDxEND", {"", "", "x"}, 0);
  check_every_cut(read_delimiter("\0"s), "\0a\0\0"s, {"", "a", ""}, 0);
}

// --- byte-count delimiters --------------------------------------------------

BOOST_AUTO_TEST_CASE(byte_count_delimiter_gives_the_same_frames_however_the_input_is_cut) {
  const std::string input = "abcdefghij\0lmnopqrstuvw"s; // 23 bytes
  for (std::size_t n : {1u, 3u, 7u}) {
    frames expected;
    for (std::size_t i = 0; i + n <= input.size(); i += n)
      expected.push_back(input.substr(i, n));
    BOOST_TEST_CONTEXT("count " << n) {
      check_every_cut(read_delimiter(n), input, expected, input.size() % n);
    }
  }
}

// --- changing the delimiter inside the frame handler ------------------------

BOOST_AUTO_TEST_CASE(switching_from_line_to_count_in_the_handler_applies_to_buffered_bytes) {
  // A header line announces a 4-byte body that itself holds newlines.
  const std::string input = "SIZE\n1\n3\nrest\nmore\n";
  const frames expected{"SIZE", "1\n3\n", "rest", "more"};
  for (const auto& cut : cuts(input)) {
    framer f;
    f.delimiter("\n");
    auto got = run(f, cut, [](framer& fr, const std::string& frame) {
      if (frame == "SIZE")
        fr.delimiter(4);
      else if (fr.delimiter().type() == read_delimiter::kind::count)
        fr.delimiter("\n");
    });
    BOOST_TEST(got == expected, "cut " << describe(cut));
    BOOST_TEST(f.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(switching_from_count_to_string_in_the_handler_applies_to_buffered_bytes) {
  const std::string input = "abcxyzENDENDtail";
  const frames expected{"abc", "xyz", ""};
  for (const auto& cut : cuts(input)) {
    framer f;
    f.delimiter(3);
    auto got = run(f, cut, [](framer& fr, const std::string&) {
      if (fr.delimiter().type() == read_delimiter::kind::count)
        fr.delimiter("END");
    });
    BOOST_TEST(got == expected, "cut " << describe(cut));
    BOOST_TEST(f.buffered() == 4u);
  }
}

BOOST_AUTO_TEST_CASE(switching_to_no_delimiter_in_the_handler_delivers_the_rest_as_it_is) {
  const std::string input = "go\na\nb\nc";
  const std::size_t header = 3; // "go\n"
  // Whole: the rest, newlines and all, comes as one chunk.
  {
    framer f;
    f.delimiter("\n");
    auto got = run(f, {input}, [](framer& fr, const std::string&) { fr.delimiter({}); });
    BOOST_TEST(got == (frames{"go", "a\nb\nc"}));
  }
  // Cut in two at every offset: what was buffered at the switch comes as one
  // chunk, then the later feed as it arrives.
  for (std::size_t i = 0; i <= input.size(); ++i) {
    framer f;
    f.delimiter("\n");
    auto got = run(f, {input.substr(0, i), input.substr(i)},
                   [](framer& fr, const std::string&) { fr.delimiter({}); });
    frames expected{"go"};
    if (i > header)
      expected.push_back(input.substr(header, i - header));
    if (i < input.size())
      expected.push_back(input.substr(std::max(i, header)));
    BOOST_TEST(got == expected, "split at " << i);
    BOOST_TEST(f.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(a_delimiter_changed_between_feeds_rescans_the_buffered_bytes) {
  framer f;
  f.delimiter("END");
  BOOST_TEST(run(f, {"a\nbEN"}).empty()); // the search for "END" has passed the "\n"
  f.delimiter("\n");
  BOOST_TEST(run(f, {""}) == frames{"a"}); // an empty feed re-frames what is buffered
  BOOST_TEST(f.buffered() == 3u);
  f.delimiter(2);
  BOOST_TEST(run(f, {""}) == frames{"bE"});
  f.delimiter({});
  BOOST_TEST(run(f, {"", "xy"}) == (frames{"N", "xy"}));
  BOOST_TEST(f.buffered() == 0u);
}

// --- invalid settings -------------------------------------------------------

// --- length prefixes ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(length_prefixes_of_every_size_and_order_frame_the_same_however_cut) {
  // Three frames, the middle one empty, for 1/2/4/8-byte prefixes in both
  // orders, counting themselves or not: the bytes are built by hand here,
  // not by encode(), so a wrong encoder or decoder cannot hide the other.
  for (std::size_t size : {1u, 2u, 4u, 8u})
    for (auto order : {byte_order::big, byte_order::little})
      for (bool self : {false, true}) {
        length_prefix p(size, 1000, order, self);
        auto prefix = [&](std::size_t n) {
          std::string out(size, '\0');
          auto v = n + (self ? size : 0);
          out[order == byte_order::big ? size - 1 : 0] = static_cast<char>(v);
          return out;
        };
        std::string input =
            prefix(3) + "abc" + prefix(0) + prefix(5) + "\n\0xyz"s + prefix(4) + "pa";
        BOOST_TEST(p.encode(3) == prefix(3));
        check_every_cut(p, input, frames{"abc", "", "\n\0xyz"s}, size + 2);
      }
}

BOOST_AUTO_TEST_CASE(a_length_prefix_reads_every_byte_of_a_wide_length) {
  length_prefix big(4, 1u << 20), little(4, 1u << 20, byte_order::little);
  BOOST_TEST(big.encode(0x010203) == "\x00\x01\x02\x03"s);
  BOOST_TEST(little.encode(0x010203) == "\x03\x02\x01\x00"s);
  BOOST_TEST(big.decode("\x00\x01\x02\x03") == 0x010203u);
  BOOST_TEST(little.decode("\x03\x02\x01\x00") == 0x010203u);
  std::string body(0x0102, 'b'); // two non-zero bytes of the length
  check_every_cut(big, "\0\0\x01\x02"s + body, frames{body}, 0);
  check_every_cut(little, "\x02\x01\0\0"s + body, frames{body}, 0);
}

BOOST_AUTO_TEST_CASE(a_length_over_max_frame_overflows_at_the_prefix_without_buffering_it) {
  // A peer claims 4 GiB: refused when the prefix arrives, the frames before
  // it delivered, nothing of the claim allocated.
  framer f;
  f.delimiter(length_prefix(4, 1024));
  frames got;
  auto keep = [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  };
  BOOST_TEST(f.feed("\0\0\0\x02ok"s, keep));
  BOOST_TEST(!f.feed("\xff\xff\xff\xff"s
                     "then",
                     keep));
  BOOST_TEST(got == frames{"ok"});
  BOOST_TEST(f.buffered() == 0u);
  BOOST_TEST(f.overflow_reason() ==
             "a length prefix claimed a frame of 4294967295 bytes, over max_frame 1024");
  // 1024 is fine; 1025 is not.
  BOOST_TEST(f.feed(length_prefix(4, 1024).encode(1024) + std::string(1024, 'x'), keep));
  BOOST_TEST(got.size() == 2u);
  BOOST_TEST(!f.feed("\0\0\x04\x01"s, keep));
}

BOOST_AUTO_TEST_CASE(the_largest_eight_byte_claim_overflows_too) {
  framer f;
  f.delimiter(length_prefix(8, 1 << 20, byte_order::little));
  BOOST_TEST(!f.feed(std::string(8, '\xff'), [](std::string_view) { return true; }));
  BOOST_TEST(
      f.overflow_reason() ==
      "a length prefix claimed a frame of 18446744073709551615 bytes, over max_frame 1048576");
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_length_counting_itself_but_below_its_own_size_overflows) {
  framer f;
  f.delimiter(length_prefix(2, 100, byte_order::big, true));
  BOOST_TEST(!f.feed("\0\x01zz"s, [](std::string_view) { return true; }));
  BOOST_TEST(f.overflow_reason() == "a length prefix stated 1 bytes, less than its own 2");
  BOOST_TEST(f.feed("\0\x02"s, [](std::string_view v) { return v.empty(); }));
}

BOOST_AUTO_TEST_CASE(the_limit_is_at_least_a_prefix_and_its_max_frame) {
  framer f;
  f.buffer_size(16);
  f.delimiter(length_prefix(2, 1000));
  BOOST_TEST(f.limit() == 1002u);
  f.delimiter(length_prefix(8, SIZE_MAX));
  BOOST_TEST(f.limit() == SIZE_MAX); // saturates, never wraps
  f.delimiter(length_prefix(1, 4));
  BOOST_TEST(f.limit() == 16u);
}

BOOST_AUTO_TEST_CASE(switching_between_lines_and_length_prefixes_applies_to_buffered_bytes) {
  // A line protocol that announces binary frames ("BIN"); an empty frame
  // ends them and lines resume.
  const std::string input = "hello\nBIN\n\x03"
                            "a\nb\x00"
                            "bye\n"s;
  const frames expected{"hello", "BIN", "a\nb", "", "bye"};
  for (const auto& cut : cuts(input)) {
    framer f;
    f.delimiter("\n");
    auto got = run(f, cut, [](framer& fr, const std::string& frame) {
      if (frame == "BIN")
        fr.delimiter(length_prefix(1, 255));
      else if (frame.empty() && fr.delimiter().type() == read_delimiter::kind::length)
        fr.delimiter("\n");
    });
    BOOST_TEST(got == expected, "cut " << describe(cut));
    BOOST_TEST(f.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(length_prefix_misuse_throws_invalid_argument) {
  BOOST_CHECK_THROW(length_prefix(3, 10), std::invalid_argument);
  BOOST_CHECK_THROW(length_prefix(0, 10), std::invalid_argument);
  BOOST_CHECK_THROW(length_prefix(2, 0), std::invalid_argument);
  length_prefix p(1, 1000);
  BOOST_TEST(p.max_payload() == 255u); // what one byte can state
  BOOST_CHECK_THROW(p.encode(256), std::invalid_argument);
  BOOST_TEST(length_prefix(1, 1000, byte_order::big, true).max_payload() == 254u);
  BOOST_TEST(length_prefix(8, 7).max_payload() == 7u);
  BOOST_CHECK_THROW(length_prefix(8, 7).encode(8), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(invalid_delimiters_throw_invalid_argument) {
  BOOST_CHECK_THROW(read_delimiter(""), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(std::string()), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(static_cast<const char*>(nullptr)), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(0), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(-1), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(-1000L), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter(std::size_t{0}), std::invalid_argument);
  BOOST_CHECK_NO_THROW(read_delimiter("\0"s));
  BOOST_CHECK_NO_THROW(read_delimiter(1));
}

BOOST_AUTO_TEST_CASE(an_invalid_delimiter_leaves_the_old_one_in_force) {
  framer f;
  f.delimiter("\n");
  BOOST_CHECK_THROW(f.delimiter(read_delimiter("")), std::invalid_argument);
  BOOST_CHECK_THROW(f.delimiter(read_delimiter(0)), std::invalid_argument);
  BOOST_CHECK_THROW(f.delimiter(read_delimiter(-3)), std::invalid_argument);
  BOOST_TEST((f.delimiter() == read_delimiter("\n")));

  // Also when the attempt is made from inside the frame handler.
  std::size_t throws = 0;
  auto got = run(f, {"a\nb\nc\n"}, [&](framer& fr, const std::string&) {
    try {
      fr.delimiter(read_delimiter(0));
    } catch (const std::invalid_argument&) {
      ++throws;
    }
  });
  BOOST_TEST(got == (frames{"a", "b", "c"}));
  BOOST_TEST(throws == 3u);
}

BOOST_AUTO_TEST_CASE(zero_buffer_size_throws_and_keeps_the_old_size) {
  framer f;
  BOOST_TEST(f.buffer_size() == framer::default_buffer_size);
  f.buffer_size(16);
  BOOST_CHECK_THROW(f.buffer_size(0), std::invalid_argument);
  BOOST_TEST(f.buffer_size() == 16u);
}

// --- the buffer bound -------------------------------------------------------

BOOST_AUTO_TEST_CASE(limit_is_the_buffer_size_but_at_least_the_byte_count) {
  framer f;
  BOOST_TEST(f.limit() == framer::default_buffer_size);
  f.buffer_size(10);
  BOOST_TEST(f.limit() == 10u);
  f.delimiter(3);
  BOOST_TEST(f.limit() == 10u);
  f.delimiter(100);
  BOOST_TEST(f.limit() == 100u);
  f.delimiter("\n");
  BOOST_TEST(f.limit() == 10u);
  f.delimiter({});
  BOOST_TEST(f.limit() == 10u);
}

BOOST_AUTO_TEST_CASE(byte_count_above_buffer_size_does_not_overflow) {
  framer f;
  f.buffer_size(4);
  f.delimiter(10);
  frames got;
  auto collect = [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  };
  BOOST_TEST(f.feed(std::string(9, 'a'), collect));
  BOOST_TEST(f.buffered() == 9u);
  BOOST_TEST(f.feed(std::string(12, 'b'), collect));
  BOOST_TEST(got == (frames{"aaaaaaaaab", "bbbbbbbbbb"}));
  BOOST_TEST(f.buffered() == 1u);
}

BOOST_AUTO_TEST_CASE(overflow_is_reported_after_complete_frames_are_delivered) {
  framer f;
  f.buffer_size(8);
  f.delimiter("\n");
  frames got;
  bool ok = f.feed("ab\ncd\n123456789", [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  });
  BOOST_TEST(!ok);
  BOOST_TEST(got == (frames{"ab", "cd"}));
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(overflow_happens_on_the_first_byte_past_the_limit) {
  framer f;
  f.buffer_size(8);
  f.delimiter("END");
  const std::string input = "xEND012345678";
  std::size_t frames_seen = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    bool ok = f.feed(std::string(1, input[i]), [&](std::string_view) {
      ++frames_seen;
      return true;
    });
    // "012345678" is 9 bytes: holding 8 is fine, the ninth overflows.
    BOOST_TEST(ok == (i != input.size() - 1), "byte " << i);
  }
  BOOST_TEST(frames_seen == 1u);
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(the_buffer_starts_empty_after_an_overflow) {
  framer f;
  f.buffer_size(4);
  f.delimiter("\n");
  frames got;
  auto collect = [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  };
  BOOST_TEST(!f.feed("too long", collect));
  BOOST_TEST(f.buffered() == 0u);
  BOOST_TEST(f.feed("ok\n", collect));
  BOOST_TEST(got == frames{"ok"});
}

BOOST_AUTO_TEST_CASE(returning_false_from_on_frame_stops_delivery_and_keeps_the_rest) {
  framer f;
  f.delimiter("\n");
  frames got;
  BOOST_TEST(f.feed("a\nb\nc\n", [&](std::string_view v) {
    got.emplace_back(v);
    return false;
  }));
  BOOST_TEST(got == frames{"a"});
  BOOST_TEST(f.buffered() == 4u);
  BOOST_TEST(f.feed("", [&](std::string_view v) {
    got.emplace_back(v);
    return true;
  }));
  BOOST_TEST(got == (frames{"a", "b", "c"}));
  BOOST_TEST(f.buffered() == 0u);
}

// --- large inputs -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_megabyte_of_lines_is_framed_whole_and_in_odd_chunks) {
  const std::size_t lines = 65536; // 16 bytes each: 1 MiB
  std::string input;
  input.reserve(lines * 16);
  for (std::size_t i = 0; i < lines; ++i) {
    auto n = std::to_string(i);
    input += std::string(15 - n.size(), '0') + n + "\n";
  }
  for (std::size_t chunk : {input.size(), std::size_t{4093}, std::size_t{7}}) {
    framer f;
    f.delimiter("\n");
    std::size_t next = 0;
    bool in_order = true;
    bool fed = true;
    for (std::size_t at = 0; at < input.size(); at += chunk) {
      fed = f.feed(input.substr(at, chunk), [&](std::string_view v) {
        in_order = in_order && std::stoul(std::string(v)) == next && v.size() == 15;
        ++next;
        return true;
      }) && fed;
    }
    BOOST_TEST(fed, "chunk " << chunk);
    BOOST_TEST(in_order, "chunk " << chunk);
    BOOST_TEST(next == lines, "chunk " << chunk);
    BOOST_TEST(f.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(a_long_frame_fed_byte_by_byte_is_found_without_rescanning) {
  // Rescanning the buffer on every feed would be quadratic here (about 5e11
  // byte comparisons) and time the suite out; one scan is instant.
  const std::size_t size = 1 << 20;
  framer f;
  f.buffer_size(2 * size);
  f.delimiter("\r\n");
  std::size_t delivered = 0;
  std::size_t frame_size = 0;
  auto collect = [&](std::string_view v) {
    ++delivered;
    frame_size = v.size();
    return true;
  };
  bool fed = true;
  for (std::size_t i = 0; i < size; ++i)
    fed = f.feed(std::string(1, i % 2 ? '\r' : 'x'), collect) && fed;
  BOOST_TEST(fed);
  BOOST_TEST(delivered == 0u);
  BOOST_TEST(f.feed("\r\n", collect));
  BOOST_TEST(delivered == 1u);
  BOOST_TEST(frame_size == size);
}

// --- binary layouts ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_binary_layout_cuts_frames_of_its_size_however_the_input_is_cut) {
  const binary_layout l("!Hb");
  check_every_cut(l, "\x01\x02\xff\x00\x00\x01\x7f"s, {"\x01\x02\xff"s, "\x00\x00\x01"s}, 1);
  BOOST_TEST(framer().limit() == framer::default_buffer_size);
  framer f;
  f.buffer_size(1);
  f.delimiter(l);
  BOOST_TEST(f.limit() == 3u); // a frame always fits
  BOOST_CHECK_THROW(read_delimiter(binary_layout("")), std::invalid_argument);
  BOOST_CHECK_THROW(read_delimiter("x").layout(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(fields_read_the_frame_being_delivered_even_after_a_delimiter_change) {
  framer f;
  f.delimiter(binary_layout("<hH"));
  std::vector<long> seen;
  BOOST_TEST(f.feed("\xfe\xff\x10\x00tail"s, [&](std::string_view) {
    f.delimiter("\n"); // the layout's last owner goes: the frame still reads through it
    auto [a, b] = f.fields().as<short, unsigned>();
    seen = {a, static_cast<long>(b)};
    return true;
  }));
  BOOST_TEST(seen == (std::vector<long>{-2, 16}), boost::test_tools::per_element());
  BOOST_CHECK_THROW(f.fields(), std::logic_error); // outside a delivery
  f.delimiter(2);
  BOOST_TEST(f.feed("", [&](std::string_view) {
    BOOST_CHECK_THROW(f.fields(), std::logic_error); // a frame cut by a count
    return true;
  }));
}

BOOST_AUTO_TEST_SUITE_END()
