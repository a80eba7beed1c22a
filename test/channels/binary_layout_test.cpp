#include "pants/channels/binary_layout.hpp"

#define BOOST_TEST_MODULE binary_layout
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

using namespace pants;
using namespace std::string_literals;

namespace {

// The message of the struct_error `f` throws, or "(no error)".
template <class F> std::string error_of(F f) {
  try {
    f();
  } catch (const struct_error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

std::uint16_t half_bits(double d) {
  const std::string b = binary_layout("<e").pack(d);
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[0]) |
                                    static_cast<unsigned char>(b[1]) << 8);
}

double half_value(std::uint16_t h) {
  const std::string b{static_cast<char>(h & 0xff), static_cast<char>(h >> 8)};
  return binary_layout("<e").unpack(b).get<double>(0);
}

template <class T, class = void> struct can_unpack : std::false_type {};
template <class T>
struct can_unpack<
    T, std::void_t<decltype(std::declval<const binary_layout&>().unpack(std::declval<T>()))>>
    : std::true_type {};

} // namespace

BOOST_AUTO_TEST_SUITE(binary_layout_suite)

// Every expected size is Python 3's struct.calcsize on x86-64 Linux.
BOOST_AUTO_TEST_CASE(sizes_match_python_calcsize) {
  const std::vector<std::pair<std::string, std::size_t>> table = {
      {"@bhi", 8},   {"@ib", 5},
      {"=bhi", 7},   {"!2H", 4},
      {"<iHq", 14},  {"10s", 10},
      {"0s", 0},     {"3x", 3},
      {"5p", 5},     {"?", 1},
      {"e", 2},      {"@P", 8},
      {"@n", 8},     {"!2H  i", 8},
      {"! 2H", 4},   {"", 0},
      {"  ", 0},     {"@be", 4},
      {"@bP", 16},   {"@bq", 16},
      {"@b0i", 4},   {"@bd", 16},
      {"@bf", 8},    {"@b?", 2},
      {"@b2s", 3},   {"@bl", 16},
      {"@l", 8},     {"<l", 4},
      {"0p", 0},     {"1p", 1},
      {"@b0p", 1},   {"@b0x", 1},
      {"@bi0i", 8},  {"h\t\n\v\f\rh", 4},
      {"@2bi", 8},   {"@xh", 4},
      {"@3xi", 8},   {"bhiq", 16},
      {"=bhiq", 15}, {"9223372036854775807s", 9223372036854775807u}};
  for (const auto& [format, size] : table)
    BOOST_TEST(binary_layout(format).size() == size, '"' << format << '"');
}

BOOST_AUTO_TEST_CASE(a_count_repeats_a_character_but_is_the_length_of_a_string) {
  BOOST_TEST(binary_layout("4h").fields() == 4u);
  BOOST_TEST(binary_layout("10s").fields() == 1u);
  BOOST_TEST(binary_layout("0s").fields() == 1u);
  BOOST_TEST(binary_layout("3x").fields() == 0u);
  BOOST_TEST(binary_layout("5p2c").fields() == 3u);
  BOOST_TEST(binary_layout("").fields() == 0u);
  BOOST_TEST(binary_layout("<bxxh").pack(1, 2) == "\x01\x00\x00\x02\x00"s);
}

BOOST_AUTO_TEST_CASE(a_huge_count_is_described_without_storing_a_field_each) {
  binary_layout l("<b1000000000000hd");
  BOOST_TEST(l.size() == 2000000000009u);
  BOOST_TEST(l.fields() == 1000000000002u);
  BOOST_TEST((l.kind(999999999999) == field_kind::signed_int));
  BOOST_TEST((l.kind(1000000000001) == field_kind::floating));
  BOOST_CHECK_THROW(l.kind(1000000000002), std::out_of_range);
}

BOOST_AUTO_TEST_CASE(kinds_follow_the_format_characters) {
  binary_layout l("@bhilqnBHILQNP?efdcsp");
  const std::string kinds = "ssssssuuuuuuubfffyyy";
  BOOST_TEST_REQUIRE(l.fields() == kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const field_kind want = kinds[i] == 's'   ? field_kind::signed_int
                            : kinds[i] == 'u' ? field_kind::unsigned_int
                            : kinds[i] == 'b' ? field_kind::boolean
                            : kinds[i] == 'f' ? field_kind::floating
                                              : field_kind::bytes;
    BOOST_TEST((l.kind(i) == want), "field " << i);
  }
}

BOOST_AUTO_TEST_CASE(network_order_shorts_pack_big_endian) {
  BOOST_TEST(binary_layout("!2H").pack(1, 0xABCD) == (std::string{'\x00', '\x01', '\xab', '\xcd'}));
}

BOOST_AUTO_TEST_CASE(network_order_shorts_unpack_big_endian) {
  binary_layout l("!2H");
  const std::string frame{'\x00', '\x01', '\xab', '\xcd'};
  auto u = l.unpack(frame);
  BOOST_TEST(u.size() == 2u);
  BOOST_TEST(u.get<int>(0) == 1);
  BOOST_TEST(u.get<std::uint16_t>(1) == 0xABCD);
  BOOST_TEST(u.bytes() == frame);
}

