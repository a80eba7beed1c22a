// Regular-expression read delimiters: the pattern as a value (PCRE2's
// errors, the empty-match refusal, groups) and the framer cutting frames
// with it in both modes, fed every input whole and split at every offset.

#include "pants/channels/regex.hpp"

#include "pants/channels/framer.hpp"
#include "pants/channels/read_delimiter.hpp"
#include "pants/channels/sender_framers.hpp"

#include "support/cuts.hpp"

#define BOOST_TEST_MODULE regex
#include <boost/test/unit_test.hpp>

#include <cstddef>
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

/// What a framer delivered: each frame, or with `with_groups` each frame
/// followed by its groups as "[g0|g1|...]".
struct delivery {
  frames got;
  std::size_t tail = 0; // buffered after the last feed
  bool fitted = true;   // every feed returned true
  std::string why;      // overflow_reason after a feed returned false
};

delivery run(const read_delimiter& d, const chunks& cut, bool with_groups, bool finish,
             const std::function<void(framer&, const std::string&)>& steer = {}) {
  framer f;
  f.delimiter(d);
  delivery out;
  auto on_frame = [&](std::string_view v) {
    out.got.emplace_back(v);
    if (with_groups) {
      std::string g = "[";
      for (const auto& s : f.groups().strings())
        g += (g.size() > 1 ? "|" : "") + s;
      out.got.push_back(g + "]");
    }
    if (steer)
      steer(f, std::string(v));
    return true;
  };
  for (auto chunk : cut)
    if (!f.feed(std::move(chunk), on_frame)) {
      out.fitted = false;
      out.why = f.overflow_reason();
      break;
    }
  out.tail = f.buffered();
  if (finish)
    f.finish(on_frame);
  BOOST_TEST(f.groups().empty()); // never outside a delivery
  return out;
}

/// `input` gives `expected` (and leaves `tail` buffered before the end of
/// input) however it is cut; `at_end` frames follow once the input ends.
void check_every_cut(const read_delimiter& d, const std::string& input, const frames& expected,
                     std::size_t tail, const frames& at_end = {}, bool with_groups = false) {
  auto whole = expected;
  whole.insert(whole.end(), at_end.begin(), at_end.end());
  for (const auto& cut : cuts(input)) {
    auto r = run(d, cut, with_groups, false);
    BOOST_TEST(r.fitted, "cut " << describe(cut) << ": " << r.why);
    BOOST_TEST(r.got == expected, boost::test_tools::per_element());
    BOOST_TEST(r.tail == tail, "cut " << describe(cut));
    BOOST_TEST(run(d, cut, with_groups, true).got == whole, "cut " << describe(cut));
  }
}

regex match(const char* pattern) { return regex(pattern, regex_mode::match); }

} // namespace

BOOST_AUTO_TEST_SUITE(regex_suite)

// -- the pattern ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_bad_pattern_throws_with_pcre2s_message_and_offset) {
  try {
    regex("ab(c");
    BOOST_FAIL("no throw");
  } catch (const regex_error& e) {
    BOOST_TEST(std::string(e.what()) ==
               "pants: bad regular expression \"ab(c\": missing closing parenthesis at offset 4");
    BOOST_TEST(e.offset() == 4u);
  }
  BOOST_CHECK_THROW(regex("x{2,1}"), regex_error);
  BOOST_CHECK_THROW(regex("[z-a]"), std::invalid_argument); // regex_error is one
}

BOOST_AUTO_TEST_CASE(a_pattern_that_can_match_the_empty_string_is_refused) {
  for (const char* p : {"", "a*", "\\n?", "x|", "(?:ab)*", "^", "$", "\\b"}) {
    try {
      regex r(p);
      BOOST_ERROR("accepted " << p);
    } catch (const regex_error& e) {
      BOOST_TEST(std::string(e.what()).find("can match the empty string") != std::string::npos,
                 e.what());
    }
  }
  BOOST_CHECK_NO_THROW(regex("a+"));
  BOOST_CHECK_NO_THROW(regex("\\r?\\n"));
}

BOOST_AUTO_TEST_CASE(a_bad_pattern_leaves_the_old_delimiter_in_force) {
  framer f;
  f.delimiter("\n");
  BOOST_CHECK_THROW(f.delimiter(regex("(")), regex_error);
  BOOST_TEST((f.delimiter() == read_delimiter("\n")));
}

BOOST_AUTO_TEST_CASE(a_regex_reports_its_groups_names_and_mode_and_compares_by_pattern) {
  regex r("(?<verb>[A-Z]+) (\\d+)\n", regex_mode::match);
  BOOST_TEST(r.groups() == 2u);
  BOOST_TEST(r.group("verb") == 1u);
  BOOST_CHECK_THROW(r.group("noun"), std::invalid_argument);
  BOOST_TEST((r.mode() == regex_mode::match));
  BOOST_TEST(r.pattern() == "(?<verb>[A-Z]+) (\\d+)\n");
  BOOST_TEST((r == regex("(?<verb>[A-Z]+) (\\d+)\n", regex_mode::match)));
  BOOST_TEST((r != regex("(?<verb>[A-Z]+) (\\d+)\n")));
  read_delimiter d(r);
  BOOST_TEST((d.type() == read_delimiter::kind::regex));
  BOOST_TEST((d.pattern() == r));
  BOOST_CHECK_THROW(read_delimiter("\n").pattern(), std::logic_error);
}

