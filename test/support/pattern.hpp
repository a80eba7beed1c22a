#pragma once

// A byte pattern that does not repeat, so loss, duplication or reordering
// of any block of a stream shows as a mismatch at a known offset.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pants::test {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;
constexpr auto npos = std::string::npos;

inline char pattern_at(std::size_t i) {
  auto x = static_cast<std::uint32_t>(i / 4) * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  return static_cast<char>(static_cast<unsigned char>((x >> ((i % 4) * 8)) & 0xffu));
}

inline std::string pattern(std::size_t offset, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    out[i] = pattern_at(offset + i);
  return out;
}

/// Index of the first byte of `data` that differs from the pattern starting
/// at `offset`, or npos.
inline std::size_t mismatch(std::string_view data, std::size_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] != pattern_at(offset + i))
      return i;
  return npos;
}

} // namespace pants::test