BOOST_AUTO_TEST_CASE(little_endian_mixed_integers_match_python_bytes) {
  const std::string want{'\xfe', '\xff', '\xff', '\xff', '\xef', '\xbe', '\x00',
                         '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x80'};
  binary_layout l("<iHq");
  BOOST_TEST(l.pack(-2, 0xBEEF, std::numeric_limits<std::int64_t>::min()) == want);
  BOOST_TEST((l.unpack(want).as<int, unsigned, long long>() ==
              std::make_tuple(-2, 0xBEEFu, std::numeric_limits<long long>::min())));
}

BOOST_AUTO_TEST_CASE(big_endian_extreme_integers_match_python_bytes) {
  using lim8 = std::numeric_limits<std::int8_t>;
  using lim16 = std::numeric_limits<std::int16_t>;
  using lim32 = std::numeric_limits<std::int32_t>;
  using lim64 = std::numeric_limits<std::int64_t>;
  binary_layout l(">bBhHiIqQ");
  const std::string lows{'\x80', '\xff', '\x80', '\x00', '\xff', '\xff', '\x80', '\x00',
                         '\x00', '\x00', '\xff', '\xff', '\xff', '\xff', '\x80', '\x00',
                         '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\xff', '\xff',
                         '\xff', '\xff', '\xff', '\xff', '\xff', '\xff'};
  const auto u64max = std::numeric_limits<std::uint64_t>::max();
  BOOST_TEST(l.pack(lim8::min(), 255, lim16::min(), 65535, lim32::min(), 4294967295u, lim64::min(),
                    u64max) == lows);
  const std::string highs{'\x7f', '\x00', '\x7f', '\xff', '\x00', '\x00', '\x7f', '\xff',
                          '\xff', '\xff', '\x00', '\x00', '\x00', '\x00', '\x7f', '\xff',
                          '\xff', '\xff', '\xff', '\xff', '\xff', '\xff', '\x00', '\x00',
                          '\x00', '\x00', '\x00', '\x00', '\x00', '\x00'};
  BOOST_TEST(l.pack(lim8::max(), 0, lim16::max(), 0, lim32::max(), 0, lim64::max(), 0) == highs);
  auto u = l.unpack(lows);
  BOOST_TEST(u.get<std::int8_t>(0) == lim8::min());
  BOOST_TEST(u.get<int>(1) == 255);
  BOOST_TEST(u.get<short>(2) == lim16::min());
  BOOST_TEST(u.get<long>(4) == lim32::min());
  BOOST_TEST(u.get<std::uint32_t>(5) == 4294967295u);
  BOOST_TEST(u.get<std::int64_t>(6) == lim64::min());
  BOOST_TEST(u.get<std::uint64_t>(7) == u64max);
}

BOOST_AUTO_TEST_CASE(floats_doubles_and_halves_match_python_bytes) {
  binary_layout l("<fde");
  const std::string a{'\x00', '\x00', '\xc0', '\x3f', '\x9a', '\x99', '\x99',
                      '\x99', '\x99', '\x99', '\xb9', '\x3f', '\x66', '\xae'};
  BOOST_TEST(l.pack(1.5f, 0.1, -0.1) == a);
  const std::string b{'\x00', '\x00', '\x80', '\x7f', '\x00', '\x00', '\x00',
                      '\x00', '\x00', '\x00', '\x00', '\x80', '\xff', '\x7b'};
  const double inf = std::numeric_limits<double>::infinity();
  BOOST_TEST(l.pack(inf, -0.0, 65504.0) == b);
  auto u = l.unpack(a);
  BOOST_TEST(u.get<float>(0) == 1.5f);
  BOOST_TEST(u.get<double>(1) == 0.1);
  BOOST_TEST(u.get<double>(2) == -0x1.998p-4); // 0.1 as a half: 0.0999755859375
  BOOST_TEST(std::signbit(l.unpack(b).get<double>(1)));
  BOOST_TEST(l.unpack(b).get<float>(0) == std::numeric_limits<float>::infinity());
}

BOOST_AUTO_TEST_CASE(native_alignment_pads_before_an_int_as_c_does) {
  BOOST_TEST(binary_layout("@bhi").pack(1, -2, 3) ==
             (std::string{'\x01', '\x00', '\xfe', '\xff', '\x03', '\x00', '\x00', '\x00'}));
  BOOST_TEST(binary_layout("=bhi").pack(1, -2, 3) ==
             (std::string{'\x01', '\xfe', '\xff', '\x03', '\x00', '\x00', '\x00'}));
  BOOST_TEST(binary_layout("bhi").pack(1, -2, 3) == binary_layout("@bhi").pack(1, -2, 3));
}

