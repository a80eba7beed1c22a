#include "pants/channels/binary_layout.hpp"

#include "pants/channels/detail/layout_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

namespace pants::detail {

/// What a packed_value holds, for the encoder: false when it is not that.
struct packed_access {
  using tag = packed_value::tag;
  static bool is_null(const packed_value& v) { return v.tag_ == tag::null; }
  static bool integer(const packed_value& v, checked_integer& out) {
    const tag t = v.tag_;
    if (t != tag::negative && t != tag::nonnegative && t != tag::boolean)
      return false;
    out = t == tag::negative
              ? checked_integer{true, v.num_.neg, 0}
              : checked_integer{false, 0, t == tag::boolean ? v.num_.truth : v.num_.pos};
    return true;
  }
  static bool number(const packed_value& v, double& out) {
    checked_integer n{};
    const bool is_int = integer(v, n);
    out = v.tag_ == tag::real ? v.num_.real
          : n.negative        ? static_cast<double>(n.s)
                              : static_cast<double>(n.u);
    return is_int || v.tag_ == tag::real;
  }
  static bool text(const packed_value& v, std::string_view& out) {
    out = v.tag_ == tag::byte ? std::string_view(&v.num_.byte, 1) : v.str_;
    return v.tag_ == tag::byte || v.tag_ == tag::text;
  }
  static bool truth(const packed_value& v) { // as Python: NaN is true
    checked_integer n{};
    std::string_view s;
    return v.tag_ == tag::real ? v.num_.real != 0.0
           : integer(v, n)     ? n.negative || n.u != 0
                               : text(v, s) && !s.empty();
  }
};

} // namespace pants::detail

namespace pants {
namespace {

using detail::checked_integer;
using detail::layout_table;
using detail::quoted;
using detail::run;
using fk = field_kind;

// The smallest double that rounds to float infinity: 2^128 - 2^103.
constexpr double float_overflow = 0x1.ffffffp+127;

std::string prefix(const layout_table& t) { return "pants: struct " + quoted(t.format) + ": "; }

struct field_ref {
  const run& r;
  std::size_t index;
  std::size_t offset;
};

field_ref locate(const layout_table& t, std::size_t i) {
  if (i >= t.fields)
    throw std::out_of_range(prefix(t) + "no field " + std::to_string(i) + " (it has " +
                            std::to_string(t.fields) + ")");
  auto it = std::upper_bound(t.runs.begin(), t.runs.end(), i,
                             [](std::size_t v, const run& r) { return v < r.first; });
  const run& r = *std::prev(it);
  return {r, i, r.offset + (i - r.first) * r.item};
}

std::string field_name(const field_ref& f) {
  return "field " + std::to_string(f.index) + " ('" + std::string(1, f.r.code) + "')";
}

std::uint64_t load(const char* p, std::size_t n, bool big) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < n; ++k)
    v = (v << 8) | static_cast<unsigned char>(p[big ? k : n - 1 - k]);
  return v;
}

void store(char* p, std::size_t n, bool big, std::uint64_t v) {
  for (std::size_t k = 0; k < n; ++k, v >>= 8)
    p[big ? n - 1 - k : k] = static_cast<char>(static_cast<unsigned char>(v & 0xff));
}

// The largest value of an integer type `width` bytes wide.
std::uint64_t max_of(bool is_signed, std::size_t width) {
  const std::uint64_t all = width >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * width)) - 1;
  return is_signed ? all >> 1 : all;
}

bool fits(const checked_integer& v, bool is_signed, std::size_t width) {
  if (!v.negative)
    return v.u <= max_of(is_signed, width);
  return is_signed && static_cast<std::uint64_t>(-(v.s + 1)) <= max_of(true, width);
}

std::string text_of(const checked_integer& v) {
  return v.negative ? std::to_string(v.s) : std::to_string(v.u);
}

