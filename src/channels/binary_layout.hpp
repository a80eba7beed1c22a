#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pants {

/// A bad struct format (thrown at construction), or values or bytes that do
/// not fit a layout (pack, unpack, get). Nothing changed.
class struct_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// The kind of value a field holds once decoded.
enum class field_kind : std::uint8_t {
  signed_int,   ///< `b h i l q n`
  unsigned_int, ///< `B H I L Q N P`
  boolean,      ///< `?`
  floating,     ///< `e f d`
  bytes         ///< `c s p`
};

class binary_layout;

namespace detail {
struct layout_table;
struct packed_access;

/// The integer types `get` reads and `packed_value` takes: the integral types
/// of at most 64 bits but bool and the character types (char, wchar_t,
/// char16_t, char32_t). `signed char` and `unsigned char` (int8_t, uint8_t)
/// are integers.
template <class T>
inline constexpr bool is_plain_integer_v = std::is_integral_v<T> && sizeof(T) <= 8 &&
                                           !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                                           !std::is_same_v<T, wchar_t> &&
                                           !std::is_same_v<T, char16_t> &&
                                           !std::is_same_v<T, char32_t>;

/// The scalars `packed_value` takes by value.
template <class T>
inline constexpr bool is_packable_scalar_v =
    is_plain_integer_v<T> || std::is_same_v<T, bool> || std::is_same_v<T, char> ||
    std::is_same_v<T, float> || std::is_same_v<T, double>;

/// An integer: `s` when `negative`, else `u`.
struct checked_integer {
  bool negative;
  std::int64_t s;
  std::uint64_t u;
};

template <class> inline constexpr bool always_false_v = false;
} // namespace detail

/// One value given to `binary_layout::pack`: an integer, bool, char, float,
/// double or string (`std::string_view`, `const char*`, `std::string`).
/// A `char` is a 1-byte string (for `c`, `s`, `p`), never an integer: cast
/// it to `signed char`/`std::uint8_t` for `b`/`B`. Integers and bools pack
/// into integer and float fields (bool as 0/1); floats only into float
/// fields; anything into `?` (its truth, as Python: nonzero numbers, NaN
/// and non-empty strings are true). Holds a view of a string, not a copy:
/// use it within the call it is made for. Cheap to copy; safe to share
/// between threads.
class packed_value {
public:
  /// An integer, bool, char, float or double (no implicit conversions, so
  /// a pointer or an enum is not taken for a bool or an int).
  template <class T, std::enable_if_t<detail::is_packable_scalar_v<T>, int> = 0>
  packed_value(T v) noexcept {
    if constexpr (std::is_same_v<T, bool>) {
      tag_ = tag::boolean;
      num_.truth = v;
    } else if constexpr (std::is_same_v<T, char>) {
      tag_ = tag::byte;
      num_.byte = v;
    } else if constexpr (std::is_floating_point_v<T>) {
      tag_ = tag::real;
      num_.real = v;
    } else {
      if constexpr (std::is_signed_v<T>) {
        if (v < 0) {
          tag_ = tag::negative;
          num_.neg = v;
          return;
        }
      }
      tag_ = tag::nonnegative;
      num_.pos = static_cast<std::uint64_t>(v);
    }
  }
  /// A string; a null pointer is no value, which every field rejects.
  packed_value(const char* s) noexcept : tag_(s ? tag::text : tag::null) {
    if (s)
      str_ = s;
  }
  /// A string (viewed, not copied).
  packed_value(std::string_view s) noexcept : tag_(tag::text), str_(s) {}
  /// A string (viewed, not copied).
  packed_value(const std::string& s) noexcept : tag_(tag::text), str_(s) {}

private:
  friend struct detail::packed_access;
  enum class tag : std::uint8_t { null, negative, nonnegative, boolean, real, text, byte };
  tag tag_ = tag::null;
  union {
    std::int64_t neg;
    std::uint64_t pos;
    double real;
    bool truth;
    char byte;
  } num_{};
  std::string_view str_;
};

/// One frame seen through a layout: typed getters decode fields on demand,
/// without allocating (but `get<std::string>`). Owns neither the layout nor
/// the bytes: valid while the `binary_layout` that made it (or a copy of
/// it) and the bytes live. Cheap to copy; safe to read from many threads.
class unpacked {
public:
  /// The number of fields (`binary_layout::fields()`).
  std::size_t size() const noexcept;
  /// The kind of field `i`; std::out_of_range unless `i < size()`.
  field_kind kind(std::size_t i) const;
  /// The whole frame.
  std::string_view bytes() const noexcept { return bytes_; }