BOOST_AUTO_TEST_CASE(native_mode_packs_every_character_as_python) {
  binary_layout l("@?cbBhHiIlLqQnNPefd2s3pxx");
  const std::string want{
      '\x01', '\x51', '\xfb', '\xfa', '\xd4', '\xfe', '\x60', '\xea', '\x90', '\xee', '\xfe',
      '\xff', '\x00', '\x28', '\x6b', '\xee', '\x00', '\x00', '\x00', '\x00', '\x00', '\xff',
      '\xff', '\xff', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x04', '\x00', '\x00',
      '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\xc0', '\x05', '\x00', '\x00', '\x00',
      '\x00', '\x00', '\x00', '\x80', '\xc7', '\xcf', '\xff', '\xff', '\xff', '\xff', '\xff',
      '\xff', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\x10', '\x00', '\x00',
      '\x00', '\x00', '\x00', '\x80', '\x00', '\x00', '\x00', '\x3e', '\x00', '\x00', '\x00',
      '\x00', '\x80', '\xbe', '\x7d', '\xc3', '\x94', '\x25', '\xad', '\x49', '\xb2', '\x54',
      '\x68', '\x69', '\x02', '\x78', '\x79', '\x00', '\x00'};
  BOOST_TEST(l.size() == 95u);
  const auto packed = l.pack(true, 'Q', -5, 250, -300, 60000, -70000, 4000000000u, -(1LL << 40),
                             1LL << 50, -(1LL << 62), (1ULL << 63) + 5, -12345, 1ULL << 60,
                             1ULL << 47, 1.5, -0.25, 1e100, "hi", "xyz");
  BOOST_TEST(packed == want);
}

BOOST_AUTO_TEST_CASE(every_format_character_round_trips) {
  for (const char* format : {"@?cbBhHiIlLqQnNPefd2s3px", ">?cbBhHiIlLqQefd2s3px",
                             "<?cbBhHiIlLqQefd2s3px", "=?cbBhHiIlLqQefd2s3px"}) {
    binary_layout l(format);
    const bool native = format[0] == '@';
    std::string frame;
    if (!native)
      frame = l.pack(true, 'Q', -5, 250, -300, 60000, -70000, 4000000000u, -2147483647 - 1,
                     4294967295u, -(1LL << 62), (1ULL << 63) + 5, 1.5, -0.25, 1e100, "hi", "xyz");
    else
      frame = l.pack(true, 'Q', -5, 250, -300, 60000, -70000, 4000000000u, -(1LL << 40), 1LL << 50,
                     -(1LL << 62), (1ULL << 63) + 5, -12345, 1ULL << 60, 1ULL << 47, 1.5, -0.25,
                     1e100, "hi", "xyz");
    BOOST_TEST(frame.size() == l.size(), format);
    auto u = l.unpack(frame);
    BOOST_TEST(u.get<bool>(0), format);
    BOOST_TEST(u.get<char>(1) == 'Q', format);
    BOOST_TEST(u.get<int>(2) == -5, format);
    BOOST_TEST(u.get<int>(3) == 250, format);
    BOOST_TEST(u.get<int>(4) == -300, format);
    BOOST_TEST(u.get<int>(5) == 60000, format);
    BOOST_TEST(u.get<int>(6) == -70000, format);
    BOOST_TEST(u.get<std::uint32_t>(7) == 4000000000u, format);
    const std::size_t at = native ? 15 : 12;
    BOOST_TEST(u.get<std::int64_t>(10) == -(1LL << 62), format);
    BOOST_TEST(u.get<std::uint64_t>(11) == (1ULL << 63) + 5, format);
    if (native) {
      BOOST_TEST(u.get<long>(8) == -(1LL << 40));
      BOOST_TEST(u.get<std::ptrdiff_t>(12) == -12345);
      BOOST_TEST(u.get<std::size_t>(13) == 1ULL << 60);
      BOOST_TEST(u.get<std::uintptr_t>(14) == 1ULL << 47);
    } else {
      BOOST_TEST(u.get<int>(8) == -2147483647 - 1, format);
      BOOST_TEST(u.get<std::uint32_t>(9) == 4294967295u, format);
    }
    BOOST_TEST(u.get<float>(at) == 1.5f, format);
    BOOST_TEST(u.get<double>(at + 1) == -0.25, format);
    BOOST_TEST(u.get<double>(at + 2) == 1e100, format);
    BOOST_TEST(u.get<std::string>(at + 3) == "hi", format);
    BOOST_TEST(u.get<std::string_view>(at + 4) == "xy", format);
  }
}

BOOST_AUTO_TEST_CASE(big_endian_standard_mode_packs_every_character_as_python) {
  const std::string want{'\x01', '\x51', '\xfb', '\xfa', '\xfe', '\xd4', '\xea', '\x60', '\xff',
                         '\xfe', '\xee', '\x90', '\xee', '\x6b', '\x28', '\x00', '\x80', '\x00',
                         '\x00', '\x00', '\xff', '\xff', '\xff', '\xff', '\xc0', '\x00', '\x00',
                         '\x00', '\x00', '\x00', '\x00', '\x00', '\x80', '\x00', '\x00', '\x00',
                         '\x00', '\x00', '\x00', '\x05', '\x3e', '\x00', '\xbe', '\x80', '\x00',
                         '\x00', '\x54', '\xb2', '\x49', '\xad', '\x25', '\x94', '\xc3', '\x7d',
                         '\x68', '\x69', '\x02', '\x78', '\x79', '\x00'};
  BOOST_TEST(binary_layout(">?cbBhHiIlLqQefd2s3px")
                 .pack(true, 'Q', -5, 250, -300, 60000, -70000, 4000000000u, -2147483647 - 1,
                       4294967295u, -(1LL << 62), (1ULL << 63) + 5, 1.5, -0.25, 1e100, "hi",
                       "xyz") == want);
}

