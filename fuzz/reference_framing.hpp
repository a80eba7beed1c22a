#pragma once

// The reference the framing targets check against: frames cut from the front
// of a plain std::string with std::string::find, searched from the start
// every time (a pattern: PCRE2 run over the whole buffer from its start each
// time, where the framer resumes where its last partial match began). It is
// slow and obviously right; the framers under test are fast and must agree
// with it frame by frame, groups included.
//
// A target drives the real framer first, recording every frame it delivers
// and what the frame handler did then (the `action`, drawn from the input);
// then it replays the same operation on the reference, which must expect
// the same frames, in the same order, and take the same actions at the
// same points.

#include "fuzz_input.hpp"

#include "pants/channels/address.hpp"
#include "pants/channels/framer.hpp"
#include "pants/channels/read_delimiter.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pants::fuzz {

/// What a frame handler does: nothing, stop delivering, or change a
/// setting. A 0 for a size is kept: the real framer must refuse it.
struct action {
  enum kind { go_on, stop, delimiter, buffer_size, max_senders } what = go_on;
  read_delimiter d;
  std::size_t n = 0;
};

/// An action drawn from the input; max_senders only `with_max_senders`.
inline action next_action(input& in, bool with_max_senders) {
  action a;
  switch (in.number(0, with_max_senders ? 6 : 5)) {
  case 3:
    if (auto d = in.delimiter()) {
      a.what = action::delimiter;
      a.d = *d;
    }
    break;
  case 4:
    a.what = action::buffer_size;
    a.n = in.number<std::size_t>(0, 100);
    break;
  case 5:
    a.what = action::stop;
    break;
  case 6:
    a.what = action::max_senders;
    a.n = in.number<std::size_t>(0, 6);
    break;
  default:
    break; // go_on, three times in six
  }
  return a;
}

/// Sets a size with `set(n)`; a 0 must be refused with std::invalid_argument.
template <class Set> void set_size(std::size_t n, const char* name, Set&& set) {
  if (n == 0)
    expect_invalid([&] { set(n); }, std::string(name) + "(0)");
  else
    set(n);
}

/// Applies `a` to a real framer or sender_framers; false for stop.
template <class Framer> bool apply(Framer& f, const action& a) {
  switch (a.what) {
  case action::stop:
    return false;
  case action::delimiter:
    f.delimiter(a.d);
    break;
  case action::buffer_size:
    set_size(a.n, "buffer_size", [&](std::size_t n) { f.buffer_size(n); });
    break;
  case action::max_senders:
    if constexpr (!std::is_same_v<Framer, framer>)
      set_size(a.n, "max_senders", [&](std::size_t n) { f.max_senders(n); });
    break;
  case action::go_on:
    break;
  }
  return true;
}

/// The settings as the reference understands them.
struct settings {
  read_delimiter delimiter;
  std::size_t buffer_size = framer::default_buffer_size;
  std::size_t max_senders = 0; // unused by the single framer

  /// framer.hpp: "`buffer_size`, but at least the byte count, or a length
  /// prefix and its `max_frame`" (small here: the inputs keep it small).
  std::size_t limit() const {
    if (delimiter.type() == read_delimiter::kind::count ||
        delimiter.type() == read_delimiter::kind::layout)
      return std::max(buffer_size, delimiter.count());
    if (delimiter.type() == read_delimiter::kind::length)
      return std::max(buffer_size, delimiter.prefix().size() + delimiter.prefix().max_frame());
    return buffer_size;
  }

  /// Applies `a` as the real object must have; false for stop.
  bool apply(const action& a) {
    if (a.what == action::stop)
      return false;
    if (a.what == action::delimiter)
      delimiter = a.d;
    else if (a.what == action::buffer_size && a.n > 0)
      buffer_size = a.n;
    else if (a.what == action::max_senders && a.n > 0)
      max_senders = a.n;
    return true;
  }
};

/// What the length prefix at the front of `buf` says, byte by byte: the
/// total it states, or nothing while it is incomplete.
inline std::optional<unsigned long long> stated_length(const std::string& buf,
                                                       const length_prefix& p) {
  if (buf.size() < p.size())
    return std::nullopt;
  unsigned long long v = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto at = p.order() == byte_order::big ? i : p.size() - 1 - i;
    v = v * 256 + static_cast<unsigned char>(buf[at]);
  }
  return v;
}