// -- search mode ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(search_mode_gives_the_bytes_before_each_match_however_the_input_is_cut) {
  check_every_cut(regex("\\r?\\n"), "GET /\r\nHost: a\nx\r\r\n\ntail",
                  {"GET /", "Host: a", "x\r", ""}, 4);
}

BOOST_AUTO_TEST_CASE(search_mode_waits_for_bytes_that_could_lengthen_a_greedy_match) {
  // "\n+" at the end could grow: the frame waits, and the end completes it.
  check_every_cut(regex("\n+"), "a\n\n\nb\n", {"a"}, 2, {"b"});
}

BOOST_AUTO_TEST_CASE(search_mode_finds_the_leftmost_match_not_the_first_complete_one) {
  // At "a" a match may start: the complete "c" after it cuts nothing until
  // that match completes (lazily, here) or cannot.
  check_every_cut(regex("a.*?b|c"), "xa1c2b3c", {"x", "3"}, 0);
  check_every_cut(regex("a.*?b|c"), "xa1c2", {}, 5, {"xa1"});
  // Greedy, "a.*b" could always reach a later "b": only the end decides.
  check_every_cut(regex("a.*b|c"), "xa1c2b3c", {}, 8, {"x", "3"});
}

BOOST_AUTO_TEST_CASE(search_mode_groups_are_the_dropped_delimiters) {
  check_every_cut(regex("<(\\d)>"), "ab<1>cd<2>", {"ab", "[<1>|1]", "cd", "[<2>|2]"}, 0, {}, true);
}

BOOST_AUTO_TEST_CASE(a_caret_anchors_at_the_first_undelivered_byte) {
  // The subject starts after the last frame: "^;" matches again there.
  check_every_cut(regex("^;"), ";;a;", {"", ""}, 2);
}

BOOST_AUTO_TEST_CASE(a_lookahead_that_matches_nothing_never_cuts_a_frame) {
  // "(?=a)" passes the empty-string check yet matches only emptily.
  framer f;
  f.buffer_size(8);
  f.delimiter(regex("(?=a)"));
  int seen = 0;
  BOOST_TEST(f.feed("xxaxx", [&](std::string_view) { return ++seen > 0; }));
  BOOST_TEST(!f.feed("aaaaaa", [&](std::string_view) { return ++seen > 0; }));
  BOOST_TEST(seen == 0);
}

// -- match mode -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(match_mode_gives_each_match_and_its_groups_however_the_input_is_cut) {
  check_every_cut(match("([A-Z]+) (\\d+)(?: (\\w+))?\r\n"), "GET 12\r\nPUT 7 x\r\nDEL",
                  {"GET 12\r\n", "[GET 12\r\n|GET|12|]", "PUT 7 x\r\n", "[PUT 7 x\r\n|PUT|7|x]"}, 3,
                  {}, true);
}

BOOST_AUTO_TEST_CASE(match_mode_named_and_unmatched_groups_read_as_views) {
  framer f;
  f.delimiter(match("(?<k>\\w+)=(?<v>\\d*)(!)?;"));
  std::vector<std::string> seen;
  BOOST_TEST(f.feed("size=12;", [&](std::string_view) {
    auto g = f.groups();
    BOOST_TEST(g.size() == 4u);
    seen = {std::string(g["k"]), std::string(g["v"])};
    BOOST_TEST(!g.matched(3));
    BOOST_TEST(g[3].empty());
    BOOST_CHECK_THROW(g[4], std::out_of_range);
    BOOST_CHECK_THROW(g["nope"], std::invalid_argument);
    return true;
  }));
  BOOST_TEST(seen == (std::vector<std::string>{"size", "12"}), boost::test_tools::per_element());
  BOOST_CHECK_THROW(match_groups()["k"], std::out_of_range);
}

BOOST_AUTO_TEST_CASE(match_mode_bytes_that_can_never_match_are_an_overflow_at_once) {
  for (const auto& cut : cuts("OK 1\nOK 2\n!!")) {
    auto r = run(match("OK \\d\n"), cut, false, false);
    BOOST_TEST(!r.fitted, "cut " << describe(cut));
    BOOST_TEST(r.why == "the buffered bytes cannot match the pattern \"OK \\d\n\" (match mode)");
    BOOST_TEST(r.got == (frames{"OK 1\n", "OK 2\n"}), boost::test_tools::per_element());
    BOOST_TEST(r.tail == 0u); // cleared
  }
}

