// Parsing Python struct format strings into a layout_table (see
// binary_layout.hpp for the rules).

#include "pants/channels/detail/layout_table.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>

namespace pants::detail {

std::string char_text(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f && c != '\\' && c != '"' && c != '\'')
    return std::string(1, c);
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  return buf;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s)
    out += c == '\'' ? std::string(1, c) : char_text(c);
  return out + "\"";
}

namespace {

constexpr std::size_t max_size =
    static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

static_assert(sizeof(float) == 4 && sizeof(double) == 8 && sizeof(bool) == 1);
static_assert(sizeof(long long) <= 8 && sizeof(void*) <= 8 && sizeof(std::size_t) <= 8);

constexpr bool native_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__; // GCC and Clang define both

struct code_info {
  char code;
  field_kind kind;
  std::size_t standard; // 0: native mode only
  std::size_t native, align;
};

using fk = field_kind;
using ssize = std::make_signed_t<std::size_t>;
constexpr code_info codes[] = {
    {'x', fk::bytes, 1, 1, 1},
    {'c', fk::bytes, 1, 1, 1},
    {'s', fk::bytes, 1, 1, 1},
    {'p', fk::bytes, 1, 1, 1},
    {'b', fk::signed_int, 1, 1, 1},
    {'B', fk::unsigned_int, 1, 1, 1},
    {'?', fk::boolean, 1, sizeof(bool), alignof(bool)},
    {'h', fk::signed_int, 2, sizeof(short), alignof(short)},
    {'H', fk::unsigned_int, 2, sizeof(short), alignof(short)},
    {'i', fk::signed_int, 4, sizeof(int), alignof(int)},
    {'I', fk::unsigned_int, 4, sizeof(int), alignof(int)},
    {'l', fk::signed_int, 4, sizeof(long), alignof(long)},
    {'L', fk::unsigned_int, 4, sizeof(long), alignof(long)},
    {'q', fk::signed_int, 8, sizeof(long long), alignof(long long)},
    {'Q', fk::unsigned_int, 8, sizeof(long long), alignof(long long)},
    {'n', fk::signed_int, 0, sizeof(ssize), alignof(ssize)},
    {'N', fk::unsigned_int, 0, sizeof(std::size_t), alignof(std::size_t)},
    {'P', fk::unsigned_int, 0, sizeof(void*), alignof(void*)},
    {'e', fk::floating, 2, 2, alignof(short)},
    {'f', fk::floating, 4, sizeof(float), alignof(float)},
    {'d', fk::floating, 8, sizeof(double), alignof(double)}};

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_order(char c) { return std::strchr("@=<>!", c) != nullptr && c != '\0'; }

[[noreturn]] void bad_format(std::string_view f, const std::string& what, std::size_t at) {
  throw struct_error("pants: bad struct format " + quoted(f) + ": " + what + " at offset " +
                     std::to_string(at));
}

class parser {
public:
  parser(layout_table& t, std::string_view f) : t_(t), f_(f) {}

  void parse() {
    if (!f_.empty() && is_order(f_[0])) {
      order_ = f_[0];
      pos_ = 1;
    }
    while (pos_ < f_.size()) {
      if (is_space(f_[pos_])) {
        ++pos_;
        continue;
      }
      const std::size_t at = pos_;
      const std::size_t count = is_digit(f_[pos_]) ? parse_count() : 1;
      add(lookup(), count, at);
      ++pos_;
    }
  }

private:
  bool native() const { return order_ == '@'; }

  std::size_t parse_count() {
    const std::size_t at = pos_;
    std::size_t n = 0;
    for (; pos_ < f_.size() && is_digit(f_[pos_]); ++pos_) {
      const auto d = static_cast<std::size_t>(f_[pos_] - '0');
      if (n > (max_size - d) / 10)
        bad_format(f_, "count too large", at);
      n = n * 10 + d;
    }
    if (pos_ == f_.size())
      bad_format(f_, "count with no format character after it", at);
    if (is_space(f_[pos_]))
      bad_format(f_, "whitespace between a count and its format character", pos_);
    return n;
  }

  const code_info& lookup() const {
    const char c = f_[pos_];
    if (is_order(c))
      bad_format(f_, "byte order character '" + char_text(c) + "' not first in the format", pos_);
    const auto* it = std::find_if(std::begin(codes), std::end(codes),
                                  [c](const code_info& i) { return i.code == c; });
    if (it == std::end(codes))
      bad_format(f_, "unknown format character '" + char_text(c) + "'", pos_);
    if (it->standard == 0 && !native())
      bad_format(f_, "format character '" + char_text(c) + "' only allowed in native mode ('@')",
                 pos_);
    return *it;
  }

  void grow(std::size_t n, std::size_t at) {
    if (n > max_size - t_.size)
      bad_format(f_, "struct size too large", at);
    t_.size += n;
  }

  void add(const code_info& info, std::size_t count, std::size_t at) {
    if (native())
      grow((info.align - t_.size % info.align) % info.align, at);
    const bool is_string = info.code == 's' || info.code == 'p';
    const std::size_t item = is_string ? count : native() ? info.native : info.standard;
    const std::size_t n = is_string ? 1 : count;
    if (item != 0 && n > (max_size - t_.size) / item)
      bad_format(f_, "struct size too large", at);
    const std::size_t offset = t_.size;
    t_.size += n * item;
    if (info.code == 'x')
      return;
    const bool big =
        order_ == '>' || order_ == '!' || ((order_ == '@' || order_ == '=') && native_big);
    add_run({info.code, info.kind, big && item > 1 && info.kind != fk::bytes, offset, item, n,
             t_.fields});
  }

  void add_run(const run& r) {
    t_.fields += r.count;
    if (!t_.runs.empty()) {
      run& last = t_.runs.back();
      if (last.code == r.code && last.item == r.item && last.big == r.big &&
          last.offset + last.count * last.item == r.offset) {
        last.count += r.count;
        return;
      }
    }
    t_.runs.push_back(r);
  }

  layout_table& t_;
  std::string_view f_;
  std::size_t pos_ = 0;
  char order_ = '@';
};

} // namespace

void parse_format(layout_table& t, std::string_view format) { parser(t, format).parse(); }

} // namespace pants::detail
