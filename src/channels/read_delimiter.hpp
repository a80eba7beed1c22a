#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace pants {

/// How a stream channel splits incoming bytes into `on_read` frames:
/// none (each chunk as it arrives), a byte string (data up to the string,
/// which is dropped), or a byte count (exactly n bytes). A plain value.
class read_delimiter {
public:
  enum class kind { none, bytes, count };

  /// No delimiter: chunks are passed on as they arrive.
  read_delimiter() = default;

  /// Frames end at `delimiter` (any bytes, length >= 1).
  /// Throws std::invalid_argument when empty.
  read_delimiter(std::string delimiter) : kind_(kind::bytes), bytes_(std::move(delimiter)) {
    if (bytes_.empty())
      throw std::invalid_argument("pants: a read delimiter string must not be empty");
  }
  read_delimiter(const char* delimiter) : read_delimiter(std::string(delimiter ? delimiter : "")) {}

  /// Frames end at the byte `c`: `read_delimiter('\n')` is the one-byte
  /// string delimiter, not a count of 10.
  read_delimiter(char c) : read_delimiter(std::string(1, c)) {}

  /// Frames of exactly `n` bytes. Throws std::invalid_argument unless n >= 1.
  template <class Int,
            std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, char>, int> = 0>
  read_delimiter(Int n) : kind_(kind::count) {
    if (n <= 0)
      throw std::invalid_argument("pants: a read delimiter count must be at least 1");
    count_ = static_cast<std::size_t>(n);
  }

  kind type() const noexcept { return kind_; }
  const std::string& bytes() const noexcept { return bytes_; }
  std::size_t count() const noexcept { return count_; }

  friend bool operator==(const read_delimiter& a, const read_delimiter& b) {
    return a.kind_ == b.kind_ && a.bytes_ == b.bytes_ && a.count_ == b.count_;
  }
  friend bool operator!=(const read_delimiter& a, const read_delimiter& b) { return !(a == b); }

private:
  kind kind_ = kind::none;
  std::string bytes_;
  std::size_t count_ = 0;
};

} // namespace pants