std::string text_of(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string int_type_name(bool is_signed, std::size_t width) {
  return (is_signed ? "int" : "uint") + std::to_string(8 * width) + "_t";
}

checked_integer decode_integer(const field_ref& f, const char* p) {
  std::uint64_t u = load(p, f.r.item, f.r.big);
  if (f.r.kind == fk::boolean)
    return {false, 0, u != 0 ? 1u : 0u};
  if (f.r.kind == fk::signed_int && f.r.item < 8 && ((u >> (8 * f.r.item - 1)) & 1))
    u |= ~std::uint64_t{0} << (8 * f.r.item);
  if (f.r.kind == fk::signed_int && (u >> 63))
    return {true, -static_cast<std::int64_t>(~u) - 1, 0};
  return {false, 0, u};
}

double from_half(std::uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const int frac = h & 0x3ff;
  double v = exp == 0x1f ? (frac ? std::numeric_limits<double>::quiet_NaN()
                                 : std::numeric_limits<double>::infinity())
             : exp == 0  ? std::ldexp(frac, -24)
                         : std::ldexp(frac + 0x400, exp - 25);
  return (h & 0x8000) ? std::copysign(v, -1.0) : v;
}

// The binary16 nearest `x` (ties to even), as `out`; false when it is past
// the largest finite half (65504), as Python's overflow.
bool to_half(double x, std::uint16_t& out) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  const auto sign = static_cast<std::uint16_t>((bits >> 48) & 0x8000);
  const auto exp = static_cast<int>((bits >> 52) & 0x7ff);
  const std::uint64_t frac = bits & ((std::uint64_t{1} << 52) - 1);
  if (exp == 0x7ff) { // Python packs every NaN as the quiet NaN 0x7e00, with its sign
    out = static_cast<std::uint16_t>(sign | (frac ? 0x7e00 : 0x7c00));
    return true;
  }
  const int e = exp - 1023;
  if (exp == 0 || e < -26) { // below half the smallest subnormal: a signed zero
    out = sign;
    return true;
  }
  if (e > 15)
    return false;
  // Units of the half's last place in the 53-bit significand.
  const int shift = 42 + (e < -14 ? -14 - e : 0);
  const std::uint64_t m = frac | (std::uint64_t{1} << 52);
  std::uint64_t n = m >> shift;
  const std::uint64_t rem = m & ((std::uint64_t{1} << shift) - 1);
  const std::uint64_t half = std::uint64_t{1} << (shift - 1);
  if (rem > half || (rem == half && (n & 1)))
    ++n;
  // A subnormal rounding up to 0x400 is the smallest normal; a normal's
  // significand rounding up to 2048 carries into the exponent.
  const std::uint64_t h = e < -14 ? n : (static_cast<std::uint64_t>(e + 15) << 10) + n - 0x400;
  if (h >= 0x7c00)
    return false;
  out = static_cast<std::uint16_t>(sign | h);
  return true;
}

double decode_floating(const field_ref& f, const char* p) {
  const std::uint64_t u = load(p, f.r.item, f.r.big);
  if (f.r.item == 2)
    return from_half(static_cast<std::uint16_t>(u));
  if (f.r.item == 4) {
    const auto u32 = static_cast<std::uint32_t>(u);
    float v = 0;
    std::memcpy(&v, &u32, sizeof v);
    return v;
  }
  double v = 0;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

std::string_view decode_string(const field_ref& f, const char* p) {
  if (f.r.code != 'p')
    return std::string_view(p, f.r.item);
  if (f.r.item == 0)
    return {};
  const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(*p), f.r.item - 1);
  return std::string_view(p + 1, n);
}

const char* kind_name(field_kind k) {
  static const char* const names[] = {"a signed integer", "an unsigned integer", "a bool",
                                      "a float", "a string"};
  return names[static_cast<std::size_t>(k)];
}

// ---- pack ----

[[noreturn]] void bad_value(const layout_table& t, const field_ref& f, const std::string& what) {
  throw struct_error(prefix(t) + "pack " + field_name(f) + ": " + what);
}

