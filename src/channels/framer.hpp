#pragma once

#include "pants/channels/read_delimiter.hpp"
#include "pants/channels/regex.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pants {

/// Splits a byte stream into frames according to a `read_delimiter`, with a
/// bounded receive buffer. Pure logic: no sockets, no threads.
///
/// The delimiter may change between two frames (from inside the frame
/// handler): the change applies at once to the bytes already buffered.
/// Not thread-safe: owned by one channel's actor.
class framer {
public:
  static constexpr std::size_t default_buffer_size = 64 * 1024;

  /// Replaces the delimiter; buffered bytes are re-scanned with it.
  void delimiter(read_delimiter d) {
    if (cut_ != cut::other && !retired_) // the frame's groups or fields still read it
      retired_ = std::make_unique<read_delimiter>(std::move(delimiter_));
    delimiter_ = std::move(d);
    scan_ = head_;
  }
  const read_delimiter& delimiter() const noexcept { return delimiter_; }

  /// Sets the receive buffer bound. Throws std::invalid_argument for 0.
  void buffer_size(std::size_t n);
  std::size_t buffer_size() const noexcept { return buffer_size_; }

  /// The effective bound: `buffer_size`, but at least the byte count, or
  /// a length prefix and its `max_frame`.
  std::size_t limit() const noexcept {
    switch (delimiter_.type()) {
    case read_delimiter::kind::count:
    case read_delimiter::kind::layout:
      return std::max(buffer_size_, delimiter_.count());
    case read_delimiter::kind::length: {
      const auto& p = delimiter_.prefix();
      auto frame = p.max_frame() > SIZE_MAX - p.size() ? SIZE_MAX : p.size() + p.max_frame();
      return std::max(buffer_size_, frame);
    }
    default:
      return buffer_size_;
    }
  }

  /// Bytes buffered and not yet delivered.
  std::size_t buffered() const noexcept { return buf_.size() - head_; }

  /// Drops every buffered byte (the unterminated tail at end of stream, or
  /// the contents of an overflowing buffer).
  void clear() noexcept {
    buf_.clear();
    head_ = scan_ = 0;
  }

  /// Appends `bytes` and calls `on_frame(std::string_view)` for each complete
  /// frame, re-reading the delimiter before each; `on_frame` returns false to
  /// stop delivering (e.g. the channel was closed). The view is valid only
  /// during the call. Returns false when, after the complete frames, the
  /// buffer holds more than `limit()`, or its head can never become a frame
  /// (a length prefix over `max_frame`, bytes a match-mode pattern cannot
  /// match, a PCRE2 failure such as its match limit): the caller reports an
  /// overflow (`overflow_reason` says which) and the buffer is cleared, so
  /// memory stays bounded.
  template <class OnFrame> bool feed(std::string&& bytes, OnFrame&& on_frame) {
    if (delimiter_.type() == read_delimiter::kind::none && buffered() == 0) {
      if (!bytes.empty())
        on_frame(std::string_view(bytes)); // the common case: no copy
      return true;
    }
    buf_.append(bytes);
    return deliver(on_frame, false);
  }

  /// At the end of the input: delivers the frames that only the end
  /// completes (a regular expression waiting to see whether more bytes
  /// would lengthen its match), then drops the unterminated tail.
  template <class OnFrame> void finish(OnFrame&& on_frame) {
    if (buffered() > 0 && delimiter_.type() == read_delimiter::kind::regex)
      deliver(on_frame, true);
    clear();
  }

  /// The groups of the regular-expression match that cut the frame being
  /// delivered; empty outside `on_frame` or for another kind of frame.
  match_groups groups() const noexcept {
    return cut_ == cut::regex ? matcher_->groups(cutter().pattern()) : match_groups{};
  }

  /// The fields of the frame being delivered, cut by a binary layout.
  /// Throws std::logic_error outside `on_frame` or for another kind of
  /// frame.
  unpacked fields() const;

  /// Why the last `feed` that returned false overflowed (asked before the
  /// delimiter changes again).
  std::string overflow_reason() const;

private:
  // Why the head cannot become a frame, for overflow_reason.
  enum class failure : std::uint8_t { none, length, no_match, match_error };
  // How the frame being delivered was cut, for groups() and fields().
  enum class cut : std::uint8_t { other, regex, layout };

  template <class OnFrame> bool deliver(OnFrame& on_frame, bool final) {
    failure_ = failure::none;
    std::string_view frame;
    bool stopped = false;
    while (!stopped && next_frame(frame, final))
      stopped = !on_frame(frame);
    end_of_frame();
    if (stopped)
      check_pattern(final);
    compact();
    check_length();
    if (failure_ != failure::none || buffered() > limit()) {
      clear();
      return false;
    }
    return true;
  }

  bool next_frame(std::string_view& frame, bool final);
  /// The delimiter that cut the frame being delivered.
  const read_delimiter& cutter() const noexcept { return retired_ ? *retired_ : delimiter_; }
  void end_of_frame() noexcept {
    cut_ = cut::other;
    retired_.reset();
  }
  bool next_regex_frame(std::string_view& frame, bool final);
  void fail(failure why, std::uint64_t value) noexcept {
    failure_ = why;
    failure_value_ = value;
  }
  /// Records a length prefix at the head that is out of bounds in
  /// `failure_`, for overflow_reason.
  void check_length();
  /// After a stop: records in `failure_` what the next cut would find at
  /// the head of a pattern delimiter (bytes it cannot match, a PCRE2
  /// failure), as check_length does for a prefix.
  void check_pattern(bool final);
  void compact();

  read_delimiter delimiter_;
  std::size_t buffer_size_ = default_buffer_size;
  std::string buf_;
  std::size_t head_ = 0;            // first undelivered byte
  std::size_t scan_ = 0;            // where the next delimiter search starts
  std::uint64_t failure_value_ = 0; // the length stated, or PCRE2's error code
  // The delimiter that cut the frame being delivered, once on_frame
  // replaced it.
  std::unique_ptr<read_delimiter> retired_;
  std::unique_ptr<detail::regex_matcher> matcher_; // made for the first regex
  failure failure_ = failure::none;
  cut cut_ = cut::other;
};

} // namespace pants