BOOST_AUTO_TEST_CASE(a_pattern_over_pcre2s_match_limit_is_an_overflow_naming_it) {
  framer f;
  f.delimiter(match("(a|aa)+b"));
  BOOST_TEST(!f.feed(std::string(40, 'a') + "c", [](std::string_view) { return true; }));
  BOOST_TEST(f.overflow_reason() ==
             "matching the pattern \"(a|aa)+b\" failed: match limit exceeded");
  BOOST_TEST(f.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(a_stopped_delivery_still_reports_bytes_that_cannot_match) {
  framer f;
  f.delimiter(match("OK\n"));
  BOOST_TEST(!f.feed("OK\n!", [](std::string_view) { return false; }));
  BOOST_TEST(f.overflow_reason() ==
             "the buffered bytes cannot match the pattern \"OK\n\" (match mode)");
  f.delimiter(match("OK\n"));
  int frames = 0;
  BOOST_TEST(f.feed("OK\nOK\nO", [&](std::string_view) { return ++frames > 1; })); // stops at once
  BOOST_TEST(frames == 1);
  BOOST_TEST(f.buffered() == 4u); // the next frame is left for the next delivery
}

BOOST_AUTO_TEST_CASE(groups_outlive_a_delimiter_change_inside_the_same_frame) {
  framer f;
  f.delimiter(match("(?<word>\\w+)\n"));
  std::string seen;
  BOOST_TEST(f.feed("hello\nrest", [&](std::string_view) {
    f.delimiter(4);                         // the pattern's last owner goes
    f.delimiter(match("rest!"));            // twice
    seen = std::string(f.groups()["word"]); // still the match that cut this frame
    return true;
  }));
  BOOST_TEST(seen == "hello");
  BOOST_TEST(f.buffered() == 4u);
}

// -- bounds and switches ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_buffer_bound_applies_to_a_pattern_still_waiting) {
  framer f;
  f.buffer_size(16);
  f.delimiter(regex("\n"));
  BOOST_TEST(f.feed(std::string(16, 'x'), [](std::string_view) { return true; }));
  BOOST_TEST(!f.feed("y", [](std::string_view) { return true; }));
  BOOST_TEST(f.overflow_reason() == "receive buffer exceeded buffer_size without a frame");
}

BOOST_AUTO_TEST_CASE(a_header_line_sets_a_byte_count_and_the_pattern_comes_back) {
  // "LEN n\n" then n bytes, in one stream: the count comes from a group.
  const read_delimiter header(match("LEN (\\d+)\n"));
  const std::string input = "LEN 3\nabcLEN 0\nLEN 5\n\n\n\n\n\nLEN 1\n";
  for (const auto& cut : cuts(input)) {
    auto r = run(header, cut, false, false, [&](framer& f, const std::string&) {
      if (f.delimiter() == header) {
        auto n = std::stoul(std::string(f.groups()[1]));
        if (n > 0)
          f.delimiter(n);
      } else {
        f.delimiter(header);
      }
    });
    BOOST_TEST(r.fitted, "cut " << describe(cut) << ": " << r.why);
    BOOST_TEST(r.got == (frames{"LEN 3\n", "abc", "LEN 0\n", "LEN 5\n", "\n\n\n\n\n", "LEN 1\n"}),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_switch_to_a_pattern_applies_to_the_bytes_already_buffered) {
  check_every_cut("\n", "a\nb;c;d\n", {"a", "b;c;d"}, 0);
  for (const auto& cut : cuts("one\ntwo;three;")) {
    auto r = run("\n", cut, false, false,
                 [](framer& f, const std::string&) { f.delimiter(regex(";")); });
    BOOST_TEST(r.got == (frames{"one", "two", "three"}), "cut " << describe(cut));
  }
}

BOOST_AUTO_TEST_CASE(each_sender_is_matched_on_its_own_bytes_with_its_own_groups) {
  sender_framers s;
  s.delimiter(match("(\\w+)\n"));
  endpoint a = endpoint::numeric("127.0.0.1", 1), b = endpoint::numeric("127.0.0.1", 2);
  std::vector<std::string> seen;
  auto collect = [&](const char* who) {
    return [&, who](std::string_view) {
      seen.push_back(std::string(who) + ":" + std::string(s.groups()[1]));
      return true;
    };
  };
  BOOST_TEST(s.feed("al", a, collect("a")));
  BOOST_TEST(s.feed("bo", b, collect("b")));
  BOOST_TEST(s.feed("pha\nbe", a, collect("a")));
  BOOST_TEST(s.feed("b\n", b, collect("b")));
  BOOST_TEST(!s.feed("!\n", b, collect("b")));
  BOOST_TEST(s.overflow_reason() ==
             "the buffered bytes cannot match the pattern \"(\\w+)\n\" (match mode)");
  BOOST_TEST(seen == (std::vector<std::string>{"a:alpha", "b:bob"}),
             boost::test_tools::per_element());
  BOOST_TEST(s.buffered(a) == 2u);
  BOOST_TEST(s.groups().empty());
}

BOOST_AUTO_TEST_SUITE_END()
