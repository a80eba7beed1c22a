#pragma once

// The parsed form of a binary_layout, shared by its two source files
// (binary_layout_format.cpp parses, binary_layout.cpp encodes and decodes).
// Internal.

#include "pants/channels/binary_layout.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pants::detail {

/// `count` consecutive fields of one format character, `item` bytes each
/// (for `s` and `p`, the item's count), the first at `offset`; `first` is
/// the index of its first field.
struct run {
  char code;
  field_kind kind;
  bool big; // big-endian; false for fields of one byte or less, and strings
  std::size_t offset, item, count, first;

  bool same_as(const run& o) const {
    return code == o.code && big == o.big && offset == o.offset && item == o.item &&
           count == o.count;
  }
};

struct layout_table {
  std::string format;
  std::size_t size = 0;
  std::size_t fields = 0;
  std::vector<run> runs;
};

/// Parses `format` into `t` (its size, fields and runs); struct_error
/// saying what and where when it is bad.
void parse_format(layout_table& t, std::string_view format);

/// `c` as a message shows it (printable, or `\xNN`).
std::string char_text(char c);
/// `s` in double quotes, as a message shows it.
std::string quoted(std::string_view s);

} // namespace pants::detail
