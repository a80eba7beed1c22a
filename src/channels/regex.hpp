#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// PCRE2's types, declared so this header needs no <pcre2.h>.
struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace pants {

/// A pattern PCRE2 would not compile, or one refused as a read delimiter;
/// `what()` carries PCRE2's message, `offset()` where in the pattern.
class regex_error : public std::invalid_argument {
public:
  regex_error(const std::string& what, std::size_t offset)
      : std::invalid_argument(what), offset_(offset) {}
  /// The offset in the pattern PCRE2 stopped at.
  std::size_t offset() const noexcept { return offset_; }

private:
  std::size_t offset_;
};

/// How a regular-expression delimiter cuts frames (Pants' `regex_search`):
/// `search` finds the pattern anywhere in the buffered bytes, `on_read`
/// gets the bytes before the match and the match is dropped; `match`
/// anchors it at the first buffered byte, and `on_read` gets the match.
enum class regex_mode : std::uint8_t { search, match };

/// A compiled PCRE2 pattern used as a read delimiter, with its mode. The
/// pattern is matched against bytes (no UTF unless it starts with
/// `(*UTF)`); PCRE2's inline options (`(?i)`, `(?m)`, `(?s)`, `(?x)`)
/// set the rest. A plain value: copies share the compiled code, which is
/// immutable and safe to use from many threads at once.
class regex {
public:
  /// Compiles `pattern`. Throws regex_error with PCRE2's message and the
  /// offset of the error, and refuses a pattern that can match the empty
  /// string (it would cut empty frames forever) wherever PCRE2 finds its
  /// shortest match to be 0 bytes; an empty match the check cannot see
  /// (a lone lookahead such as `(?=a)`) never cuts a frame.
  explicit regex(std::string_view pattern, regex_mode mode = regex_mode::search);

  const std::string& pattern() const noexcept;
  regex_mode mode() const noexcept { return mode_; }
  /// Capturing groups in the pattern, not counting the whole match.
  std::size_t groups() const noexcept;
  /// The number of the group named `name`. Throws std::invalid_argument
  /// when the pattern has no such group.
  std::size_t group(std::string_view name) const;

  /// Same pattern text and mode.
  friend bool operator==(const regex& a, const regex& b) noexcept {
    return a.mode_ == b.mode_ && (a.code_ == b.code_ || a.pattern() == b.pattern());
  }
  friend bool operator!=(const regex& a, const regex& b) noexcept { return !(a == b); }

  /// The compiled pattern (internal).
  struct compiled;
  const compiled& code() const noexcept { return *code_; }
  const std::shared_ptr<const compiled>& shared_code() const noexcept { return code_; }

private:
  std::shared_ptr<const compiled> code_;
  regex_mode mode_;
};

namespace detail {
class regex_matcher;
}

/// The groups of the match that ended the frame being delivered: `[0]` is
/// the whole match (in search mode, the dropped delimiter), `[1]`... the
/// capturing groups. A view into the channel's buffer, valid only during
/// the `on_read` call that got it; empty (size 0) for a frame not cut by
/// a regular expression.
class match_groups {
public:
  match_groups() = default;

  /// 1 + the pattern's groups, or 0.
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  /// Whether group `i` took part in the match. Throws std::out_of_range.
  bool matched(std::size_t i) const;
  /// Group `i`'s bytes (empty when it did not take part). Throws
  /// std::out_of_range for `i >= size()`.
  std::string_view operator[](std::size_t i) const;
  /// The group named `name`. Throws std::invalid_argument when the pattern
  /// has no such group, std::out_of_range when there is no match.
  std::string_view operator[](std::string_view name) const;
  /// Every group, copied (unmatched ones empty).
  std::vector<std::string> strings() const;

private:
  friend class detail::regex_matcher;
  const char* subject_ = nullptr;
  const std::size_t* ovector_ = nullptr;
  std::shared_ptr<const regex::compiled> code_; // for names, whatever the delimiter becomes
  std::size_t count_ = 0;
};

namespace detail {

/// Runs a `regex` over a framer's buffer: PCRE2's match data for one
/// framer. Not thread-safe: owned by the framer.
class regex_matcher {
public:
  enum class outcome { found, partial, none, error };

  regex_matcher() = default;
  regex_matcher(const regex_matcher&) = delete;
  regex_matcher& operator=(const regex_matcher&) = delete;
  ~regex_matcher();

  /// Matches `re` in `subject` from `start` (search: the leftmost match at
  /// or after it; match: anchored at 0). Unless `final`, a match that more
  /// bytes could lengthen or complete is `partial`: then `begin()` is where
  /// it starts and no earlier position can start a match. `none` means no
  /// match can start anywhere in `subject`; `error` a PCRE2 failure
  /// (`error_code()`), such as its match limit.
  outcome run(const regex& re, std::string_view subject, std::size_t start, bool final);

  std::size_t begin() const noexcept;
  std::size_t end() const noexcept;
  int error_code() const noexcept { return error_; }
  /// The groups of the last `found` match of `re` (valid while `subject`
  /// and this matcher are untouched).
  match_groups groups(const regex& re) const noexcept;

  /// PCRE2's text for an error code.
  static std::string message(int code);

private:
  pcre2_real_match_data_8* data_ = nullptr;
  std::uint32_t pairs_ = 0; // the ovector's capacity
  const char* subject_ = nullptr;
  int error_ = 0;
};

} // namespace detail
} // namespace pants
