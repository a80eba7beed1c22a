#pragma once

#include "pants/channels/read_delimiter.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
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
  /// buffer holds more than `limit()`, or the length prefix at its head
  /// states a frame over `max_frame`: the caller reports an overflow (`overflow_reason`
  /// says which) and the buffer is cleared, so memory stays bounded.
  template <class OnFrame> bool feed(std::string&& bytes, OnFrame&& on_frame) {
    if (delimiter_.type() == read_delimiter::kind::none && buffered() == 0) {
      if (!bytes.empty())
        on_frame(std::string_view(bytes)); // the common case: no copy
      return true;
    }
    buf_.append(bytes);
    std::string_view frame;
    while (next_frame(frame))
      if (!on_frame(frame))
        break;
    compact();
    if (bad_length() || buffered() > limit()) {
      clear();
      return false;
    }
    return true;
  }

  /// Why the last `feed` that returned false overflowed (asked before the
  /// delimiter changes again).
  std::string overflow_reason() const;

private:
  bool next_frame(std::string_view& frame);
  /// Whether the length prefix at the head is out of bounds (then it is
  /// kept in `claimed_` for overflow_reason); false when it is not, is
  /// incomplete, or the delimiter is another kind.
  bool bad_length();
  void compact();

  read_delimiter delimiter_;
  std::size_t buffer_size_ = default_buffer_size;
  std::string buf_;
  std::size_t head_ = 0; // first undelivered byte
  std::size_t scan_ = 0; // where the next delimiter search starts
  // The length a bad prefix stated, for overflow_reason; none after a
  // plain overflow.
  std::optional<std::uint64_t> claimed_;
};

} // namespace pants
