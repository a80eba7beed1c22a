#include "pants/channels/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>
#include <string>

namespace pants {

struct regex::compiled {
  compiled(std::string p, pcre2_code* c) : pattern(std::move(p)), code(c) {}
  compiled(const compiled&) = delete;
  compiled& operator=(const compiled&) = delete;
  ~compiled() { pcre2_code_free(code); }

  std::size_t group(std::string_view name) const {
    int n = pcre2_substring_number_from_name(
        code, reinterpret_cast<PCRE2_SPTR>(std::string(name).c_str()));
    if (n < 0)
      throw std::invalid_argument("pants: the regular expression \"" + pattern +
                                  "\" has no group named '" + std::string(name) + "'");
    return static_cast<std::size_t>(n);
  }

  std::string pattern;
  pcre2_code* code;
  std::uint32_t groups = 0;
};

namespace {

std::uint32_t info(const pcre2_code* code, std::uint32_t what) {
  std::uint32_t v = 0;
  pcre2_pattern_info(code, what, &v);
  return v;
}

std::string quoted(std::string_view pattern) { return "\"" + std::string(pattern) + "\""; }

} // namespace

regex::regex(std::string_view pattern, regex_mode mode) : mode_(mode) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  auto* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &code,
                           &offset, nullptr);
  if (!re)
    throw regex_error("pants: bad regular expression " + quoted(pattern) + ": " +
                          detail::regex_matcher::message(code) + " at offset " +
                          std::to_string(offset),
                      offset);
  auto c = std::make_shared<compiled>(std::string(pattern), re);
  // PCRE2's lower bound on a match's length: 0 when it can match nothing
  // (or cannot tell), and a delimiter matching nothing would loop.
  if (info(re, PCRE2_INFO_MINLENGTH) == 0)
    throw regex_error("pants: the regular expression " + quoted(pattern) +
                          " can match the empty string, which cannot end a frame",
                      0);
  c->groups = info(re, PCRE2_INFO_CAPTURECOUNT);
  code_ = std::move(c);
}

const std::string& regex::pattern() const noexcept { return code_->pattern; }

std::size_t regex::groups() const noexcept { return code_->groups; }

std::size_t regex::group(std::string_view name) const { return code_->group(name); }

bool match_groups::matched(std::size_t i) const {
  if (i >= count_)
    throw std::out_of_range("pants: match group " + std::to_string(i) + " of " +
                            std::to_string(count_));
  return ovector_[2 * i] != PCRE2_UNSET;
}

std::string_view match_groups::operator[](std::size_t i) const {
  if (!matched(i))
    return {};
  return std::string_view(subject_ + ovector_[2 * i], ovector_[2 * i + 1] - ovector_[2 * i]);
}

std::string_view match_groups::operator[](std::string_view name) const {
  if (!code_)
    throw std::out_of_range("pants: no regular-expression match to take a group from");
  return (*this)[code_->group(name)];
}

std::vector<std::string> match_groups::strings() const {
  std::vector<std::string> out;
  out.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i)
    out.emplace_back((*this)[i]);
  return out;
}

namespace detail {

regex_matcher::~regex_matcher() { pcre2_match_data_free(data_); }

regex_matcher::outcome regex_matcher::run(const regex& re, std::string_view subject,
                                          std::size_t start, bool final) {
  auto pairs = static_cast<std::uint32_t>(re.groups() + 1);
  if (pairs > pairs_) {
    auto* fresh = pcre2_match_data_create(pairs, nullptr);
    if (!fresh)
      throw std::bad_alloc();
    pcre2_match_data_free(data_);
    data_ = fresh;
    pairs_ = pairs;
  }
  // An empty match would cut no bytes and loop: the screen in the
  // constructor misses some (a lone lookahead), PCRE2_NOTEMPTY all.
  std::uint32_t options = PCRE2_NOTEMPTY | (final ? 0 : PCRE2_PARTIAL_HARD);
  if (re.mode() == regex_mode::match)
    options |= PCRE2_ANCHORED;
  subject_ = subject.data();
  int rc = pcre2_match(re.code().code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       start, options, data_, nullptr);
  if (rc >= 0)
    return outcome::found;
  if (rc == PCRE2_ERROR_PARTIAL)
    return outcome::partial;
  if (rc == PCRE2_ERROR_NOMATCH)
    return outcome::none;
  error_ = rc;
  return outcome::error;
}

std::size_t regex_matcher::begin() const noexcept { return pcre2_get_ovector_pointer(data_)[0]; }

std::size_t regex_matcher::end() const noexcept { return pcre2_get_ovector_pointer(data_)[1]; }

match_groups regex_matcher::groups(const regex& re) const noexcept {
  match_groups g;
  g.subject_ = subject_;
  g.ovector_ = pcre2_get_ovector_pointer(data_);
  g.code_ = re.shared_code();
  g.count_ = re.groups() + 1;
  return g;
}

std::string regex_matcher::message(int code) {
  PCRE2_UCHAR text[256];
  if (pcre2_get_error_message(code, text, sizeof text) < 0)
    return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(text);
}

} // namespace detail
} // namespace pants
