#pragma once

#include "pants/channels/binary_layout.hpp"
#include "pants/channels/regex.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>

namespace pants {

/// The order of a length prefix's bytes: `big` (network order, most
/// significant first) or `little`.
enum class byte_order : std::uint8_t { big, little };

/// A length-prefixed frame layout (Erlang's `{packet, N}`): an unsigned
/// length of `size` bytes (1, 2, 4 or 8) in `order`, then that many bytes.
/// With `counts_itself`, the length includes the prefix's own bytes (as
/// in some protocols; the payload is then `length - size` bytes). A length
/// over `max_frame` (the largest payload accepted) is an overflow: the
/// channel never buffers what a peer merely claims. A zero length is an
/// empty frame. A plain value.
class length_prefix {
public:
  /// Throws std::invalid_argument unless `size` is 1, 2, 4 or 8 and
  /// `max_frame >= 1`.
  length_prefix(std::size_t size, std::size_t max_frame, byte_order order = byte_order::big,
                bool counts_itself = false)
      : max_frame_(max_frame), size_(static_cast<std::uint8_t>(size)), order_(order),
        counts_itself_(counts_itself) {
    if (size != 1 && size != 2 && size != 4 && size != 8)
      throw std::invalid_argument("pants: a length prefix is 1, 2, 4 or 8 bytes, not " +
                                  std::to_string(size));
    if (max_frame == 0)
      throw std::invalid_argument("pants: a length prefix's max_frame must be at least 1");
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t max_frame() const noexcept { return max_frame_; }
  byte_order order() const noexcept { return order_; }
  bool counts_itself() const noexcept { return counts_itself_; }

  /// The largest payload the prefix can state (and `max_frame` allows).
  std::size_t max_payload() const noexcept {
    std::uint64_t top = size_ == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * size_)) - 1;
    if (counts_itself_)
      top -= size_;
    return top < max_frame_ ? static_cast<std::size_t>(top) : max_frame_;
  }

  /// The prefix for a payload of `n` bytes. Throws std::invalid_argument
  /// when `n > max_payload()`.
  std::string encode(std::size_t n) const {
    if (n > max_payload())
      throw std::invalid_argument("pants: a frame of " + std::to_string(n) +
                                  " bytes is over this length prefix's limit of " +
                                  std::to_string(max_payload()));
    auto v = static_cast<std::uint64_t>(n) + (counts_itself_ ? size_ : 0);
    std::string out(size_, '\0');
    for (std::size_t i = 0; i < size_; ++i) {
      auto byte = static_cast<char>(static_cast<unsigned char>(v >> (8 * i)));
      out[order_ == byte_order::big ? size_ - 1 - i : i] = byte;
    }
    return out;
  }

  /// The length stated by `size()` bytes at `p`, as sent (before taking
  /// the prefix off when it counts itself).
  std::uint64_t decode(const char* p) const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      auto byte = static_cast<unsigned char>(p[order_ == byte_order::big ? i : size_ - 1 - i]);
      v = (v << 8) | byte;
    }
    return v;
  }

  friend bool operator==(const length_prefix& a, const length_prefix& b) {
    return a.size_ == b.size_ && a.max_frame_ == b.max_frame_ && a.order_ == b.order_ &&
           a.counts_itself_ == b.counts_itself_;
  }

private:
  std::size_t max_frame_;
  std::uint8_t size_;
  byte_order order_;
  bool counts_itself_;
};

/// How a stream channel splits incoming bytes into `on_read` frames:
/// none (each chunk as it arrives), a byte string (data up to the string,
/// which is dropped), a byte count (exactly n bytes), a length prefix
/// (the payload after it; the prefix is dropped), a regular expression
/// (see regex_mode), or a binary layout (frames of its size, read as its
/// fields). A plain value.
class read_delimiter {
public:
  enum class kind { none, bytes, count, length, regex, layout };

  /// No delimiter: chunks are passed on as they arrive.
  read_delimiter() = default;