BOOST_AUTO_TEST_CASE(pascal_strings_store_a_length_byte_and_truncate) {
  binary_layout l("5p");
  BOOST_TEST(l.pack("abcdefg") == (std::string{'\x04', 'a', 'b', 'c', 'd'}));
  BOOST_TEST(l.pack("ab") == (std::string{'\x02', 'a', 'b', '\x00', '\x00'}));
  BOOST_TEST(l.pack("") == (std::string(5, '\0')));
  const std::string four{'\x04', 'a', 'b', 'c', 'd'};
  BOOST_TEST(l.unpack(four).get<std::string>(0) == "abcd");
  // A length byte larger than the room: count - 1 bytes, as Python.
  const std::string nine{'\x09', 'a', 'b', 'c', 'd'};
  BOOST_TEST(l.unpack(nine).get<std::string>(0) == "abcd");
  BOOST_TEST(binary_layout("1p").pack("abc") == "\x00"s);
  BOOST_TEST(binary_layout("0p").pack("abc").empty());
  BOOST_TEST(binary_layout("0p").unpack("").get<std::string>(0).empty());
  // The length byte saturates at 255; unpack then returns 255 bytes.
  binary_layout p300("300p");
  const std::string frame = p300.pack(std::string(299, 'x'));
  BOOST_TEST(static_cast<unsigned char>(frame[0]) == 255u);
  BOOST_TEST(frame.substr(1) == std::string(299, 'x'));
  BOOST_TEST(p300.unpack(frame).get<std::string_view>(0).size() == 255u);
}

BOOST_AUTO_TEST_CASE(byte_strings_are_truncated_or_nul_padded) {
  binary_layout l("3s");
  BOOST_TEST(l.pack("abcdef") == "abc");
  BOOST_TEST(l.pack("a") == "a\0\0"s);
  BOOST_TEST(l.pack(""s) == "\0\0\0"s);
  const std::string padded = l.pack("a");
  BOOST_TEST(l.unpack(padded).get<std::string>(0) == "a\0\0"s);
  BOOST_TEST(binary_layout("0s").pack("abc").empty());
  BOOST_TEST(binary_layout("<?cx3sB").pack(true, 'Z', "hi", 7) ==
             (std::string{'\x01', 'Z', '\x00', 'h', 'i', '\x00', '\x07'}));
}

// Every expected pattern is Python 3's struct.pack('<e', value).
BOOST_AUTO_TEST_CASE(half_floats_round_to_nearest_even_as_python) {
  const std::vector<std::pair<double, std::uint16_t>> table = {{0x0.0p+0, 0x0000},
                                                               {-0x0.0p+0, 0x8000},
                                                               {0x1.0p+0, 0x3c00},
                                                               {-0x1.0p+0, 0xbc00},
                                                               {0x1.999999999999ap-4, 0x2e66},
                                                               {-0x1.999999999999ap-4, 0xae66},
                                                               {0x1.0p-1, 0x3800},
                                                               {0x1.5555555555555p-2, 0x3555},
                                                               {0x1.ffcp+15, 0x7bff},
                                                               {0x1.ffdffae147ae1p+15, 0x7bff},
                                                               {-0x1.ffcp+15, 0xfbff},
                                                               {0x1.5798ee2308c3ap-27, 0x0000},
                                                               {-0x1.5798ee2308c3ap-27, 0x8000},
                                                               {0x1.0p-24, 0x0001},
                                                               {0x1.0p-25, 0x0000},
                                                               {0x1.0000000000001p-25, 0x0001},
                                                               {0x1.8p-25, 0x0001},
                                                               {0x1.8p-24, 0x0002},
                                                               {0x1.4p-23, 0x0002},
                                                               {0x1.0p-14, 0x0400},
                                                               {0x1.ffcp-15, 0x0400},
                                                               {0x1.ffb480a5accd5p-15, 0x03ff},
                                                               {0x1.002p+0, 0x3c00},
                                                               {0x1.003p+0, 0x3c01},
                                                               {0x1.001001ad9a01ap+0, 0x3c00},
                                                               {0x1.002p+11, 0x6800},
                                                               {0x1.006p+11, 0x6802},
                                                               {0x1.921f9f01b866ep+1, 0x4248},
                                                               {0x1.56e1fc2f8f359p-997, 0x0000},
                                                               {0x0.0000000000001p-1022, 0x0000},
                                                               {0x1.002p+10, 0x6400},
                                                               {0x1.01f31f46ed246p-13, 0x0808},
                                                               {0x1.81cd6c8b43958p+13, 0x7207},
                                                               {-0x1.0p-24, 0x8001},
                                                               {0x1.002p+12, 0x6c00},
                                                               {0x1.006p+12, 0x6c02}};
  for (const auto& [value, bits] : table)
    BOOST_TEST(half_bits(value) == bits, std::hexfloat << value);
}

BOOST_AUTO_TEST_CASE(half_floats_pack_infinities_and_nans_as_python) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(half_bits(inf) == 0x7c00);
  BOOST_TEST(half_bits(-inf) == 0xfc00);
  BOOST_TEST(half_bits(nan) == 0x7e00);
  BOOST_TEST(half_bits(-nan) == 0xfe00);
  BOOST_TEST(half_bits(1e-8) == 0x0000);
  BOOST_TEST(half_bits(-1e-8) == 0x8000);
  BOOST_TEST(half_bits(1e-300) == 0x0000);
}

