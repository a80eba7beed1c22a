#include "pants/channels/framer.hpp"

#include <optional>
#include <stdexcept>
#include <string>

namespace pants {

namespace {

/// The payload size the length prefix at the front of `rest` states;
/// nothing when the prefix is incomplete or states a size out of bounds
/// (then `bad` is set to the length stated, if given).
std::optional<std::uint64_t> stated_payload(const length_prefix& p, std::string_view rest,
                                            std::uint64_t* bad) {
  if (rest.size() < p.size())
    return std::nullopt;
  auto stated = p.decode(rest.data());
  bool below_itself = p.counts_itself() && stated < p.size();
  if (below_itself || (p.counts_itself() ? stated - p.size() : stated) > p.max_frame()) {
    if (bad) // refused before a byte of it is buffered
      *bad = stated;
    return std::nullopt;
  }
  return p.counts_itself() ? stated - p.size() : stated;
}

} // namespace

void framer::check_length() {
  std::uint64_t stated = 0;
  if (failure_ == failure::none && delimiter_.type() == read_delimiter::kind::length &&
      buf_.size() - head_ >= delimiter_.prefix().size() &&
      !stated_payload(delimiter_.prefix(), std::string_view(buf_).substr(head_), &stated))
    fail(failure::length, stated);
}

void framer::check_pattern(bool final) {
  if (delimiter_.type() != read_delimiter::kind::regex || failure_ != failure::none)
    return;
  auto head = head_, scan = scan_;
  std::string_view frame;
  if (next_regex_frame(frame, final)) { // a frame, left for the next delivery
    head_ = head;
    scan_ = scan;
    end_of_frame();
  }
}

std::string framer::overflow_reason() const {
  auto kind = delimiter_.type();
  if (kind == read_delimiter::kind::regex && failure_ == failure::no_match)
    return "the buffered bytes cannot match the pattern \"" + delimiter_.pattern().pattern() +
           "\" (match mode)";
  if (kind == read_delimiter::kind::regex && failure_ == failure::match_error)
    return "matching the pattern \"" + delimiter_.pattern().pattern() +
           "\" failed: " + detail::regex_matcher::message(-static_cast<int>(failure_value_));
  if (kind != read_delimiter::kind::length || failure_ != failure::length)
    return "receive buffer exceeded buffer_size without a frame";
  const auto& p = delimiter_.prefix();
  auto stated = failure_value_;
  if (p.counts_itself() && stated < p.size())
    return "a length prefix stated " + std::to_string(stated) + " bytes, less than its own " +
           std::to_string(p.size());
  auto payload = p.counts_itself() ? stated - p.size() : stated;
  return "a length prefix claimed a frame of " + std::to_string(payload) +
         " bytes, over max_frame " + std::to_string(p.max_frame());
}

void framer::buffer_size(std::size_t n) {
  if (n == 0)
    throw std::invalid_argument("pants: buffer_size must be at least 1");
  buffer_size_ = n;
}

bool framer::next_regex_frame(std::string_view& frame, bool final) {
  const auto& re = delimiter_.pattern();
  if (!matcher_)
    matcher_ = std::make_unique<detail::regex_matcher>();
  // The subject starts at the first undelivered byte: `^` and lookbehinds
  // never see a frame already delivered, however the input was cut.
  std::string_view rest(buf_.data() + head_, buf_.size() - head_);
  if (rest.empty())
    return false; // nothing to match yet (an empty subject is no partial match)
  auto start = re.mode() == regex_mode::search ? std::max(scan_, head_) - head_ : 0;
  switch (matcher_->run(re, rest, start, final)) {
  case detail::regex_matcher::outcome::found:
    break;
  case detail::regex_matcher::outcome::partial:
    // No match starts before the partial one: resume there.
    scan_ = head_ + matcher_->begin();
    return false;
  case detail::regex_matcher::outcome::none:
    if (re.mode() == regex_mode::match)
      fail(failure::no_match, 0);
    scan_ = buf_.size(); // a match may yet start at the end, once bytes follow
    return false;
  case detail::regex_matcher::outcome::error:
    fail(failure::match_error, static_cast<std::uint64_t>(-matcher_->error_code()));
    return false;
  }
  auto begin = matcher_->begin(), end = matcher_->end();
  frame = re.mode() == regex_mode::search ? rest.substr(0, begin) : rest.substr(begin, end - begin);
  head_ += end; // at least one byte: the pattern cannot match the empty string
  cut_ = cut::regex;
  return true;
}

unpacked framer::fields() const {
  if (cut_ != cut::layout)
    throw std::logic_error("pants: read_fields() is for the frame a binary layout cut, "
                           "inside its on_read");
  // The frame ends at the head (nothing moves the buffer during a delivery).
  auto n = cutter().layout().size();
  return cutter().layout().unpack(std::string_view(buf_).substr(head_ - n, n));
}

bool framer::next_frame(std::string_view& frame, bool final) {
  end_of_frame();
  std::string_view rest(buf_.data() + head_, buf_.size() - head_);
  switch (delimiter_.type()) {
  case read_delimiter::kind::none:
    if (rest.empty())
      return false;
    frame = rest;
    head_ = buf_.size();
    break;
  case read_delimiter::kind::count:
  case read_delimiter::kind::layout:
    if (rest.size() < delimiter_.count())
      return false;
    frame = rest.substr(0, delimiter_.count());
    head_ += delimiter_.count();
    if (delimiter_.type() == read_delimiter::kind::layout)
      cut_ = cut::layout;
    break;
  case read_delimiter::kind::length: {
    const auto& p = delimiter_.prefix();
    auto payload = stated_payload(p, rest, nullptr);
    if (!payload || rest.size() - p.size() < *payload)
      return false; // incomplete, or out of bounds (feed reports that)
    auto n = static_cast<std::size_t>(*payload);
    frame = rest.substr(p.size(), n);
    head_ += p.size() + n;
    break;
  }
  case read_delimiter::kind::bytes: {
    const auto& d = delimiter_.bytes();
    // Resume where the last search stopped: a delimiter split across reads
    // is still found, and no byte is scanned twice.
    auto pos = buf_.find(d, std::max(scan_, head_));
    if (pos == std::string::npos) {
      scan_ = buf_.size() >= d.size() ? std::max(head_, buf_.size() - d.size() + 1) : head_;
      return false;
    }
    frame = std::string_view(buf_.data() + head_, pos - head_);
    head_ = pos + d.size();
    break;
  }
  case read_delimiter::kind::regex:
    if (!next_regex_frame(frame, final))
      return false;
    break;
  }
  scan_ = std::max(scan_, head_);
  return true;
}

void framer::compact() {
  if (head_ == buf_.size()) {
    clear();
  } else if (head_ > 0 && head_ >= buf_.size() / 2) {
    buf_.erase(0, head_);
    scan_ -= head_;
    head_ = 0;
  }
}

} // namespace pants