/// True when `buf` starts with a length prefix out of bounds: below its own
/// size when it counts itself, or a payload over max_frame.
inline bool bad_prefix(const std::string& buf, const read_delimiter& d) {
  if (d.type() != read_delimiter::kind::length)
    return false;
  const auto& p = d.prefix();
  auto v = stated_length(buf, p);
  if (!v)
    return false;
  if (p.counts_itself())
    return *v < p.size() || *v - p.size() > p.max_frame();
  return *v > p.max_frame();
}

/// PCRE2's verdict on a pattern delimiter over the whole of `buf`: a match
/// (its groups in `groups`, unset ones empty), or why there is none.
enum class verdict { match, wait, never, error };

inline verdict match_whole(const std::string& buf, const regex& re, bool final,
                           std::vector<std::string>& groups, std::size_t& begin, std::size_t& end) {
  // Compiled here apart from the framer's own code, once per pattern.
  static std::map<std::string, std::shared_ptr<pcre2_code>> cache;
  auto& code = cache[re.pattern()];
  if (!code) {
    int err = 0;
    PCRE2_SIZE off = 0;
    code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.pattern().data()), re.pattern().size(),
                             0, &err, &off, nullptr),
               pcre2_code_free);
  }
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> md(
      pcre2_match_data_create_from_pattern(code.get(), nullptr), pcre2_match_data_free);
  std::uint32_t opts = PCRE2_NOTEMPTY | (final ? 0 : PCRE2_PARTIAL_HARD) |
                       (re.mode() == regex_mode::match ? PCRE2_ANCHORED : 0);
  int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(buf.data()), buf.size(), 0, opts,
                       md.get(), nullptr);
  if (rc == PCRE2_ERROR_PARTIAL || (rc == PCRE2_ERROR_NOMATCH && re.mode() == regex_mode::search))
    return verdict::wait;
  if (rc == PCRE2_ERROR_NOMATCH)
    return verdict::never;
  if (rc < 0)
    return verdict::error;
  auto* ov = pcre2_get_ovector_pointer(md.get());
  groups.clear();
  for (std::size_t i = 0; i <= re.groups(); ++i)
    groups.push_back(ov[2 * i] == PCRE2_UNSET ? std::string()
                                              : buf.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
  begin = ov[0];
  end = ov[1];
  return verdict::match;
}

/// True when the head of `buf` can never become a frame of pattern `d`:
/// bytes a match-mode pattern cannot match, or a PCRE2 failure.
inline bool bad_match(const std::string& buf, const read_delimiter& d) {
  if (d.type() != read_delimiter::kind::regex || buf.empty())
    return false;
  std::vector<std::string> groups;
  std::size_t begin = 0, end = 0;
  auto v = match_whole(buf, d.pattern(), false, groups, begin, end);
  return v == verdict::never || v == verdict::error;
}

/// The reference splitter: cuts the next frame `d` makes from the front of
/// `buf`; empty when `buf` holds no complete frame. A pattern's groups go
/// to `groups` (cleared for other kinds); `final` at the end of the input.
inline std::optional<std::string> cut_frame(std::string& buf, const read_delimiter& d,
                                            std::vector<std::string>& groups, bool final = false) {
  groups.clear();
  std::size_t size = 0;
  std::size_t skip = 0;
  switch (d.type()) {
  case read_delimiter::kind::none:
    if (buf.empty())
      return std::nullopt;
    size = buf.size();
    break;
  case read_delimiter::kind::count:
  case read_delimiter::kind::layout:
    if (buf.size() < d.count())
      return std::nullopt;
    size = d.count();
    break;
  case read_delimiter::kind::regex: {
    std::size_t begin = 0, end = 0;
    if (buf.empty() || match_whole(buf, d.pattern(), final, groups, begin, end) != verdict::match)
      return std::nullopt;
    auto frame = d.pattern().mode() == regex_mode::search ? buf.substr(0, begin)
                                                          : buf.substr(begin, end - begin);
    buf.erase(0, end);
    return frame;
  }
  case read_delimiter::kind::length: {
    auto v = stated_length(buf, d.prefix());
    if (!v || bad_prefix(buf, d))
      return std::nullopt;
    skip = d.prefix().size();
    size = static_cast<std::size_t>(*v - (d.prefix().counts_itself() ? skip : 0));
    if (buf.size() < skip + size)
      return std::nullopt;
    auto frame = buf.substr(skip, size);
    buf.erase(0, skip + size);
    return frame;
  }
  case read_delimiter::kind::bytes: {
    auto pos = buf.find(d.bytes());
    if (pos == std::string::npos)
      return std::nullopt;
    size = pos;
    skip = d.bytes().size();
    break;
  }
  }
  auto frame = buf.substr(0, size);
  buf.erase(0, size + skip);
  return frame;
}