BOOST_AUTO_TEST_CASE(half_floats_decode_exactly) {
  BOOST_TEST(half_value(0x0001) == 0x1.0p-24);
  BOOST_TEST(half_value(0x03ff) == 0x1.ff8p-15);
  BOOST_TEST(half_value(0x0400) == 0x1.0p-14);
  BOOST_TEST(half_value(0x7bff) == 65504.0);
  BOOST_TEST(half_value(0x7c00) == std::numeric_limits<double>::infinity());
  BOOST_TEST(half_value(0xfc00) == -std::numeric_limits<double>::infinity());
  BOOST_TEST(std::isnan(half_value(0x7c01)));
  BOOST_TEST(std::isnan(half_value(0x7e00)));
  BOOST_TEST(std::isnan(half_value(0xfe00)));
  BOOST_TEST(std::signbit(half_value(0x8000)));
  BOOST_TEST(half_value(0x8001) == -0x1.0p-24);
  BOOST_TEST(half_value(0x5535) == 83.3125);
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    if ((bits & 0x7c00) != 0x7c00 || (bits & 0x3ff) == 0) // every non-NaN round trips
      BOOST_TEST_REQUIRE(half_bits(half_value(bits)) == bits, "half " << h);
  }
}

BOOST_AUTO_TEST_CASE(half_float_overflow_throws_like_python) {
  binary_layout l("<e");
  for (double d : {65520.0, -65520.0, 1e5, 1e300, -1e300}) {
    const std::string what = error_of([&] { l.pack(d); });
    BOOST_TEST(contains(what, "field 0 ('e'): float too large to pack with e format"), what);
  }
  BOOST_CHECK_NO_THROW(l.pack(65519.99));
  BOOST_TEST(contains(error_of([&] { l.pack(100000); }), "too large to pack with e"));
}

BOOST_AUTO_TEST_CASE(f_fields_reject_finite_doubles_beyond_float_range) {
  binary_layout l("<f");
  BOOST_TEST(contains(error_of([&] { l.pack(3.5e38); }), "float too large to pack with f format"));
  BOOST_TEST(contains(error_of([&] { l.pack(-0x1.ffffffp+127); }), "too large"));
  // Just below the rounding boundary: rounds to FLT_MAX, as Python.
  BOOST_TEST(l.pack(0x1.fffffefffffffp+127) == (std::string{'\xff', '\xff', '\x7f', '\x7f'}));
  BOOST_TEST(l.pack(std::numeric_limits<double>::infinity()) ==
             (std::string{'\x00', '\x00', '\x80', '\x7f'}));
  const std::string nan = l.pack(std::nan(""));
  BOOST_TEST(std::isnan(l.unpack(nan).get<double>(0)));
}

BOOST_AUTO_TEST_CASE(bad_formats_throw_struct_error_saying_what_and_where) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"!2Z", "unknown format character 'Z' at offset 2"},
      {"hz", "unknown format character 'z' at offset 1"},
      {"h\0h"s, "unknown format character '\\x00' at offset 1"},
      {"4", "count with no format character after it at offset 0"},
      {"!h12", "count with no format character after it at offset 2"},
      {"4 h", "whitespace between a count and its format character at offset 1"},
      {"99999999999999999999h", "count too large at offset 0"},
      {"9223372036854775808s", "count too large at offset 0"},
      {"9223372036854775807h", "struct size too large at offset 0"},
      {"1152921504606846976q", "struct size too large at offset 0"},
      {"b9223372036854775807s", "struct size too large at offset 1"},
      {"<2=H", "byte order character '=' not first in the format at offset 2"},
      {"h!h", "byte order character '!' not first in the format at offset 1"},
      {" !2H", "byte order character '!' not first in the format at offset 1"},
      {" ! 2H  i", "byte order character '!' not first in the format at offset 1"},
      {"!n", "format character 'n' only allowed in native mode ('@') at offset 1"},
      {"<N", "format character 'N' only allowed in native mode ('@') at offset 1"},
      {"=P", "format character 'P' only allowed in native mode ('@') at offset 1"}};
  for (const auto& entry : table) {
    const std::string got = error_of([&] { binary_layout{entry.first}; });
    BOOST_TEST(contains(got, entry.second), got);
    BOOST_TEST(contains(got, "pants: bad struct format \""), got);
  }
}

