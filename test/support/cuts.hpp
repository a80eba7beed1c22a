#pragma once

// Every way the framing suites cut an input into feeds (STYLE.md habit 8).

#include <cstddef>
#include <string>
#include <vector>

namespace pants::test {

using chunks = std::vector<std::string>;

/// Whole, in two at every offset (including empty first or last feeds),
/// one byte at a time, and for inputs up to 48 bytes in three at every pair
/// of offsets.
inline std::vector<chunks> cuts(const std::string& input) {
  std::vector<chunks> out;
  const auto n = input.size();
  out.push_back({input});
  for (std::size_t i = 0; i <= n; ++i)
    out.push_back({input.substr(0, i), input.substr(i)});
  chunks bytes;
  for (char c : input)
    bytes.emplace_back(1, c);
  out.push_back(bytes);
  if (n <= 48)
    for (std::size_t i = 0; i <= n; ++i)
      for (std::size_t j = i; j <= n; ++j)
        out.push_back({input.substr(0, i), input.substr(i, j - i), input.substr(j)});
  return out;
}

/// "3+0+5": the feed sizes of a cut, for failure messages.
inline std::string describe(const chunks& cut) {
  std::string s;
  for (const auto& c : cut)
    s += (s.empty() ? "" : "+") + std::to_string(c.size());
  return s;
}

} // namespace pants::test