  /// Frames end at `delimiter` (any bytes, length >= 1).
  /// Throws std::invalid_argument when empty.
  read_delimiter(std::string delimiter)
      : value_(std::in_place_type<std::string>, checked(std::move(delimiter))) {}
  read_delimiter(const char* delimiter) : read_delimiter(std::string(delimiter ? delimiter : "")) {}

  /// Frames end at the byte `c`: `read_delimiter('\n')` is the one-byte
  /// string delimiter, not a count of 10.
  read_delimiter(char c) : read_delimiter(std::string(1, c)) {}

  /// Frames of exactly `n` bytes. Throws std::invalid_argument unless n >= 1.
  template <class Int,
            std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, char>, int> = 0>
  read_delimiter(Int n) : value_(std::in_place_type<std::size_t>, checked_count(n)) {}

  /// Length-prefixed frames; see length_prefix.
  read_delimiter(const length_prefix& p) : value_(std::in_place_type<length_prefix>, p) {}

  /// Frames cut by a regular expression, in its mode; see regex.
  read_delimiter(const pants::regex& r) : value_(std::in_place_type<pants::regex>, r) {}

  /// Frames of exactly `l.size()` bytes, read as `l`'s fields. Throws
  /// std::invalid_argument for a layout of 0 bytes.
  read_delimiter(const binary_layout& l) : value_(std::in_place_type<binary_layout>, checked(l)) {}

  kind type() const noexcept { return static_cast<kind>(value_.index()); }
  /// The string of a `bytes` delimiter (empty for other kinds).
  const std::string& bytes() const noexcept {
    static const std::string none;
    auto* s = std::get_if<std::string>(&value_);
    return s ? *s : none;
  }
  /// The frame size of a `count` or `layout` delimiter (0 for others).
  std::size_t count() const noexcept {
    if (auto* n = std::get_if<std::size_t>(&value_))
      return *n;
    auto* l = std::get_if<binary_layout>(&value_);
    return l ? l->size() : 0;
  }
  /// The layout of a `length` delimiter (a 1-byte prefix for other kinds).
  const length_prefix& prefix() const noexcept {
    static const length_prefix none{1, 1};
    auto* p = std::get_if<length_prefix>(&value_);
    return p ? *p : none;
  }
  /// The pattern of a `regex` delimiter. Throws std::logic_error for other
  /// kinds.
  const pants::regex& pattern() const {
    if (auto* r = std::get_if<pants::regex>(&value_))
      return *r;
    throw std::logic_error("pants: this read delimiter is not a regular expression");
  }
  /// The layout of a `layout` delimiter. Throws std::logic_error for other
  /// kinds.
  const binary_layout& layout() const {
    if (auto* l = std::get_if<binary_layout>(&value_))
      return *l;
    throw std::logic_error("pants: this read delimiter is not a binary layout");
  }

  friend bool operator==(const read_delimiter& a, const read_delimiter& b) {
    return a.value_ == b.value_;
  }
  friend bool operator!=(const read_delimiter& a, const read_delimiter& b) { return !(a == b); }

private:
  static std::string checked(std::string s) {
    if (s.empty())
      throw std::invalid_argument("pants: a read delimiter string must not be empty");
    return s;
  }
  template <class Int> static std::size_t checked_count(Int n) {
    if (n <= 0)
      throw std::invalid_argument("pants: a read delimiter count must be at least 1");
    return static_cast<std::size_t>(n);
  }
  static const binary_layout& checked(const binary_layout& l) {
    if (l.size() == 0)
      throw std::invalid_argument("pants: a binary layout of 0 bytes (\"" + l.format() +
                                  "\") cannot frame a stream");
    return l;
  }

  // One alternative per kind, in `kind`'s order (type() is the index).
  std::variant<std::monostate, std::string, std::size_t, length_prefix, pants::regex, binary_layout>
      value_;
};

} // namespace pants