BOOST_AUTO_TEST_CASE(a_format_error_names_the_format_and_offset) {
  BOOST_TEST(error_of([] { binary_layout("!2Z"); }) ==
             "pants: bad struct format \"!2Z\": unknown format character 'Z' at offset 2");
  BOOST_CHECK_THROW(binary_layout("Z"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(pack_rejects_a_wrong_number_of_values) {
  binary_layout l("!2H");
  BOOST_TEST(
      contains(error_of([&] { l.pack(1, 2, 3); }), "pack expected 2 items for packing (got 3)"));
  BOOST_TEST(contains(error_of([&] { l.pack(1); }), "pack expected 2 items for packing (got 1)"));
  BOOST_TEST(contains(error_of([] { binary_layout("3x").pack(1); }), "expected 0 items"));
  BOOST_TEST(binary_layout("3x").pack() == "\0\0\0"s);
}

BOOST_AUTO_TEST_CASE(pack_rejects_integers_out_of_range_for_their_field) {
  const std::string what = error_of([] { binary_layout("!bH").pack(0, 70000); });
  BOOST_TEST(what == "pants: struct \"!bH\": pack field 1 ('H'): 'H' format requires 0 <= number "
                     "<= 65535 (got 70000)");
  struct bad {
    const char* format;
    long long value;
    const char* range;
  };
  for (const bad& b :
       {bad{"<b", 128, "-128 <= number <= 127"}, bad{"<b", -129, "-128"},
        bad{"<B", 256, "0 <= number <= 255"}, bad{"<B", -1, "0 <= number"},
        bad{"<h", 40000, "-32768 <= number <= 32767"}, bad{"<H", -1, "65535"},
        bad{"<i", 1LL << 31, "-2147483648 <= number <= 2147483647"},
        bad{"<I", -1, "0 <= number <= 4294967295"}, bad{"<I", 1LL << 32, "(got"},
        bad{"<l", 1LL << 31, "2147483647"}, bad{"<l", -(1LL << 31) - 1, "(got -2147483649)"},
        bad{"@L", -1, "18446744073709551615"}, bad{"<Q", -1, "0 <= number"},
        bad{"@N", -1, "0 <= number"}, bad{"@P", -1, "0 <= number"}}) {
    const std::string got = error_of([&] { binary_layout(b.format).pack(b.value); });
    BOOST_TEST(contains(got, "format requires"), b.format << ": " << got);
    BOOST_TEST(contains(got, b.range), b.format << ": " << got);
  }
  BOOST_TEST(contains(error_of([] { binary_layout("<q").pack(1ULL << 63); }),
                      "-9223372036854775808 <= number <= 9223372036854775807 "
                      "(got 9223372036854775808)"));
  BOOST_CHECK_NO_THROW(binary_layout("<q").pack(std::numeric_limits<std::int64_t>::min()));
  BOOST_CHECK_NO_THROW(binary_layout("@n").pack(std::numeric_limits<std::int64_t>::min()));
  BOOST_CHECK_NO_THROW(binary_layout("@P").pack(std::numeric_limits<std::uint64_t>::max()));
  BOOST_CHECK_NO_THROW(binary_layout("<H").pack(true));
}

BOOST_AUTO_TEST_CASE(pack_rejects_floats_for_integer_fields_and_strings_for_numbers) {
  BOOST_TEST(contains(error_of([] { binary_layout("<H").pack(1.0); }),
                      "field 0 ('H'): required argument is not an integer"));
  BOOST_TEST(contains(error_of([] { binary_layout("<H").pack("a"); }), "not an integer"));
  BOOST_TEST(contains(error_of([] { binary_layout("<H").pack('a'); }), "not an integer"));
  BOOST_TEST(contains(error_of([] { binary_layout("<d").pack("1.5"); }),
                      "field 0 ('d'): required argument is not a float"));
  BOOST_TEST(contains(error_of([] { binary_layout("<hf").pack(1, 'x'); }),
                      "field 1 ('f'): required argument is not a float"));
}

BOOST_AUTO_TEST_CASE(pack_rejects_non_strings_for_string_fields_and_c_strings_not_one_byte) {
  BOOST_TEST(contains(error_of([] { binary_layout("c").pack("ab"); }),
                      "field 0 ('c'): char format requires a string of length 1"));
  BOOST_TEST(contains(error_of([] { binary_layout("c").pack(""); }), "of length 1"));
  BOOST_TEST(contains(error_of([] { binary_layout("c").pack(65); }), "of length 1"));
  BOOST_TEST(contains(error_of([] { binary_layout("3s").pack(1); }),
                      "field 0 ('s'): argument for 's' must be a string"));
  BOOST_TEST(contains(error_of([] { binary_layout("3p").pack(1.5); }), "argument for 'p' must be"));
  const char* null = nullptr;
  BOOST_TEST(contains(error_of([&] { binary_layout("3s").pack(null); }), "null const char*"));
  BOOST_TEST(contains(error_of([&] { binary_layout("?").pack(null); }), "null const char*"));
  BOOST_TEST(binary_layout("c").pack("a") == "a");
  BOOST_TEST(binary_layout("c").pack("\0"s) == "\0"s);
}

BOOST_AUTO_TEST_CASE(pack_into_appends_or_on_error_leaves_out_unchanged) {
  binary_layout l("<HH");
  std::string out = "head";
  l.pack_into(out, {1, 2});
  BOOST_TEST(out == "head\x01\x00\x02\x00"s);
  const std::string before = out;
  BOOST_CHECK_THROW(l.pack_into(out, {1, 70000}), struct_error);
  BOOST_TEST(out == before);
  BOOST_CHECK_THROW(l.pack_into(out, {1}), struct_error);
  BOOST_TEST(out == before);
  BOOST_CHECK_THROW(l.pack_into(out, {1, "x"}), struct_error);
  BOOST_TEST(out == before);
  BOOST_CHECK_THROW(binary_layout("<e").pack_into(out, {1e9}), struct_error);
  BOOST_TEST(out == before);
  std::string view_source = "xyz";
  binary_layout("<3sH").pack_into(out, {std::string_view(view_source), 5});
  BOOST_TEST(out == before + "xyz\x05\x00"s);
}

BOOST_AUTO_TEST_CASE(bool_fields_pack_truth_and_unpack_any_nonzero_byte_as_true) {
  binary_layout l("?");
  BOOST_TEST(l.pack(true) == "\x01"s);
  BOOST_TEST(l.pack(false) == "\x00"s);
  BOOST_TEST(l.pack(2) == "\x01"s);
  BOOST_TEST(l.pack(-1) == "\x01"s);
  BOOST_TEST(l.pack(0) == "\x00"s);
  BOOST_TEST(l.pack(0.0) == "\x00"s);
  BOOST_TEST(l.pack(std::nan("")) == "\x01"s);
  BOOST_TEST(l.pack("") == "\x00"s);
  BOOST_TEST(l.pack("\0"s) == "\x01"s);
  const std::string five = "\x05", zero = "\x00"s;
  BOOST_TEST(l.unpack(five).get<bool>(0));
  BOOST_TEST(!l.unpack(zero).get<bool>(0));
  BOOST_TEST(l.unpack(five).get<int>(0) == 1); // Python's bool is an int
  BOOST_TEST(l.unpack(zero).get<std::uint8_t>(0) == 0);
}

BOOST_AUTO_TEST_CASE(float_fields_accept_integers_and_bools_as_python) {
  binary_layout l("<dfe");
  const std::string frame = l.pack(3, true, -2LL);
  auto u = l.unpack(frame);
  BOOST_TEST(u.get<double>(0) == 3.0);
  BOOST_TEST(u.get<double>(1) == 1.0);
  BOOST_TEST(u.get<double>(2) == -2.0);
  const auto big = std::numeric_limits<std::uint64_t>::max();
  const std::string two64 = binary_layout("<d").pack(big);
  BOOST_TEST(binary_layout("<d").unpack(two64).get<double>(0) == 0x1p64);
}

BOOST_AUTO_TEST_CASE(a_char_is_a_one_byte_string_and_signed_char_an_integer) {
  binary_layout l("c1sbB");
  const auto frame = l.pack('x', 'y', static_cast<signed char>(-3), std::uint8_t{200});
  BOOST_TEST(frame == "xy\xfd\xc8"s);
  auto u = l.unpack(frame);
  BOOST_TEST(u.get<char>(0) == 'x');
  BOOST_TEST(u.get<std::string_view>(1) == "y");
  BOOST_TEST(u.get<signed char>(2) == -3);
  BOOST_TEST(u.get<unsigned char>(3) == 200);
  BOOST_TEST(contains(error_of([&] { u.get<char>(1); }), "field 1 ('s')"));
  BOOST_TEST(contains(error_of([&] { u.get<char>(2); }), "cannot be read as char"));
}

BOOST_AUTO_TEST_CASE(unpack_views_named_bytes_but_not_a_temporary_string) {
  static_assert(can_unpack<std::string_view>::value);
  static_assert(can_unpack<const std::string&>::value);
  static_assert(can_unpack<std::string&>::value);
  static_assert(can_unpack<const char*>::value);
  static_assert(!can_unpack<std::string>::value);
  static_assert(!can_unpack<std::string&&>::value);
  static_assert(!can_unpack<const std::string&&>::value);
  const std::string frame = "\x01\x02";
  BOOST_TEST(binary_layout("<H").unpack(frame).bytes().data() == frame.data());
}

BOOST_AUTO_TEST_CASE(unpack_requires_exactly_size_bytes) {
  binary_layout l("!I");
  BOOST_TEST(error_of([&] { l.unpack("abc"); }) ==
             "pants: struct \"!I\": unpack requires a buffer of 4 bytes, got 3");
  BOOST_TEST(contains(error_of([&] { l.unpack("abcde"); }), "of 4 bytes, got 5"));
  BOOST_TEST(binary_layout("").unpack("").size() == 0u);
  BOOST_CHECK_THROW(binary_layout("").unpack("x"), struct_error);
}

BOOST_AUTO_TEST_CASE(get_checks_that_the_value_fits_the_type_asked) {
  binary_layout l("<bHq");
  const std::string frame = l.pack(-1, 65535, std::numeric_limits<std::int64_t>::min());
  auto u = l.unpack(frame);
  const std::string both = error_of([&] { u.get<std::int16_t>(1); });
  BOOST_TEST(both == "pants: struct \"<bHq\": field 1 ('H') holds 65535, which does not fit in "
                     "int16_t");
  BOOST_TEST(
      contains(error_of([&] { u.get<unsigned>(0); }), "holds -1, which does not fit in uint32_t"));
  BOOST_TEST(contains(error_of([&] { u.get<std::int32_t>(2); }), "does not fit in int32_t"));
  BOOST_TEST(u.get<std::uint16_t>(1) == 65535);
  BOOST_TEST(u.get<long long>(2) == std::numeric_limits<long long>::min());
  BOOST_TEST(u.get<std::int8_t>(0) == -1);
  binary_layout big(">Q");
  const std::string max = big.pack(std::numeric_limits<std::uint64_t>::max());
  auto v = big.unpack(max);
  BOOST_TEST(contains(error_of([&] { v.get<std::int64_t>(0); }), "holds 18446744073709551615"));
  binary_layout d("<d");
  const std::string huge = d.pack(1e300), tenth = d.pack(0.1);
  auto w = d.unpack(huge);
  BOOST_TEST(contains(error_of([&] { w.get<float>(0); }), "which does not fit in float"));
  BOOST_TEST(w.get<double>(0) == 1e300);
  BOOST_TEST(d.unpack(tenth).get<float>(0) == 0.1f);
}

BOOST_AUTO_TEST_CASE(get_rejects_a_type_of_the_wrong_kind) {
  binary_layout l("<hd3s?");
  const std::string frame = l.pack(1, 2.0, "abc", true);
  auto u = l.unpack(frame);
  BOOST_TEST(error_of([&] { u.get<int>(1); }) ==
             "pants: struct \"<hd3s?\": field 1 ('d') holds a float, which cannot be read as "
             "int32_t");
  BOOST_TEST(contains(error_of([&] { u.get<double>(0); }), "field 0 ('h') holds a signed integer"));
  BOOST_TEST(contains(error_of([&] { u.get<std::string>(0); }), "cannot be read as std::string"));
  BOOST_TEST(contains(error_of([&] { u.get<std::string_view>(3); }), "field 3 ('?') holds a bool"));
  BOOST_TEST(contains(error_of([&] { u.get<bool>(0); }), "cannot be read as bool"));
  BOOST_TEST(contains(error_of([&] { u.get<float>(2); }), "field 2 ('s') holds a string"));
  BOOST_TEST(contains(error_of([&] { u.get<long>(2); }), "cannot be read as int64_t"));
}

BOOST_AUTO_TEST_CASE(an_index_past_the_fields_throws_out_of_range) {
  binary_layout l("<hxh");
  const std::string frame = l.pack(1, 2);
  auto u = l.unpack(frame);
  BOOST_CHECK_THROW(u.get<int>(2), std::out_of_range);
  BOOST_CHECK_THROW(u.kind(2), std::out_of_range);
  BOOST_CHECK_THROW(l.kind(2), std::out_of_range);
  BOOST_TEST(u.get<int>(1) == 2);
  BOOST_TEST((u.kind(1) == field_kind::signed_int));
}

BOOST_AUTO_TEST_CASE(as_decodes_every_field_into_a_tuple) {
  binary_layout l("!Hi3sd?");
  const auto frame = l.pack(7, -9, "abc", 2.5, true);
  const auto [a, b, c, d, e] = l.unpack(frame).as<std::uint16_t, long, std::string, double, bool>();
  BOOST_TEST(a == 7);
  BOOST_TEST(b == -9);
  BOOST_TEST(c == "abc");
  BOOST_TEST(d == 2.5);
  BOOST_TEST(e);
  BOOST_TEST(contains(error_of([&] { l.unpack(frame).as<int, int>(); }),
                      "as<...> given 2 types for 5 fields"));
  BOOST_CHECK_THROW((l.unpack(frame).as<int, int, int, double, bool>()), struct_error);
  const std::string pads(3, '\0');
  BOOST_TEST((binary_layout("3x").unpack(pads).as<>() == std::tuple<>{}));
}

BOOST_AUTO_TEST_CASE(copies_compare_equal_and_share_the_parsed_table) {
  binary_layout a("<iHq");
  binary_layout b = a;
  binary_layout c("<iHq");
  BOOST_TEST((a == b));
  BOOST_TEST((a == c));
  BOOST_TEST(&a.format() == &b.format()); // one table
  BOOST_TEST(&a.format() != &c.format());
  c = b;
  BOOST_TEST(&c.format() == &a.format());
  BOOST_TEST(b.format() == "<iHq");
}

BOOST_AUTO_TEST_CASE(equality_compares_layouts_not_text) {
  const auto eq = [](const char* x, const char* y) { return binary_layout(x) == binary_layout(y); };
  BOOST_TEST(eq("!H", ">H"));
  BOOST_TEST(!eq("<H", ">H"));
  BOOST_TEST(eq("=H", "<H")); // native order here is little-endian
  BOOST_TEST(eq("@H", "=H"));
  BOOST_TEST(eq("H", "@H"));
  BOOST_TEST(!eq("@bhi", "=bhi"));
  BOOST_TEST(eq("@bH", "=bxH"));
  BOOST_TEST(eq("4h", "hh 2h"));
  BOOST_TEST(eq("<b", ">b"));
  BOOST_TEST(eq("<4s", ">4s"));
  BOOST_TEST(!eq("4s", "2s2s"));
  BOOST_TEST(!eq("<h", "<H"));
  BOOST_TEST(!eq("xH", "bH"));
  BOOST_TEST(!eq("H", "Hx"));
  BOOST_TEST(!eq("@l", "<l"));
  BOOST_TEST((binary_layout("!H") != binary_layout("<H")));
}

BOOST_AUTO_TEST_CASE(whitespace_between_items_is_ignored) {
  binary_layout l("! 2H  i");
  BOOST_TEST(l.size() == 8u);
  BOOST_TEST((l == binary_layout("!2Hi")));
  BOOST_TEST(l.format() == "! 2H  i");
}

BOOST_AUTO_TEST_SUITE_END()