  /// Field `i` as `T` (std::out_of_range unless `i < size()`):
  /// - any integer type (`detail::is_plain_integer_v`) for integer fields,
  ///   and for `?` fields (0 or 1: Python's bool is an int); struct_error
  ///   unless the value fits in `T`;
  /// - `bool` for `?` fields only (true for any nonzero byte, as Python);
  /// - `double` or `float` for `e f d` fields; struct_error when a finite
  ///   `d` value is beyond float's range (smaller ones are rounded);
  /// - `std::string_view` or `std::string` for `c s p` fields (`p`: the
  ///   bytes its length byte counts, at most count - 1); `char` for `c`.
  /// Any other pairing throws struct_error naming the field, its format
  /// character and `T`.
  template <class T> T get(std::size_t i) const {
    if constexpr (std::is_same_v<T, bool>) {
      return boolean_at(i);
    } else if constexpr (detail::is_plain_integer_v<T>) {
      const detail::checked_integer v = integer_at(i, std::is_signed_v<T>, sizeof(T));
      return v.negative ? static_cast<T>(v.s) : static_cast<T>(v.u);
    } else if constexpr (std::is_same_v<T, double>) {
      return floating_at(i, false);
    } else if constexpr (std::is_same_v<T, float>) {
      return static_cast<float>(floating_at(i, true));
    } else if constexpr (std::is_same_v<T, std::string_view>) {
      return string_at(i, "std::string_view");
    } else if constexpr (std::is_same_v<T, std::string>) {
      return std::string(string_at(i, "std::string"));
    } else if constexpr (std::is_same_v<T, char>) {
      return char_at(i);
    } else {
      static_assert(detail::always_false_v<T>, "get<T>: T must be an integer, bool, float, "
                                               "double, char, std::string_view or std::string");
    }
  }

  /// Every field, field `i` as the `i`th type (as `get`); struct_error
  /// unless there are exactly `sizeof...(Ts)` fields.
  template <class... Ts> std::tuple<Ts...> as() const {
    check_arity(sizeof...(Ts));
    return as_each<Ts...>(std::index_sequence_for<Ts...>{});
  }

private:
  friend class binary_layout;
  unpacked(const detail::layout_table* table, std::string_view bytes) noexcept
      : table_(table), bytes_(bytes) {}

  template <class... Ts, std::size_t... I>
  std::tuple<Ts...> as_each(std::index_sequence<I...>) const {
    return std::tuple<Ts...>{get<Ts>(I)...};
  }
  void check_arity(std::size_t n) const;
  bool boolean_at(std::size_t i) const;
  detail::checked_integer integer_at(std::size_t i, bool is_signed, std::size_t width) const;
  double floating_at(std::size_t i, bool as_float) const;
  std::string_view string_at(std::size_t i, const char* type) const;
  char char_at(std::size_t i) const;

  const detail::layout_table* table_;
  std::string_view bytes_;
};

/// A binary layout described by a Python `struct` format string, Python 3's
/// rules exactly: an optional first `@` (native sizes, order and alignment;
/// the default), `=` (native order, standard sizes), `<`, `>` or `!`, then
/// items `[count]char` with whitespace between items. Decodes frames of
/// `size()` bytes (`unpack`) and encodes values into them (`pack`).
/// Choices where Python has none to copy: `0p` is an empty string (Python
/// fails on it); `P` takes 0 to 2^64-1 only (Python also wraps negatives);
/// the total size is at most PTRDIFF_MAX, as Python's.
/// A value type: copies share one parsed table (a refcount bump).
/// Immutable; safe to share between threads.
class binary_layout {
public:
  /// Parses `format`; struct_error saying what and where when it is bad:
  /// unknown character, a count with nothing (or whitespace) after it, a
  /// size too large, a byte-order character not first, `n N P` outside
  /// native mode.
  explicit binary_layout(std::string_view format);

  /// The format, as given.
  const std::string& format() const noexcept;
  /// Bytes in a frame (Python's `calcsize`).
  std::size_t size() const noexcept;
  /// Values in a frame: pad bytes excluded; `4h` is 4, `10s` is 1.
  std::size_t fields() const noexcept;
  /// The kind of field `i`; std::out_of_range unless `i < fields()`.
  field_kind kind(std::size_t i) const;

  /// A view of `bytes` through this layout; struct_error unless it is
  /// exactly `size()` bytes.
  unpacked unpack(std::string_view bytes) const;
  /// Deleted: the view would outlive a temporary string. Name the frame.
  template <class S, std::enable_if_t<std::is_same_v<std::remove_cv_t<S>, std::string>, int> = 0>
  unpacked unpack(S&& temporary) const = delete;

  /// The frame holding `values`, one per field (see `pack_into`).
  template <class... Ts> std::string pack(const Ts&... values) const {
    std::string out;
    pack_into(out, {packed_value(values)...});
    return out;
  }
  /// Appends the frame holding `values` to `out`: `size()` bytes, pad bytes
  /// zero, `s` strings NUL-padded or truncated, `p` as Python. Checks as
  /// Python does and throws struct_error naming the field: a wrong number
  /// of values, an integer out of its field's range, a float for an integer
  /// field, a non-number for a number field, a non-string for `c s p`, a
  /// `c` string not 1 byte, a float too large for `e` or `f`. Strong
  /// guarantee: on throw `out` is unchanged.
  void pack_into(std::string& out, std::initializer_list<packed_value> values) const;

  /// Same layout (the same fields, format characters, offsets and byte
  /// orders, and size), not necessarily the same text: `"!H" == ">H"`,
  /// `"4h" == "hhhh"`, `"<H" != ">H"`, `"@bhi" != "=bhi"`.
  friend bool operator==(const binary_layout& a, const binary_layout& b) noexcept;
  /// Not the same layout.
  friend bool operator!=(const binary_layout& a, const binary_layout& b) noexcept {
    return !(a == b);
  }

private:
  std::shared_ptr<const detail::layout_table> table_;
};

} // namespace pants
