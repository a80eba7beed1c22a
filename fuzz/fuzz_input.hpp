#pragma once

// What the fuzz targets share to read their input and to report a finding.

#include "pants/channels/read_delimiter.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pants::fuzz {

/// Reports a finding and aborts, so libFuzzer saves the input.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "pants fuzz finding: %s\n", what.c_str());
  std::abort();
}

inline void expect(bool ok, const std::string& what) {
  if (!ok)
    fail(what);
}

/// `call()` must throw std::invalid_argument (or a type derived from it);
/// any other exception escapes, and libFuzzer reports it.
template <class Call> void expect_invalid(Call&& call, const std::string& what) {
  try {
    call();
  } catch (const std::invalid_argument&) {
    return;
  }
  fail(what + " did not throw std::invalid_argument");
}

/// `bytes` with every byte outside printable ASCII as \xNN, for messages.
inline std::string show(std::string_view bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + "\"";
}

/// The fuzz input, decoded into the operations' parameters. The bytes of
/// frames and delimiters come from a four-letter alphabet ("ab\n\0"), so
/// delimiters match often and partly, or, when the input's first choice
/// says so, as they are. Reading past the end gives the smallest values.
class input {
public:
  input(const std::uint8_t* data, std::size_t size) : fdp_(data, size), raw_(fdp_.ConsumeBool()) {}

  bool empty() { return fdp_.remaining_bytes() == 0; }

  template <class Int> Int number(Int lo, Int hi) {
    return fdp_.ConsumeIntegralInRange<Int>(lo, hi);
  }
  template <class Int> Int any_number() { return fdp_.ConsumeIntegral<Int>(); }

  /// 0 to `max` bytes, in the input's alphabet.
  std::string bytes(std::size_t max) {
    auto s = fdp_.ConsumeBytesAsString(number<std::size_t>(0, max));
    if (!raw_)
      for (auto& c : s)
        c = "ab\n"[static_cast<unsigned char>(c) % 4]; // the fourth letter is the NUL
    return s;
  }

  /// 0 to `max` bytes as they are.
  std::string raw_bytes(std::size_t max) {
    return fdp_.ConsumeBytesAsString(number<std::size_t>(0, max));
  }

  /// A delimiter of any kind (strings of up to 4 bytes, counts up to 40,
  /// patterns and layouts from lists in the input's alphabet); empty when
  /// the input chose an invalid one, which must have been refused with
  /// std::invalid_argument.
  std::optional<read_delimiter> delimiter() {
    switch (number(0, 5)) {
    case 0:
      return read_delimiter();
    case 1: {
      auto s = bytes(4);
      if (s.empty()) {
        expect_invalid([&] { read_delimiter{s}; }, "read_delimiter(\"\")");
        return std::nullopt;
      }
      return read_delimiter(s);
    }
    case 3: {
      auto size = number<std::size_t>(0, 9);
      auto max_frame = number<std::size_t>(0, 80);
      auto order = number(0, 1) == 0 ? byte_order::big : byte_order::little;
      bool counts_itself = number(0, 1) == 1;
      bool valid = (size == 1 || size == 2 || size == 4 || size == 8) && max_frame > 0;
      if (!valid) {
        expect_invalid([&] { length_prefix(size, max_frame, order, counts_itself); },
                       "length_prefix(" + std::to_string(size) + ", " + std::to_string(max_frame) +
                           ")");
        return std::nullopt;
      }
      return read_delimiter(length_prefix(size, max_frame, order, counts_itself));
    }
    case 4: {
      // Greedy and lazy, anchored, lookaround, end-of-subject, groups; the
      // last two are refused (an empty match, a bad pattern).
      static const char* const patterns[] = {
          "\\n",     "a+",    "ab|b", "a\\n+",   "(a)(b)?\\n",    "a.*?b",        "a[^b]*b", "^b",
          "(?<=a)b", "(?=a)", "b$",   "\\x00a+", "(?<x>b+)\\x00", "\\n(a|b)*\\n", "a*",      "(a"};
      const char* p = patterns[number<std::size_t>(0, std::size(patterns) - 1)];
      auto mode = number(0, 1) == 0 ? regex_mode::search : regex_mode::match;
      if (std::string_view(p) == "a*" || std::string_view(p) == "(a") {
        expect_invalid([&] { regex(p, mode); }, std::string("regex(\"") + p + "\")");
        return std::nullopt;
      }
      return read_delimiter(regex(p, mode));
    }
    case 5: {
      static const char* const formats[] = {"!H", "<iHq", "3s", "x", "?e", "@bhi", "5p", ""};
      const char* f = formats[number<std::size_t>(0, std::size(formats) - 1)];
      if (*f == '\0') {
        expect_invalid([&] { read_delimiter{binary_layout(f)}; }, "a 0-byte layout");
        return std::nullopt;
      }
      return read_delimiter(binary_layout(f));
    }
    default: {
      auto n = number<long>(-1, 40);
      if (n <= 0) {
        expect_invalid([&] { read_delimiter{n}; }, "read_delimiter(" + std::to_string(n) + ")");
        return std::nullopt;
      }
      return read_delimiter(n);
    }
    }
  }

private:
  FuzzedDataProvider fdp_;
  bool raw_;
};

} // namespace pants::fuzz