void encode_integer(const layout_table& t, const field_ref& f, char* p, const packed_value& v) {
  checked_integer n{};
  if (!detail::packed_access::integer(v, n))
    bad_value(t, f, "required argument is not an integer");
  const bool is_signed = f.r.kind == fk::signed_int;
  if (!fits(n, is_signed, f.r.item)) {
    const std::uint64_t max = max_of(is_signed, f.r.item);
    const std::string min = is_signed ? "-" + std::to_string(max + 1) : "0";
    bad_value(t, f,
              "'" + std::string(1, f.r.code) + "' format requires " + min +
                  " <= number <= " + std::to_string(max) + " (got " + text_of(n) + ")");
  }
  store(p, f.r.item, f.r.big, n.negative ? static_cast<std::uint64_t>(n.s) : n.u);
}

void encode_floating(const layout_table& t, const field_ref& f, char* p, const packed_value& v) {
  double d = 0;
  if (!detail::packed_access::number(v, d))
    bad_value(t, f, "required argument is not a float");
  const auto too_large = [&] {
    bad_value(t, f,
              "float too large to pack with " + std::string(1, f.r.code) + " format (got " +
                  text_of(d) + ")");
  };
  std::uint64_t bits = 0;
  std::uint16_t h = 0;
  std::uint32_t u32 = 0;
  if (f.r.item == 8) {
    std::memcpy(&bits, &d, sizeof bits);
  } else if (f.r.item == 2) {
    if (!to_half(d, h))
      too_large();
    bits = h;
  } else {
    if (std::isfinite(d) && std::fabs(d) >= float_overflow)
      too_large();
    const auto x = static_cast<float>(d);
    std::memcpy(&u32, &x, sizeof u32);
    bits = u32;
  }
  store(p, f.r.item, f.r.big, bits);
}

void encode_string(const layout_table& t, const field_ref& f, char* p, const packed_value& v) {
  std::string_view s;
  const bool is_text = detail::packed_access::text(v, s);
  if (f.r.code == 'c') {
    if (!is_text || s.size() != 1)
      bad_value(t, f, "char format requires a string of length 1");
    *p = s[0];
    return;
  }
  if (!is_text)
    bad_value(t, f, "argument for '" + std::string(1, f.r.code) + "' must be a string");
  if (f.r.code == 's') {
    std::copy_n(s.data(), std::min(s.size(), f.r.item), p);
  } else if (f.r.item > 0) { // p: a length byte, then at most count - 1 bytes
    const std::size_t n = std::min(s.size(), f.r.item - 1);
    *p = static_cast<char>(static_cast<unsigned char>(std::min<std::size_t>(n, 255)));
    std::copy_n(s.data(), n, p + 1);
  }
}

void encode(const layout_table& t, const field_ref& f, char* p, const packed_value& v) {
  if (detail::packed_access::is_null(v))
    bad_value(t, f, "a null const char* is no value");
  if (f.r.kind == fk::boolean)
    *p = static_cast<char>(detail::packed_access::truth(v) ? 1 : 0);
  else if (f.r.kind == fk::floating)
    encode_floating(t, f, p, v);
  else if (f.r.kind == fk::bytes)
    encode_string(t, f, p, v);
  else
    encode_integer(t, f, p, v);
}

} // namespace

binary_layout::binary_layout(std::string_view format) {
  auto t = std::make_shared<layout_table>();
  t->format = std::string(format);
  detail::parse_format(*t, format);
  table_ = std::move(t);
}

const std::string& binary_layout::format() const noexcept { return table_->format; }
std::size_t binary_layout::size() const noexcept { return table_->size; }
std::size_t binary_layout::fields() const noexcept { return table_->fields; }
field_kind binary_layout::kind(std::size_t i) const { return locate(*table_, i).r.kind; }