/// One thing the real framer did: a frame (and the handler's action on
/// it) or an overflow, for `from` (an empty endpoint for a single framer).
struct event {
  bool overflow = false;
  endpoint from;
  std::string bytes;
  action act;
  std::vector<std::string> groups; // of a frame a pattern cut
};

/// Records what the real framer delivers; `frame` is its frame handler.
struct recorder {
  input& in;
  bool with_max_senders;
  std::vector<event> log;

  template <class Framer> bool frame(Framer& f, std::string_view bytes, const endpoint& from) {
    auto groups = f.groups();
    if (f.delimiter().type() == read_delimiter::kind::layout) {
      auto fields = f.fields();
      expect(fields.bytes() == bytes && fields.size() == f.delimiter().layout().fields(),
             "fields() is not the frame " + show(bytes) + " read as its layout");
    }
    log.push_back({false, from, std::string(bytes), next_action(in, with_max_senders),
                   groups.empty() ? std::vector<std::string>{} : groups.strings()});
    return apply(f, log.back().act);
  }
  void overflow(const endpoint& from) { log.push_back({true, from, {}, {}, {}}); }
};

/// Walks a recorded log while the reference replays the operation.
class cursor {
public:
  explicit cursor(const std::vector<event>& log) : log_(log) {}

  /// The reference expects `bytes` from `from` next; returns the action the
  /// handler took on it.
  const action& frame(const endpoint& from, const std::string& bytes,
                      const std::vector<std::string>& groups = {}) {
    auto& e = next("the frame " + show(bytes) + " from '" + from.to_string() + "'");
    expect(!e.overflow && e.from == from && e.bytes == bytes, "expected the frame " + show(bytes) +
                                                                  " from '" + from.to_string() +
                                                                  "', got " + describe(e));
    expect(e.groups == groups, "the groups of the frame " + show(bytes) + " differ");
    return e.act;
  }

  void overflow(const endpoint& from) {
    auto& e = next("an overflow of '" + from.to_string() + "'");
    expect(e.overflow && e.from == from,
           "expected an overflow of '" + from.to_string() + "', got " + describe(e));
  }

  /// Nothing may be left over.
  void done() const {
    expect(next_ == log_.size(),
           "unexpected " + (next_ < log_.size() ? describe(log_[next_]) : ""));
  }

private:
  static std::string describe(const event& e) {
    return (e.overflow ? "an overflow of '" : "the frame " + show(e.bytes) + " from '") +
           e.from.to_string() + "'";
  }
  const event& next(const std::string& wanted) {
    expect(next_ < log_.size(), "expected " + wanted + ", got nothing more");
    return log_[next_++];
  }

  const std::vector<event>& log_;
  std::size_t next_ = 0;
};

/// Cuts and checks every complete frame of `buf`, taking each recorded
/// action with `take` (which returns false for stop); a delimiter change
/// applies to the next cut. False when the handler stopped.
template <class Take>
bool cut_all(const settings& s, std::string& buf, const endpoint& from, cursor& c, Take&& take,
             bool final = false) {
  std::vector<std::string> groups;
  while (auto frame = cut_frame(buf, s.delimiter, groups, final))
    if (!take(c.frame(from, *frame, groups)))
      return false;
  return true;
}

/// The bound, after the complete frames: past `limit()`, or with a length
/// prefix out of bounds or bytes a pattern can never match at the front,
/// the buffer is dropped and false returned.
inline bool within_bound(const settings& s, std::string& buf) {
  if (!bad_prefix(buf, s.delimiter) && !bad_match(buf, s.delimiter) && buf.size() <= s.limit())
    return true;
  buf.clear();
  return false;
}

} // namespace pants::fuzz