unpacked binary_layout::unpack(std::string_view bytes) const {
  if (bytes.size() != table_->size)
    throw struct_error(prefix(*table_) + "unpack requires a buffer of " +
                       std::to_string(table_->size) + " bytes, got " +
                       std::to_string(bytes.size()));
  return unpacked(table_.get(), bytes);
}

void binary_layout::pack_into(std::string& out, std::initializer_list<packed_value> values) const {
  const layout_table& t = *table_;
  if (values.size() != t.fields)
    throw struct_error(prefix(t) + "pack expected " + std::to_string(t.fields) +
                       " items for packing (got " + std::to_string(values.size()) + ")");
  const std::size_t start = out.size();
  out.resize(start + t.size); // zeros: pad bytes, string padding
  try {
    const packed_value* v = values.begin();
    for (const run& r : t.runs)
      for (std::size_t j = 0; j < r.count; ++j, ++v) {
        const field_ref f{r, r.first + j, r.offset + j * r.item};
        encode(t, f, out.data() + start + f.offset, *v);
      }
  } catch (...) {
    out.resize(start);
    throw;
  }
}

bool operator==(const binary_layout& a, const binary_layout& b) noexcept {
  const layout_table& x = *a.table_;
  const layout_table& y = *b.table_;
  return &x == &y || (x.size == y.size && x.runs.size() == y.runs.size() &&
                      std::equal(x.runs.begin(), x.runs.end(), y.runs.begin(),
                                 [](const run& l, const run& r) { return l.same_as(r); }));
}

// ---- unpacked ----

namespace {
[[noreturn]] void cannot_read(const layout_table& t, const field_ref& f, const std::string& type) {
  throw struct_error(prefix(t) + field_name(f) + " holds " + kind_name(f.r.kind) +
                     ", which cannot be read as " + type);
}
} // namespace

std::size_t unpacked::size() const noexcept { return table_->fields; }
field_kind unpacked::kind(std::size_t i) const { return locate(*table_, i).r.kind; }

void unpacked::check_arity(std::size_t n) const {
  if (n != table_->fields)
    throw struct_error(prefix(*table_) + "as<...> given " + std::to_string(n) + " types for " +
                       std::to_string(table_->fields) + " fields");
}

bool unpacked::boolean_at(std::size_t i) const {
  const field_ref f = locate(*table_, i);
  if (f.r.kind != fk::boolean)
    cannot_read(*table_, f, "bool");
  return bytes_[f.offset] != 0;
}

checked_integer unpacked::integer_at(std::size_t i, bool is_signed, std::size_t width) const {
  const field_ref f = locate(*table_, i);
  if (f.r.kind == fk::floating || f.r.kind == fk::bytes)
    cannot_read(*table_, f, int_type_name(is_signed, width));
  const checked_integer v = decode_integer(f, bytes_.data() + f.offset);
  if (!fits(v, is_signed, width))
    throw struct_error(prefix(*table_) + field_name(f) + " holds " + text_of(v) +
                       ", which does not fit in " + int_type_name(is_signed, width));
  return v;
}

double unpacked::floating_at(std::size_t i, bool as_float) const {
  const field_ref f = locate(*table_, i);
  if (f.r.kind != fk::floating)
    cannot_read(*table_, f, as_float ? "float" : "double");
  const double d = decode_floating(f, bytes_.data() + f.offset);
  if (as_float && std::isfinite(d) && std::fabs(d) >= float_overflow)
    throw struct_error(prefix(*table_) + field_name(f) + " holds " + text_of(d) +
                       ", which does not fit in float");
  return d;
}

std::string_view unpacked::string_at(std::size_t i, const char* type) const {
  const field_ref f = locate(*table_, i);
  if (f.r.kind != fk::bytes)
    cannot_read(*table_, f, type);
  return decode_string(f, bytes_.data() + f.offset);
}

char unpacked::char_at(std::size_t i) const {
  const field_ref f = locate(*table_, i);
  if (f.r.code != 'c')
    cannot_read(*table_, f, "char (only 'c' fields are)");
  return bytes_[f.offset];
}

} // namespace pants
